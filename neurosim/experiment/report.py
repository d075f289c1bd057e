"""The experiment report: one markdown page with tables and PNG figures, from the runs in a Store.

It reads runs only through `Store.runs()` and artifacts only from files, and draws only with
`neurosim.plotting`, so it works on any subset of artifacts a learner left behind and never needs
torch or brian2. An artifact that cannot be read is named in the report instead of stopping it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from neurosim.activity import Activity
from neurosim.analysis.classification import confusion_matrix
from neurosim.analysis.spikes import population_summary
from neurosim.errors import UserError
from neurosim.experiment.control_report import control_sections, is_control
from neurosim.experiment.report_page import (
    ReportPage,
    RunLike,
    format_values,
    markdown_table,
    metric_values,
    npz_loader,
)
from neurosim.plotting import (
    plot_confusion_matrices,
    plot_learning_curves,
    plot_metric_comparison,
    plot_raster,
    plot_receptive_fields,
)

RASTER_PRESENTATIONS = 8  # enough to see selectivity, few enough to see single spikes

# What to look for in each figure, written under it.
_CURVES_CAPTION = (
    "Validation accuracy against training samples seen (log scale; labels marked '(train)' log"
    " training accuracy only). Thin lines: seeds; thick: their mean. Look for how many samples"
    " each learner needs to reach its plateau, not only where it ends."
)
_RF_CAPTION = (
    "Each square is one unit's input weights drawn as an image, on its own colour scale (dark ="
    " strong); the number, where shown, is the label the unit votes for. Plasticity without labels"
    " should learn varied, clean digit prototypes; blurred or repeated shapes mean units that did"
    " not specialise."
)
_RASTER_CAPTION = (
    "One dot per spike; blue lines mark stimulus onsets, with the presented label above. In a"
    " winner-take-all circuit a few excitatory neurons should fire for each digit, and different"
    " ones for different digits, while inhibition fires with every stimulus."
)
_CONFUSION_CAPTION = (
    "Test predictions summed over seeds; each row is one true class, normalised to 100 %. The"
    " diagonal is per-class recall; bright off-diagonal cells show which classes a learner"
    " confuses (for digits typically 3, 5 and 8, or 1 and 7)."
)


class StoreLike(Protocol):
    def runs(self, experiment: str | None = None) -> Sequence[RunLike]: ...


def write_report(
    store: StoreLike, experiment: str, out_dir: Path, description: str | None = None
) -> Path:
    """Write out_dir/report.md and its PNGs for all stored runs of `experiment`; return its path."""
    records = list(store.runs(experiment))
    if not records:
        raise UserError(f"no runs are stored for experiment '{experiment}'")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = ReportPage(out_dir)
    groups = group_runs(records)
    report.add(f"# {experiment}\n")
    if description:
        report.add(description.strip() + "\n")
    tasks = sorted({r.task for r in records})
    seeds = sorted({r.seed for r in records})
    report.add(
        f"{len(records)} runs: {len(groups)} learner configurations on task "
        f"{', '.join(tasks)}, seeds {', '.join(map(str, seeds))}. Values are mean ± sd over seeds "
        "(sample sd; none shown for a single seed).\n"
    )
    classification = {name: runs for name, runs in groups.items() if not is_control(runs)}
    control = {name: runs for name, runs in groups.items() if is_control(runs)}
    if classification:
        for section in (
            _results,
            _accuracy_figure,
            _learning_curves,
            _receptive_fields,
            _rasters,
            _confusions,
        ):
            section(report, classification)
    if control:
        control_sections(report, control)
    _timings(report, groups)
    _run_ids(report, groups)
    if report.notes:
        report.add("## Notes\n\n" + "\n".join(f"- {note}" for note in report.notes) + "\n")
    path = out_dir / "report.md"
    path.write_text("\n".join(report.lines))
    return path


def group_runs(records: Sequence[RunLike]) -> dict[str, list[RunLike]]:
    """Runs that differ only by seed, under one display name, in the order the store gives them.

    The name is the label, plus the task when there are several, plus the settings that tell
    apart runs sharing a label (a grid sweep), e.g. "mlp-adam [lr=0.003]".
    """
    several_tasks = len({r.task for r in records}) > 1
    options: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        seen = options.setdefault((r.task, r.label), [])
        if _settings(r) not in seen:
            seen.append(_settings(r))
    groups: dict[str, list[RunLike]] = {}
    for r in records:
        name = f"{r.label} ({r.task})" if several_tasks else r.label
        seen = options[(r.task, r.label)]
        if len(seen) > 1:
            settings = _settings(r)
            keys = sorted({k for o in seen for k in o})
            varying = [k for k in keys if any(o.get(k) != settings.get(k) for o in seen)]
            name += " [" + ", ".join(f"{k}={settings.get(k)}" for k in varying) + "]"
        groups.setdefault(name, []).append(r)
    return {name: sorted(runs, key=lambda r: r.seed) for name, runs in groups.items()}


def _settings(run: RunLike) -> dict[str, object]:
    """Everything but the seed that decides a run's result, flat: params, budget.*, task.*."""
    config = run.config
    return {
        **config.get("params", {}),
        **{f"budget.{k}": v for k, v in config.get("budget", {}).items()},
        **{f"task.{k}": v for k, v in config.get("task_params", {}).items()},
    }


