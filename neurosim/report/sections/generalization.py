"""Sections of the generalization lab (`digits-lab` tasks, which score "train" beside val and
test): capacity (train and test accuracy against model size, the gap per learner), double descent
(test error against size with the interpolation threshold marked), memorisation (what randomised
training labels do to mlp and to the plasticity learners' readouts) and regularisers (a table
against "none", paired by seed, and train/val curves).

Groups are sorted into these by what they ran, never by task name: a size read from the
learner's parameters, the task's `label_noise`, a regulariser's label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from neurosim.analysis.generalization import FIT_THRESHOLD, epochs_to_fit, interpolation_width
from neurosim.plotting.generalization import Curve, Panel, Series, plot_curves, plot_panels
from neurosim.report.chance import chance_level
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Heading, Note, Table
from neurosim.report.grouping import RunGroup, RunLike
from neurosim.report.section import section

# learner -> the parameter that sets its size, as the axis names it
SIZE_AXES = {"mlp": "hidden width", "stdp-wta": "n_neurons", "random-features": "n_features"}
CAPACITY_LEARNERS = ("mlp", "stdp-wta")
DOUBLE_DESCENT_LEARNERS = ("random-features", "mlp")
REGULARISERS = ("none", "l1", "l2", "dropout", "early-stopping", "augmentation", "batch-norm")
AUGMENT_FIELDS = ("augment_shift_px", "augment_rotation_deg")
# (readout, metric): every classifier's accuracy; stdp-wta's linear probe beside its vote
READOUTS = (("", "accuracy"), ("probe", "probe_accuracy"))


def scored_on_train(group: RunGroup) -> bool:
    return group.family == "classification" and group.has_split("train")


def _params(group: RunGroup) -> dict[str, Any]:
    return group.runs[0].config.get("params", {})


def size_of(group: RunGroup) -> float | None:
    """The model size the lab sweeps: mlp's first hidden width, stdp-wta's n_neurons,
    random-features' n_features; None for other learners (or an mlp without hidden layers)."""
    params = _params(group)
    if group.learner == "mlp":
        hidden = params.get("hidden") or []
        return float(hidden[0]) if hidden else None
    if group.learner == "stdp-wta":
        return _number(params.get("n_neurons"))
    if group.learner == "random-features":
        return _number(params.get("n_features"))
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def depth_of(group: RunGroup) -> int:
    """Hidden layers of an mlp (1 for other learners)."""
    return len(_params(group).get("hidden") or [0]) if group.learner == "mlp" else 1


def label_noise(group: RunGroup) -> float:
    return float(group.runs[0].config.get("task_params", {}).get("label_noise", 0.0))


def n_train(run: RunLike) -> int | None:
    """Training images, from the History: samples after the first epoch (one row, without
    epochs, for a learner fitted once)."""
    for row in run.history:
        if row.get("epoch", 1) == 1 and "samples" in row:
            return int(row["samples"])
    return None


def _colors(names: Sequence[str]) -> dict[str, str]:
    return {name: f"C{i % 10}" for i, name in enumerate(dict.fromkeys(names))}


def _by_seed(group: RunGroup, split: str, metric: str) -> dict[int, float]:
    return {
        run.seed: run.metrics[split][metric]
        for run in group.runs
        if metric in run.metrics.get(split, {})
    }


def gaps(group: RunGroup, metric: str = "accuracy") -> list[float]:
    """Per seed: train minus test `metric`."""
    train, test = _by_seed(group, "train", metric), _by_seed(group, "test", metric)
    return [train[s] - test[s] for s in train if s in test]


def _pp(values: Sequence[float], signed: bool = False) -> str:
    """Mean ± sd of fractions in percentage points; "–" for none."""
    values = 100 * np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if not len(values):
        return "–"
    text = f"{np.mean(values):+.1f}" if signed else f"{np.mean(values):.1f}"
    return text if len(values) < 2 else f"{text} ± {np.std(values, ddof=1):.1f}"


# ------------------------------------------------------------------ sweeps of size


Line = list[tuple[float, RunGroup]]  # (x, group) sorted by x


