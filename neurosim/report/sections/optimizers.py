"""Sections of the optimizer comparison: each optimizer at its best learning rate of a small grid,
with the whole grid beside it (how sensitive it is to its rate) and its learning curves; and, on
Wilson et al. 2017's separable construction, each optimizer's test error beside the paper's claim
(gradient descent ≈ 0, adaptive methods = the minority fraction).

The comparison reads the lr sweeps `neurosim.report.sweeps` finds: one line per label (plus any
other grid setting), each grid point a group over seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neurosim.metrics import format_value
from neurosim.plotting.optimizers import CurvePanel, plot_against_lr, plot_optimizer_curves
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Heading, Note, Table
from neurosim.report.grouping import RunGroup, quantity
from neurosim.report.section import section
from neurosim.report.sweeps import Sweep, find_sweeps
from neurosim.tasks.wilson import WilsonParams, n_positive

LR = "lr"
# neurosim.deep.optimizers.OPTIMIZERS, in its order (the report stays free of torch)
OPTIMIZER_ORDER = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
ADAPTIVE = frozenset({"adagrad", "rmsprop", "adam"})
WILSON_TASK = "wilson-separable"
AGREEMENT_PP = 2.0  # |test error - claim| within this many percentage points counts as agreeing

_TABLE_NOTE = (
    "Each line's best learning rate is the grid point with the highest mean {select} accuracy"
    " over seeds{caveat}; test accuracy and final train loss (the last epoch's mean training loss)"
    " are at that rate, mean ± sd over seeds. The last column gives the mean {select} accuracy (%)"
    " at every rate of the grid, and spread is best minus worst of those means (pp): a small"
    " spread is an optimizer that forgives a poorly chosen rate."
)
_NO_VAL = " (the task has no val split, so the rate is chosen on test: an optimistic figure)"
_SENSITIVITY_CAPTION = (
    "How sensitive each optimizer is to its learning rate: {split} accuracy at every rate of its"
    " grid (dots: seeds, line: their mean; log x). A flat line forgives a poorly chosen rate; a"
    " best rate at the edge of the grid says the grid may not hold the optimum."
)
_CURVES_CAPTION = (
    "Learning curves of each line at its best learning rate (the table's): {panels} against"
    " epochs, thin lines single seeds, thick their mean. Every run had the same budget. Look at"
    " how fast each optimizer gets there and whether the curves flatten at the same level."
)
_WILSON_NOTE = (
    "Test error = 100 − test accuracy (%), mean ± sd over seeds, per optimizer and learning rate;"
    " train loss: the last step's mean squared error on ±1 targets. Wilson et al. 2017 (section"
    " 3.3) claim, for least squares started at w = 0: gradient descent and its momentum variants"
    " reach the minimum-norm solution, test error 0; AdaGrad, RMSprop and Adam reach a multiple of"
    " sign(X^T y), which labels every test point with the majority class, test error = the"
    " minority fraction of the test split (here {minority}). Agrees: the mean within"
    f" {AGREEMENT_PP:g} pp of the claim."
)
_WILSON_CAPTION = (
    "Test error against learning rate on Wilson et al.'s construction (dots: seeds, line: their"
    " mean; log x); optimizers that land on the same error overlap, each with its own marker."
    " Dashed and dotted: the paper's claims. Every optimizer fits the training set"
    " (see the table's train loss); only which interpolating solution it ends at differs."
)


def _optimizer(group: RunGroup) -> str:
    return str(group.runs[0].config.get("params", {}).get("optimizer", ""))


def _order_key(name: str, group: RunGroup) -> tuple[int, str]:
    optimizer = _optimizer(group)
    rank = (
        OPTIMIZER_ORDER.index(optimizer) if optimizer in OPTIMIZER_ORDER else len(OPTIMIZER_ORDER)
    )
    return rank, name


def lr_sweeps(groups: Sequence[RunGroup]) -> list[Sweep]:
    """The sweeps of `lr` among `groups`, lines in optimizer order."""
    found = []
    for sweep in find_sweeps(groups):
        if sweep.parameter != LR:
            continue
        lines = sorted(sweep.lines.items(), key=lambda item: _order_key(item[0], item[1][0][1]))
        found.append(Sweep(sweep.task, sweep.parameter, sweep.unit, dict(lines)))
    return found


def _colors(names: Sequence[str]) -> dict[str, str]:
    return {name: f"C{i % 10}" for i, name in enumerate(names)}


def selection_split(groups: Sequence[RunGroup]) -> str:
    """The split the best rate is chosen on: val where the groups were scored on it, else test."""
    return "val" if any(g.has_split("val") for g in groups) else "test"


def best_point(points: Sequence[tuple[float, RunGroup]], split: str) -> tuple[float, RunGroup]:
    """The grid point with the highest mean accuracy on `split`; ties go to the smaller rate."""
    scored = [(x, g) for x, g in points if g.values(split, "accuracy")]
    return max(scored, key=lambda p: (float(np.mean(p[1].values(split, "accuracy"))), -p[0]))


def final_train_losses(group: RunGroup) -> list[float]:
    """Each seed's last logged train loss."""
    losses = []
    for run in group.runs:
        logged = [row["train_loss"] for row in run.history if "train_loss" in row]
        if logged:
            losses.append(float(logged[-1]))
    return losses