def _test_metrics(groups: dict[str, list[RunLike]]) -> list[str]:
    """Test metrics in the order first seen, accuracy first."""
    names = [m for runs in groups.values() for r in runs for m in r.metrics.get("test", {})]
    return sorted(dict.fromkeys(names), key=lambda m: m != "accuracy")


def _results(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    metrics = _test_metrics(groups)
    with_val = any(metric_values(runs, "val", "accuracy") for runs in groups.values())
    headers = ["label", "learner", "task", "seeds", *(f"test {m}" for m in metrics)]
    headers += ["val accuracy"] * with_val + ["fit time (s)"]
    rows = []
    for name, runs in groups.items():
        row = [name, runs[0].learner, runs[0].task, len(runs)]
        row += [format_values(m, metric_values(runs, "test", m)) for m in metrics]
        row += [format_values("accuracy", metric_values(runs, "val", "accuracy"))] * with_val
        row.append(
            format_values("fit_s", [r.timings["fit_s"] for r in runs if "fit_s" in r.timings])
        )
        rows.append(row)
    report.add("## Results\n\n" + markdown_table(headers, rows))


def _accuracy_figure(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    accuracy = {name: metric_values(runs, "test", "accuracy") for name, runs in groups.items()}
    accuracy = {name: values for name, values in accuracy.items() if values}
    others = [m for m in _test_metrics(groups) if m != "accuracy" and m.endswith("accuracy")]
    extra = {m: {n: metric_values(runs, "test", m) for n, runs in groups.items()} for m in others}
    if not accuracy and not any(v for per in extra.values() for v in per.values()):
        return
    extra = {m: {n: v for n, v in per.items() if v} for m, per in extra.items()}
    fig = plot_metric_comparison(accuracy, "test accuracy", extra=extra or None)
    caption = "Bars: mean test accuracy over seeds, error bars ± sd, dots: single seeds." + (
        f" Hatched bars: {', '.join(others)} (a linear readout trained on the learned"
        " representation), which separates what the network learned from how its own"
        " readout uses it."
        if others
        else ""
    )
    report.add("## Accuracy\n")
    report.figure(fig, "accuracy", "test accuracy per label", caption)


def _learning_curves(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    curves = {}
    for name, runs in groups.items():
        rows = [row for r in runs for row in r.history]
        # the column with the most points: a learner that can only score its validation split
        # at the end (stdp-wta) is better shown by its online training accuracy
        counts = {k: sum(k in row for row in rows) for k in ("val_accuracy", "train_accuracy")}
        key = max(counts, key=counts.get)
        if counts[key] == 0:
            continue
        label = name if key == "val_accuracy" else f"{name} (train)"
        curves[label] = [
            (
                np.array([row["samples"] for row in r.history if key in row and "samples" in row]),
                np.array([row[key] for row in r.history if key in row and "samples" in row]),
            )
            for r in runs
        ]
    if not curves:
        return
    fig = plot_learning_curves(curves, "training samples seen", "accuracy", percent=True)
    report.add("## Learning curves\n")
    report.figure(fig, "learning_curves", "learning curves", _CURVES_CAPTION)


def _receptive_fields(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    drawn = False
    for name, runs in groups.items():
        data = report.load(runs[0], "receptive_fields.npz", _RECEPTIVE_FIELDS)
        if data is None:
            continue
        if not drawn:
            report.add("## Receptive fields\n")
            drawn = True
        fig = plot_receptive_fields(
            data["weights"],
            tuple(data["image_shape"]),
            assignments=data.get("assignments"),
            title=f"{name}, seed {runs[0].seed}",
        )
        report.figure(fig, f"receptive_fields_{name}", f"receptive fields of {name}", _RF_CAPTION)


def _rasters(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    drawn = False
    for name, runs in groups.items():
        activity = report.load(runs[0], "activity_test_digits.npz", Activity.load)
        if activity is None or not activity.spikes:
            continue
        if not drawn:
            report.add("## Spiking activity\n")
            drawn = True
        onsets = np.asarray(activity.meta.get("onsets", []), dtype=np.float64)
        if len(onsets):
            t0 = float(onsets[0])
            t1 = float(onsets[RASTER_PRESENTATIONS]) if len(onsets) > RASTER_PRESENTATIONS else None
        else:
            t0 = min(float(s.times.min()) for s in activity.spikes.values() if len(s.times))
            t1 = t0 + 2.0
        populations = [p for p in ("exc", "inh") if p in activity.spikes] or list(activity.spikes)
        fig = plot_raster(
            activity, populations, t0=t0, t1=t1, title=f"{name}, seed {runs[0].seed}, test digits"
        )
        report.figure(fig, f"raster_{name}", f"spike raster of {name}", _RASTER_CAPTION)
        _spike_statistics(report, activity)


def _spike_statistics(report: ReportPage, activity: Activity) -> None:
    onsets = np.asarray(activity.meta.get("onsets", []), dtype=np.float64)
    ends = [s.times.max() for s in activity.spikes.values() if len(s.times)]
    if not ends:
        return
    t0 = float(onsets[0]) if len(onsets) else 0.0
    gaps = np.diff(onsets)
    window = float(np.median(gaps)) if len(gaps) else max((max(ends) - t0) / 10, 1e-3)
    t1 = max(float(onsets[-1]) + window if len(onsets) else 0.0, max(ends) + 1e-9)
    summary = population_summary(activity, t0, t1, window)
    rows = [
        [
            pop,
            int(s["units"]),
            f"{s['rate_hz']:.2f}",
            f"{100 * s['active_fraction']:.0f} %",
            f"{s['median_cv']:.2f}",
            f"{s['median_fano']:.2f}",
        ]
        for pop, s in summary.items()
    ]
    report.add(
        markdown_table(
            [
                "population",
                "units",
                "mean rate (Hz)",
                "units that fired",
                "median ISI CV",
                f"median Fano ({1e3 * window:.0f} ms windows)",
            ],
            rows,
        )
    )
    report.add(
        "*Over the whole recording. ISI CV is about 1 for Poisson-like firing and 0 for clockwork;"
        " a Fano factor well above 1 over one-presentation windows means counts that depend on the"
        " stimulus (selectivity).*\n"
    )


def _confusions(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    matrices = {}
    for name, runs in groups.items():
        predictions = [p for r in runs if (p := report.load(r, "predictions.npz", _PREDICTIONS))]
        if not predictions:
            continue
        n_classes = 1 + max(
            int(max(np.max(p["y_true"], initial=0), np.max(p["y_pred"], initial=0)))
            for p in predictions
        )
        matrices[name] = sum(
            confusion_matrix(p["y_true"], p["y_pred"], n_classes) for p in predictions
        )
    if not matrices:
        return
    report.add("## Confusion matrices\n")
    report.figure(
        plot_confusion_matrices(matrices), "confusion", "confusion matrices", _CONFUSION_CAPTION
    )


def _timings(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    keys = list(dict.fromkeys(k for runs in groups.values() for r in runs for k in r.timings))
    if not keys:
        return
    rows = [
        [
            name,
            *(format_values(k, [r.timings[k] for r in runs if k in r.timings]) for k in keys),
        ]
        for name, runs in groups.items()
    ]
    report.add("## Timings (s)\n\n" + markdown_table(["label", *keys], rows))


def _run_ids(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    """Every run with its headline figure: test accuracy, or final return on control tasks."""
    rows = [
        [
            f"`{r.run_id}`",
            name,
            r.task,
            r.seed,
            format_values("accuracy", metric_values([r], "test", "accuracy"))
            if "test" in r.metrics
            else format_values("mean_return", metric_values([r], "eval", "mean_return")),
        ]
        for name, runs in groups.items()
        for r in runs
    ]
    report.add(
        "## Runs\n\n"
        + markdown_table(["run id", "label", "task", "seed", "test accuracy / return"], rows)
    )


_PREDICTIONS = npz_loader("y_true", "y_pred")
_RECEPTIVE_FIELDS = npz_loader("weights", "image_shape")