def lines_by(
    groups: Sequence[RunGroup],
    x_of: Callable[[RunGroup], float | None],
    name_of: Callable[[RunGroup], str],
) -> dict[str, Line]:
    """Groups joined into lines by `name_of`, ordered by `x_of`; lines with fewer than two
    distinct x are not sweeps and are left out."""
    lines: dict[str, Line] = {}
    for group in groups:
        x = x_of(group)
        if x is not None:
            lines.setdefault(name_of(group), []).append((x, group))
    return {
        name: sorted(points, key=lambda p: p[0])
        for name, points in lines.items()
        if len({x for x, _ in points}) > 1
    }


def _size_line_name(group: RunGroup) -> str:
    parts = [group.label]
    if group.learner == "mlp" and depth_of(group) > 1:
        parts.append(f"depth {depth_of(group)}")
    noise = label_noise(group)
    if noise:
        parts.append(f"{noise:.0%} random labels")
    return parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


def _series(
    name: str, line: Line, split: str, metric: str, style: str, color: str, error: bool = False
) -> Series:
    per_x = [
        np.array([1 - v if error else v for v in g.values(split, metric)] or [np.nan])
        for _, g in line
    ]
    return Series(name, np.array([x for x, _ in line]), per_x, style, color)


def _readouts(line: Line) -> list[tuple[str, str]]:
    """The (readout, metric) pairs every group of a line reports on train and test."""
    return [
        (readout, metric)
        for readout, metric in READOUTS
        if all(g.values("train", metric) and g.values("test", metric) for _, g in line)
    ]