def _grid_text(points: Sequence[tuple[float, RunGroup]], split: str) -> tuple[str, float]:
    """The mean accuracy (%) at each rate, as text (0.01: 95.2 · 0.03: 96.1), and the spread
    (pp) of those means."""
    means = [
        (x, 100 * float(np.mean(g.values(split, "accuracy"))))
        for x, g in points
        if g.values(split, "accuracy")
    ]
    text = " · ".join(f"{x:g}: {mean:.1f}" for x, mean in means)
    values = [mean for _, mean in means]
    return text, max(values) - min(values)


# ---------------------------------------------------------------- optimizer comparison


@section("optimizer-comparison", "Optimizers compared at their best learning rate", 120)
def optimizer_comparison(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    blocks: list[Block] = []
    for sweep in lr_sweeps(groups):
        split = selection_split(sweep.groups)
        rows, best = [], {}
        for name, points in sweep.lines.items():
            if not any(g.values(split, "accuracy") for _, g in points):
                continue
            lr, group = best_point(points, split)
            best[name] = group
            grid, spread = _grid_text(points, split)
            rows.append(
                [
                    name,
                    _optimizer(group),
                    f"{lr:g}",
                    len(group.runs),
                    format_value("accuracy", group.values("test", "accuracy")),
                    format_value("train_loss", final_train_losses(group)),
                    f"{spread:.1f}",
                    grid,
                ]
            )
        if not rows:
            continue
        headers = [
            "line",
            "optimizer",
            "best lr",
            "seeds",
            "test accuracy (%)",
            "final train loss",
            "spread (pp)",
            f"{split} accuracy (%) at each lr",
        ]
        caveat = _NO_VAL if split == "test" else ""
        blocks += [
            Heading(f"{sweep.task}: each optimizer at its best learning rate"),
            Table(headers, rows),
            Note(_TABLE_NOTE.format(select=split, caveat=caveat)),
        ]
        if any(float(row[6]) > 0 for row in rows):  # all flat: the table says it all
            blocks.append(_sensitivity(sweep, split, [row[0] for row in rows]))
        figure = _curves(sweep.task, best)
        if figure is not None:
            blocks.append(figure)
    return blocks


def _sensitivity(sweep: Sweep, split: str, names: Sequence[str]) -> Figure:
    """The selection accuracy at every rate of each line's grid."""
    series = {
        name: [(x, g.values(split, "accuracy")) for x, g in sweep.lines[name]] for name in names
    }
    series = {name: [p for p in points if p[1]] for name, points in series.items()}
    fig = plot_against_lr(
        series, _colors(names), f"{split} accuracy", f"{sweep.task}: {split} accuracy against lr"
    )
    return Figure.from_matplotlib(
        fig,
        f"optimizer_lr_{sweep.task}",
        f"{split} accuracy against learning rate per optimizer on {sweep.task}",
        _SENSITIVITY_CAPTION.format(split=split),
    )


def _curves(task: str, best: dict[str, RunGroup]) -> Figure | None:
    """Val error and train loss against epochs at each line's best rate (None: no history).

    Val error (1 - val accuracy) on a log axis shows both the fast early fall and the small
    differences between optimizers on the plateau, which a linear accuracy axis squeezes.
    """
    colors = _colors(list(best))
    panels = []
    for key, ylabel, percent, logy in (
        ("val_accuracy", "val error (log scale)", True, True),
        ("train_loss", "train loss (log scale)", False, True),
    ):
        curves = {name: _curve(group, key) for name, group in best.items()}
        if key == "val_accuracy":
            curves = {name: [(x, 1.0 - y) for x, y in runs] for name, runs in curves.items()}
        curves = {name: runs for name, runs in curves.items() if runs}
        if curves:
            panels.append(CurvePanel(ylabel, curves, percent, logy))
    if not panels:
        return None
    title = f"{task}: learning curves at each optimizer's best learning rate"
    fig = plot_optimizer_curves(panels, colors, title)
    described = " and ".join(panel.ylabel.removesuffix(" (log scale)") for panel in panels)
    return Figure.from_matplotlib(
        fig,
        f"optimizer_curves_{task}",
        f"learning curves of each optimizer at its best learning rate on {task}",
        _CURVES_CAPTION.format(panels=described),
    )


def _curve(group: RunGroup, key: str) -> list[tuple[np.ndarray, np.ndarray]]:
    curves = []
    for run in group.runs:
        rows = [row for row in run.history if key in row and "epoch" in row]
        if rows:
            curves.append((np.array([r["epoch"] for r in rows]), np.array([r[key] for r in rows])))
    return curves


# ---------------------------------------------------------------- Wilson et al. 2017


def wilson(group: RunGroup) -> bool:
    return group.task == WILSON_TASK


def minority_fraction(group: RunGroup) -> float:
    """The share of negatives in the test split, as the task draws it (round(p n) positives)."""
    defaults = WilsonParams()
    params = group.runs[0].config.get("task_params", {})
    n_test = int(params.get("n_test", defaults.n_test))
    p = float(params.get("p", defaults.p))
    return 1.0 - n_positive(n_test, p) / n_test


def claimed_error(group: RunGroup) -> float:
    """Wilson et al.'s test error for this group's optimizer: 0, or the minority fraction."""
    return minority_fraction(group) if _optimizer(group) in ADAPTIVE else 0.0


def _test_errors(group: RunGroup) -> list[float]:
    return [1.0 - a for a in group.values("test", "accuracy")]


@section(
    "adaptive-generalization",
    "Adaptive methods on Wilson et al. 2017's construction",
    125,
    applies=wilson,
)
def adaptive_generalization(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    ordered = sorted(
        (g for g in groups if g.values("test", "accuracy")), key=lambda g: _order_key(g.label, g)
    )
    if not ordered:
        return []
    rows = [_wilson_row(group) for group in ordered]
    headers = [
        "label",
        "optimizer",
        "lr",
        "seeds",
        "final train loss",
        "test error (%)",
        "claim (%)",
        "agrees",
    ]
    minorities = sorted({f"{100 * minority_fraction(g):.1f} %" for g in ordered})
    blocks: list[Block] = [
        Table(headers, rows),
        Note(_WILSON_NOTE.format(minority=", ".join(minorities))),
    ]
    series: dict[str, list[tuple[float, list[float]]]] = {}
    for group in ordered:
        lr = _lr(group)
        if lr is not None:
            series.setdefault(group.label, []).append((lr, _test_errors(group)))
    if series:
        minority = minority_fraction(ordered[0])
        claims = {
            "claim: sgd, momentum, nesterov 0 %": 0.0,
            f"claim: adagrad, rmsprop, adam {100 * minority:.0f} %": minority,
        }
        series = {label: sorted(points) for label, points in series.items()}
        fig = plot_against_lr(
            series,
            _colors(list(series)),
            "test error",
            f"{WILSON_TASK}: test error against lr",
            claims,
            ylim=(-0.04, max(0.55, minority) + 0.08),
        )
        alt = "test error against learning rate per optimizer on Wilson et al.'s construction"
        blocks.append(Figure.from_matplotlib(fig, "wilson_error_by_lr", alt, _WILSON_CAPTION))
    return blocks


def _lr(group: RunGroup) -> float | None:
    value = group.grid.get(LR, group.runs[0].config.get("params", {}).get(LR))
    found = quantity(value)
    return found[0] if found else None


def _wilson_row(group: RunGroup) -> list[Any]:
    errors = _test_errors(group)
    claim = claimed_error(group)
    agrees = abs(100 * (float(np.mean(errors)) - claim)) <= AGREEMENT_PP
    lr = _lr(group)
    return [
        group.label,
        _optimizer(group),
        f"{lr:g}" if lr is not None else "–",
        len(group.runs),
        format_value("train_loss", final_train_losses(group)),
        format_value("accuracy", errors),
        f"{100 * claim:.1f}",
        "yes" if agrees else "no",
    ]
