"""Sections of the classification family: results, accuracy, learning curves, what units learned,
and confusion matrices. They apply to groups scored on a "test" split."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure as MplFigure

from neurosim.analysis.classification import confusion_matrix
from neurosim.metrics import METRICS, format_value
from neurosim.plotting import (
    plot_confusion_matrices,
    plot_learning_curves,
    plot_metric_comparison,
    plot_receptive_fields,
)
from neurosim.report.chance import PREDICTIONS, chance_level
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Note, Table
from neurosim.report.grouping import RunGroup
from neurosim.report.headline import column_title
from neurosim.report.section import in_family, section
from neurosim.report.sweeps import find_sweeps

FAMILY = in_family("classification")
SPLIT = "test"

# the two learning-curve panels: held out, and scored on what is being learned
_CURVE_PANELS = {
    "val_accuracy": (
        "validation accuracy (held out)",
        "validation accuracy, on a split the learner never trains on",
    ),
    "train_accuracy": (
        "online training accuracy",
        "online training accuracy, on the samples as they are learned (the only curve of"
        " learners that can score a held-out split just once, at the end)",
    ),
}
_CURVES_CAPTION = (
    "Accuracy against training samples seen (log scale). {panels}. Thin lines: seeds; thick:"
    " their mean; dashed: chance. Look for how many samples each learner needs to reach its"
    " plateau, not only where it ends."
)
_UNSIGNED_RF_CAPTION = (
    "Each square is one unit's input weights drawn as an image, on its own colour scale (dark ="
    " strong); the number, where shown, is the label the unit votes for. Plasticity without"
    " labels should learn varied, clean digit prototypes; blurred or repeated shapes mean units"
    " that did not specialise."
)
_SIGNED_RF_CAPTION = (
    "Each square is one unit's input weights drawn as an image on one shared scale centred on"
    " zero: red pixels excite the unit, blue ones inhibit it, white leave it unmoved. Trained by"
    " gradients, these weights are contrasts (where a digit's strokes are and where they are"
    " not) rather than prototypes."
)
_CONFUSION_CAPTION = (
    "Test predictions summed over seeds; each row is one true class, normalised to 100 %. The"
    " diagonal is per-class recall; bright off-diagonal cells show which classes a learner"
    " confuses (for digits typically 3, 5 and 8, or 1 and 7)."
)


def _test_metrics(groups: Sequence[RunGroup]) -> list[str]:
    """Test metrics in the order first seen."""
    return list(dict.fromkeys(m for g in groups for r in g.runs for m in r.metrics.get(SPLIT, {})))


@section("results", "Results", 100, applies=FAMILY)
def results(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    metrics = _test_metrics(groups)
    with_val = any(g.values("val", "accuracy") for g in groups)
    headers = ["label", "learner", "task", "seeds"]
    headers += [column_title(SPLIT, m) for m in metrics]
    headers += [column_title("val", "accuracy")] * with_val + [METRICS.get("fit_s").title]
    rows = [
        [
            group.title,
            group.learner,
            group.task,
            len(group.runs),
            *(format_value(m, group.values(SPLIT, m)) for m in metrics),
            *[format_value("accuracy", group.values("val", "accuracy"))] * with_val,
            format_value("fit_s", group.timings("fit_s")),
        ]
        for group in groups
    ]
    described = [METRICS.get(m) for m in metrics]
    legend = "; ".join(f"{m.name}: {m.description}" for m in described if m.description)
    return [Table(headers, rows)] + ([Note(legend + ".")] if legend else [])


@section("accuracy", "Accuracy", 200, applies=FAMILY)
def accuracy(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    """Bars for groups that are not points of a numeric sweep (those get the sweep figure)."""
    swept = {id(g) for sweep in find_sweeps(groups) for g in sweep.groups}
    groups = [g for g in groups if id(g) not in swept]
    others = [m for m in _test_metrics(groups) if m != "accuracy" and METRICS.get(m).unit == "%"]
    values = {g.title: g.values(SPLIT, "accuracy") for g in groups if g.values(SPLIT, "accuracy")}
    extra = {m: {g.title: g.values(SPLIT, m) for g in groups if g.values(SPLIT, m)} for m in others}
    extra = {m: per_group for m, per_group in extra.items() if per_group}
    if not values and not extra:
        return []
    chance = chance_level(context, groups)
    fig = plot_metric_comparison(
        values,
        f"{SPLIT} accuracy",
        references={"chance": chance} if chance else None,
        extra=extra or None,
    )
    caption = "Bars: mean test accuracy over seeds, error bars ± sd, dots: single seeds."
    if chance:
        caption += f" Dashed: chance ({100 * chance:.0f} %, one class in {round(1 / chance)})."
    if extra:
        caption += (
            f" Hatched bars: {', '.join(extra)} ({METRICS.get(next(iter(extra))).description}),"
            " which separates what the network learned from how its own readout uses it."
        )
    return [Figure.from_matplotlib(fig, "accuracy", "test accuracy per label", caption)]


@section("learning-curves", "Learning curves", 300, applies=FAMILY)
def learning_curves(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    """Validation and online training accuracy in separate panels: the first is held out, the
    second is scored on what is being learned, so one line of each would not compare."""
    panels = {
        key: {
            group.title: [_curve(run.history, key) for run in group.runs]
            for group in groups
            if any(key in row and "samples" in row for run in group.runs for row in run.history)
        }
        for key in _CURVE_PANELS
    }
    panels = {key: curves for key, curves in panels.items() if curves}
    if not panels:
        return []
    colors = {group.title: f"C{i % 10}" for i, group in enumerate(groups)}
    chance = chance_level(context, groups)
    fig = MplFigure(figsize=(6.2 * len(panels), 4.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True))
    for ax, (key, curves) in zip(axes, panels.items(), strict=True):
        plot_learning_curves(
            curves,
            "training samples seen",
            "accuracy",
            percent=True,
            ax=ax,
            colors=colors,
            chance=chance,
            title=_CURVE_PANELS[key][0],
        )
    texts = [_CURVE_PANELS[key][1] for key in panels]
    described = f"Left: {texts[0]}; right: {texts[1]}" if len(texts) == 2 else f"Shown: {texts[0]}"
    caption = _CURVES_CAPTION.format(panels=described)
    return [Figure.from_matplotlib(fig, "learning_curves", "learning curves", caption)]


def _curve(history: list[dict[str, float]], key: str) -> tuple[np.ndarray, np.ndarray]:
    rows = [row for row in history if key in row and "samples" in row]
    return np.array([row["samples"] for row in rows]), np.array([row[key] for row in rows])


@section(
    "receptive-fields",
    "Receptive fields",
    400,
    applies=FAMILY,
    needs=("receptive_fields",),
)
def receptive_fields(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    blocks: list[Block] = []
    for group in groups:
        run = group.runs[0]
        for entry in context.entries(run, "receptive_fields"):
            data = context.load(run, entry, ("weights", "image_shape"))
            if data is None:
                continue
            # runs stored before typed artifacts did not say; trained (signed) layers go negative
            signed = bool(entry.meta.get("signed", np.min(data["weights"]) < 0))
            fig = plot_receptive_fields(
                data["weights"],
                tuple(data["image_shape"]),
                assignments=data.get("assignments"),
                title=f"{group.title}, seed {run.seed}",
                signed=signed,
            )
            caption = _SIGNED_RF_CAPTION if signed else _UNSIGNED_RF_CAPTION
            alt = f"receptive fields of {group.title}"
            blocks.append(
                Figure.from_matplotlib(fig, f"receptive_fields_{group.name}", alt, caption)
            )
            break
    return blocks


@section("confusion", "Confusion matrices", 420, applies=FAMILY, needs=("predictions",))
def confusions(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    matrices = {}
    for group in groups:
        predictions = [
            data
            for run in group.runs
            for entry in context.entries(run, "predictions", split=SPLIT)
            if (data := context.load(run, entry, PREDICTIONS)) is not None
        ]
        if not predictions:
            continue
        n_classes = 1 + max(
            int(max(np.max(p["y_true"], initial=0), np.max(p["y_pred"], initial=0)))
            for p in predictions
        )
        matrices[group.title] = sum(
            confusion_matrix(p["y_true"], p["y_pred"], n_classes) for p in predictions
        )
    if not matrices:
        return []
    fig = plot_confusion_matrices(matrices)
    return [Figure.from_matplotlib(fig, "confusion", "confusion matrices", _CONFUSION_CAPTION)]