@section("capacity", "Capacity: accuracy against model size", 210, applies=scored_on_train)
def capacity(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    chosen = [g for g in groups if g.learner in CAPACITY_LEARNERS and label_noise(g) == 0]
    lines = lines_by(chosen, size_of, lambda g: f"{_size_line_name(g)} on {g.task}")
    chance = chance_level(context, chosen)
    colors = _colors(lines)
    panels, rows = [], []
    for learner in CAPACITY_LEARNERS:
        series = []
        for name, line in lines.items():
            if line[0][1].learner != learner:
                continue
            for readout, metric in _readouts(line):
                shown = f"{name}, {readout}" if readout else name
                color = colors[name] if not readout else _darker(colors[name])
                series.append(_series(f"{shown}: train", line, "train", metric, "-", color))
                series.append(_series(f"{shown}: test", line, "test", metric, "--", color))
                rows += _gap_rows(name, line, readout or "–", metric)
        if series:
            xlabel = SIZE_AXES[learner] + " (log scale)"
            panels.append(Panel(learner, xlabel, "accuracy", series, chance=chance))
    depth_panel, depth_rows = _depth_panel(chosen, chance)
    if depth_panel is not None:
        panels.append(depth_panel)
        rows += depth_rows
    if not panels:
        return []
    fig = plot_panels(panels)
    caption = (
        "Train (solid) and test (dashed) accuracy against model size on the same splits: mlp"
        " against its hidden width (and, where the spec sweeps it, its number of hidden layers"
        " of one width), stdp-wta against its number of excitatory neurons (vote"
        " readout, and in a darker shade its linear probe on spike counts). Lines: mean over"
        " seeds, band: ± sd; dashed grey: chance. The vertical distance between a line's solid"
        " and dashed curves is its generalization gap (table below)."
    )
    alt = "train and test accuracy against model size"
    headers = ["line", "readout", "size", "seeds", "train (%)", "test (%)", "gap (pp)"]
    note = (
        "Gap = train − test accuracy, per seed, then mean ± sd over seeds (percentage points)."
        " A model that fits its training set and generalizes has a small gap at high train"
        " accuracy; a gap that grows with size is overfitting."
    )
    return [
        Figure.from_matplotlib(fig, "capacity", alt, caption),
        Heading("Generalization gap per learner and size", 4),
        Table(headers, rows),
        Note(note),
    ]


def _depth_panel(
    groups: Sequence[RunGroup], chance: float | None
) -> tuple[Panel | None, list[list[Any]]]:
    """mlp labels swept over the number of hidden layers (at one width): accuracy against
    depth, and their gap rows (size written as layers x width)."""

    def width(group: RunGroup) -> str:
        return f"width {size_of(group):g}"

    mlps = [g for g in groups if g.learner == "mlp" and size_of(g) is not None]
    lines = lines_by(
        mlps, lambda g: float(depth_of(g)), lambda g: f"{g.label} ({width(g)}) on {g.task}"
    )
    if not lines:
        return None, []
    colors = _colors([f"depth:{name}" for name in lines])
    series, rows = [], []
    for name, line in lines.items():
        color = colors[f"depth:{name}"]
        series.append(_series(f"{name}: train", line, "train", "accuracy", "-", color))
        series.append(_series(f"{name}: test", line, "test", "accuracy", "--", color))
        rows += [
            [name, "–", f"{x:g} layers", *row[3:]]
            for (x, _), row in zip(line, _gap_rows(name, line, "–", "accuracy"), strict=True)
        ]
    panel = Panel("mlp depth", "hidden layers", "accuracy", series, logx=False, chance=chance)
    return panel, rows


_DARKER = {"C0": "navy", "C1": "saddlebrown", "C2": "darkgreen", "C3": "darkred", "C4": "indigo"}


def _darker(color: str) -> str:
    """A darker partner of a line's colour, for stdp-wta's probe beside its vote."""
    return _DARKER.get(color, "k")


def _gap_rows(name: str, line: Line, readout: str, metric: str) -> list[list[Any]]:
    rows = []
    for x, group in line:
        rows.append(
            [
                name,
                readout,
                f"{x:g}",
                len(group.runs),
                _pp(group.values("train", metric)),
                _pp(group.values("test", metric)),
                _pp(gaps(group, metric), signed=True),
            ]
        )
    return rows


# ------------------------------------------------------------------ double descent


def threshold_of(group: RunGroup) -> tuple[str, float] | None:
    """Where the model can just interpolate its training set: n_features = n_train for random
    features; for an mlp of one hidden layer the width whose parameter count equals
    n_train x classes (Belkin et al. 2019's threshold for networks)."""
    n = n_train(group.runs[0])
    if n is None:
        return None
    if group.learner == "random-features":
        return f"n_features = n_train = {n}", float(n)
    if group.learner == "mlp" and depth_of(group) == 1:
        width = interpolation_width(n, 64, 10)
        return f"parameters = n_train × 10 (width {width:.0f})", width
    return None


@section(
    "double-descent",
    "Double descent: test error against model size",
    215,
    applies=scored_on_train,
)
def double_descent(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    chosen = [g for g in groups if g.learner in DOUBLE_DESCENT_LEARNERS and depth_of(g) == 1]
    lines = lines_by(chosen, size_of, lambda g: f"{_size_line_name(g)} on {g.task}")
    if not lines:
        return []
    colors = _colors(lines)
    panels, rows = [], []
    for learner in DOUBLE_DESCENT_LEARNERS:
        mine = {name: line for name, line in lines.items() if line[0][1].learner == learner}
        if not mine:
            continue
        series, marks = [], {}
        for name, line in mine.items():
            color = colors[name]
            series.append(_series(f"{name}: test", line, "test", "accuracy", "-", color, True))
            series.append(_series(f"{name}: train", line, "train", "accuracy", ":", color, True))
            threshold = threshold_of(line[0][1])
            if threshold is not None:
                marks[threshold[0]] = threshold[1]
                rows.append(_descent_row(name, line, threshold[1]))
        xlabel = SIZE_AXES[learner] + " (log scale)"
        panels.append(Panel(learner, xlabel, "error (1 − accuracy)", series, marks=marks))
        mse = {n: line for n, line in mine.items() if line[0][1].values("test", "onehot_mse")}
        if mse:
            mse_series = [
                _series(f"{n}: test", line, "test", "onehot_mse", "-", colors[n])
                for n, line in mse.items()
            ]
            panels.append(
                Panel(
                    f"{learner}: squared error",
                    xlabel,
                    "test one-hot squared error (log scale)",
                    mse_series,
                    percent=False,
                    logy=True,
                    marks=marks,
                )
            )
    fig = plot_panels(panels)
    caption = (
        "Test error (solid) and train error (dotted) against model size, mean ± sd over seeds;"
        " dotted vertical: the interpolation threshold (random features: as many features as"
        " training images; mlp: as many parameters as training labels × classes). Double"
        " descent (Belkin et al. 2019) is a test error that falls, peaks at the threshold, where"
        " the model just interpolates (train error reaches 0), and falls again beyond it. The"
        " squared-error panel is what least squares minimises; its peak is sharper."
    )
    headers = [
        "line",
        "threshold",
        "train ≥ 99 % from",
        "test error below (%)",
        "at threshold (%)",
        "above (%)",
        "double descent",
    ]
    note = (
        "Below / above: the lowest mean test error at sizes under half / over twice the"
        " threshold; at threshold: the swept size nearest it (in log scale). Train ≥ 99 % from:"
        " the smallest size whose mean train accuracy reaches 99 % (where it interpolates in"
        " practice; an mlp trained for a fixed budget may get there later than its parameter"
        " count says). Double descent: yes when the error at the threshold exceeds both by more"
        " than the seeds' sd there (two seeds or more)."
    )
    alt = "test error against model size with the interpolation threshold marked"
    return [
        Figure.from_matplotlib(fig, "double_descent", alt, caption),
        Table(headers, rows),
        Note(note),
    ]


def _descent_row(name: str, line: Line, threshold: float) -> list[Any]:
    xs = np.array([x for x, _ in line])
    errors = [np.array([1 - v for v in g.values("test", "accuracy")]) for _, g in line]
    means = np.array([e.mean() if len(e) else np.nan for e in errors])
    at = int(np.argmin(np.abs(np.log(xs) - np.log(threshold))))
    below, above = means[xs < threshold / 2], means[xs > threshold * 2]
    sd = float(np.std(errors[at], ddof=1)) if len(errors[at]) > 1 else 0.0

    def cell(values: np.ndarray) -> str:
        return f"{100 * np.nanmin(values):.1f}" if len(values) else "–"

    verdict = "–"
    if min(len(e) for e in errors) < 2:
        verdict = "– (one seed)"
    elif len(below) and len(above):
        peak = means[at]
        verdict = "yes" if peak - np.nanmin(below) > sd and peak - np.nanmin(above) > sd else "no"
    at_text = f"{100 * means[at]:.1f} ± {100 * sd:.1f} (size {xs[at]:g})"
    fitted = [x for x, g in line if np.mean(g.values("train", "accuracy")) >= FIT_THRESHOLD]
    fits_from = f"{fitted[0]:g}" if fitted else "–"
    return [name, f"{threshold:.0f}", fits_from, cell(below), at_text, cell(above), verdict]


# ------------------------------------------------------------------ memorisation


@section(
    "memorisation",
    "Memorisation: randomised training labels",
    220,
    applies=scored_on_train,
)
def memorisation(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    lines = lines_by(groups, label_noise, lambda g: f"{g.label} on {g.task}")
    if not lines:
        return []
    chance = chance_level(context, [g for line in lines.values() for _, g in line])
    colors = _colors(lines)
    train, test, fit, rows = [], [], [], []
    for name, line in lines.items():
        for readout, metric in _readouts(line):
            shown = f"{name}, {readout}" if readout else name
            color = colors[name] if not readout else _darker(colors[name])
            style = "-" if not readout else "--"
            train.append(_series(shown, line, "train", metric, style, color))
            test.append(_series(shown, line, "test", metric, style, color))
            rows += _memorisation_rows(name, line, readout or "–", metric)
        epochs = [[_fit_epoch(run) for run in g.runs] for _, g in line]
        if any(e is not None for seeds in epochs for e in seeds):
            per_x = [np.array([np.nan if e is None else e for e in seeds]) for seeds in epochs]
            fit.append(Series(name, np.array([x for x, _ in line]), per_x, "-", colors[name]))
    xlabel = "fraction of training labels randomised"
    panels = [
        Panel(
            "train accuracy (labels trained on)",
            xlabel,
            "accuracy",
            train,
            logx=False,
            chance=chance,
        ),
        Panel("test accuracy (true labels)", xlabel, "accuracy", test, logx=False, chance=chance),
    ]
    if fit:
        panels.append(
            Panel(
                f"epochs to fit (train accuracy ≥ {FIT_THRESHOLD:.0%})",
                xlabel,
                "epochs",
                fit,
                percent=False,
                logx=False,
            )
        )
    caption = (
        "Zhang et al. 2017 on the digits: a fraction of the training labels is replaced by"
        " uniformly random classes (val and test labels stay true). Left: accuracy on the"
        " training set as trained (noisy labels); middle: test accuracy; right: the first epoch"
        " whose train accuracy reached 99 % (learners trained in epochs; seeds that never did are"
        " left out). Solid: each learner's own readout; dashed: stdp-wta's linear probe. Dashed"
        " grey: chance. A network that memorises keeps train accuracy near 100 % at every"
        " fraction while test accuracy falls to chance; an unsupervised circuit learns the same"
        " features whatever the labels, so only its readouts see them."
    )
    blocks: list[Block] = [
        Figure.from_matplotlib(
            plot_panels(panels, columns=3, width=4.6),
            "memorisation",
            "train accuracy, test accuracy and epochs to fit against the randomised fraction",
            caption,
        )
    ]
    curves = _fit_curves(lines)
    if curves:
        blocks.append(curves)
    headers = ["line", "readout", "randomised", "seeds", "train (%)", "test (%)", "epochs to fit"]
    note = (
        "Mean ± sd over seeds. Train accuracy is scored against the labels trained on (the"
        " randomised ones); test accuracy against the true labels. Epochs to fit: first epoch"
        " with train accuracy ≥ 99 % in the run's History, over the seeds that reached it."
    )
    return [*blocks, Table(headers, rows), Note(note)]


def _fit_epoch(run: RunLike) -> float | None:
    return epochs_to_fit(run.history)


def _memorisation_rows(name: str, line: Line, readout: str, metric: str) -> list[list[Any]]:
    rows = []
    for x, group in line:
        epochs = [e for run in group.runs if (e := _fit_epoch(run)) is not None]
        has_epochs = any("epoch" in row for run in group.runs for row in run.history)
        if epochs and readout == "–":
            fitted = f"{np.mean(epochs):.0f}"
            if len(epochs) > 1:
                fitted += f" ± {np.std(epochs, ddof=1):.0f}"
            if len(epochs) < len(group.runs):
                fitted += f" ({len(epochs)}/{len(group.runs)} seeds)"
        elif has_epochs and readout == "–":
            last = max(row.get("epoch", 0) for run in group.runs for row in run.history)
            fitted = f"not in {last:.0f}"
        else:
            fitted = "–"
        rows.append(
            [
                name,
                readout,
                f"{x:.0%}",
                len(group.runs),
                _pp(group.values("train", metric)),
                _pp(group.values("test", metric)),
                fitted,
            ]
        )
    return rows


def _fit_curves(lines: dict[str, Line]) -> Figure | None:
    """Train accuracy against epoch at each randomised fraction, for lines trained in epochs."""
    panels = []
    for name, line in lines.items():
        curves: dict[str, list[Curve]] = {}
        for x, group in line:
            runs = [_curve(run, "train_accuracy") for run in group.runs]
            runs = [c for c in runs if len(c[0]) > 1]
            if runs:
                curves[f"{x:.0%} random"] = runs
        if curves:
            panels.append((name, "train accuracy (labels trained on)", curves))
    if not panels:
        return None
    fractions = dict.fromkeys(k for _, _, c in panels for k in c)
    colors = {label: f"C{i}" for i, label in enumerate(fractions)}
    fig = plot_curves(panels, colors)
    caption = (
        "Train accuracy during training at each randomised fraction (thin: seeds, thick: mean)."
        " Zhang et al. 2017 found random labels fitted more slowly but fitted all the same."
    )
    return Figure.from_matplotlib(
        fig, "memorisation_curves", "train accuracy against epoch", caption
    )


def _curve(run: RunLike, key: str) -> Curve:
    rows = [r for r in run.history if "epoch" in r and key in r]
    return np.array([r["epoch"] for r in rows]), np.array([r[key] for r in rows])


# ------------------------------------------------------------------ regularisers


def regulariser(group: RunGroup) -> bool:
    return group.learner == "mlp" and group.label in REGULARISERS


def _reference(group: RunGroup, nones: Sequence[RunGroup]) -> RunGroup | None:
    """The "none" group on the same task, else on a task that differs only by augmentation."""
    for none in nones:
        if none.task == group.task:
            return none
    mine = _without_augmentation(group)
    return next((none for none in nones if _without_augmentation(none) == mine), None)


def _without_augmentation(group: RunGroup) -> dict[str, Any]:
    params = group.runs[0].config.get("task_params", {})
    return {k: v for k, v in params.items() if k not in AUGMENT_FIELDS}


@section(
    "regularisers",
    "Regularisers on a reduced, noisy training set",
    230,
    applies=lambda g: scored_on_train(g) and regulariser(g),
)
def regularisers(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    order = {name: i for i, name in enumerate(REGULARISERS)}
    chosen = sorted((g for g in groups if not g.grid), key=lambda g: (order[g.label], g.task))
    nones = [g for g in chosen if g.label == "none"]
    if not chosen:
        return []
    rows = []
    for group in chosen:
        none = _reference(group, nones)
        deltas = _paired(group, none) if none is not None and group is not none else []
        verdict = "–"
        if len(deltas) > 1:
            better = np.mean(deltas) > np.std(deltas, ddof=1)
            verdict = "yes" if better else "no"
        rows.append(
            [
                group.label,
                group.task,
                len(group.runs),
                _pp(group.values("test", "accuracy")),
                _pp(group.values("train", "accuracy")),
                _pp(gaps(group), signed=True),
                _pp(deltas, signed=True) if deltas else "–",
                verdict,
            ]
        )
    headers = [
        "regulariser",
        "task",
        "seeds",
        "test (%)",
        "train (%)",
        "gap (pp)",
        "test − none (pp)",
        "beats none by > sd",
    ]
    note = (
        "Mean ± sd over seeds. Test − none: per seed, this row's test accuracy minus the"
        " unregularised mlp's on the same split and seed (augmentation's reference is the none"
        " row on the same digits without augmentation); beats none by > sd: that difference's"
        " mean exceeds its sd over seeds. Train accuracy is scored against the labels trained"
        " on: with a share f of them randomised, a model that learned only the digits scores"
        " about (1 − f) + f/10 there (82 % at f = 0.2), so a negative gap means the noise was not"
        " memorised. Every row but early stopping keeps the last epoch's"
        " model (keep_best = false, patience = 0); early stopping keeps the best val model and"
        " stops after `patience` epochs without a better one."
    )
    blocks: list[Block] = [Table(headers, rows), Note(note)]
    colors = _colors([g.label for g in chosen])
    curves = [
        ("train accuracy", "train accuracy", {g.label: _runs(g, "train_accuracy") for g in chosen}),
        ("val accuracy", "val accuracy", {g.label: _runs(g, "val_accuracy") for g in chosen}),
    ]
    if any(c for _, _, per in curves for c in per.values()):
        caption = (
            "Train accuracy (left; on the epoch's training images, so augmented ones for"
            " augmentation) and val accuracy (right) per epoch: thin lines seeds, thick their"
            " mean. Early stopping's line ends where it stopped. A regulariser that helps keeps"
            " val accuracy higher late in training, usually by fitting the training set more"
            " slowly."
        )
        fig = plot_curves(curves, colors)
        alt = "train and val accuracy against epoch per regulariser"
        blocks.append(Figure.from_matplotlib(fig, "regulariser_curves", alt, caption))
    return blocks


def _paired(group: RunGroup, none: RunGroup) -> list[float]:
    mine, theirs = _by_seed(group, "test", "accuracy"), _by_seed(none, "test", "accuracy")
    return [mine[s] - theirs[s] for s in sorted(mine) if s in theirs]


def _runs(group: RunGroup, key: str) -> list[Curve]:
    return [c for run in group.runs if len((c := _curve(run, key))[0])]
