"""Sections of the credit-assignment spectrum (issue 14): how much error information a synapse
gets, from none (unsupervised competition) through a scalar reward and a random projection of
the error to the exact gradient, and what that buys in accuracy, speed of learning and cost.

Learners are placed on the spectrum by their registered name (`group.learner`), never by label;
learners off the spectrum are left out of these sections.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from neurosim.plotting.credit_assignment import Curve, Line, Panel, plot_lines
from neurosim.report.chance import chance_level
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Note, Table
from neurosim.report.grouping import RunGroup, RunLike
from neurosim.report.section import section

# least error information at the synapse to most
SPECTRUM = ("stdp-wta", "krotov-hopfield", "three-factor", "dfa", "fa", "mlp")
ERROR_INFORMATION = {
    "stdp-wta": "none (unsupervised; labels only for the readouts)",
    "krotov-hopfield": "none in the hidden layer; exact gradient in the top layer",
    "three-factor": "scalar reward",
    "dfa": "random projection of the error vector (direct)",
    "fa": "random projection of the error vector (layer by layer)",
    "mlp": "exact gradient (backprop)",
}
THRESHOLD = 0.9
ANGLE = "update_angle_deg"


def on_spectrum(group: RunGroup) -> bool:
    return group.learner in SPECTRUM and group.has_split("test")


def spectrum_order(groups: Sequence[RunGroup]) -> list[RunGroup]:
    """The groups on the spectrum, least error information first (ties: label, task); none
    unless a learner from between the two ends ran: a report of only stdp-wta and mlp (the
    quickstart) is a comparison, not a spectrum, and keeps its own sections."""
    chosen = [g for g in groups if on_spectrum(g)]
    if not any(g.learner in SPECTRUM[1:-1] for g in chosen):
        return []
    return sorted(chosen, key=lambda g: (SPECTRUM.index(g.learner), g.task, g.name))


def curve(run: RunLike, key: str) -> Curve:
    """(samples, key) over the History rows that have both."""
    rows = [r for r in run.history if "samples" in r and key in r]
    return np.array([r["samples"] for r in rows]), np.array([r[key] for r in rows])


def accuracy_column(group: RunGroup) -> str | None:
    """The History column samples-to-90 % reads: val accuracy where logged, else train."""
    for key in ("val_accuracy", "train_accuracy"):
        if any(key in row for run in group.runs for row in run.history):
            return key
    return None


def samples_to(run: RunLike, key: str, threshold: float = THRESHOLD) -> float | None:
    """Training samples at the first History row whose `key` reaches `threshold`."""
    for x, y in zip(*curve(run, key), strict=True):
        if y >= threshold:
            return float(x)
    return None


def _pp(values: Sequence[float], signed: bool = False) -> str:
    """Mean ± sd of fractions in percent (points); "–" for none."""
    if not len(values):
        return "–"
    values = 100 * np.asarray(values, dtype=np.float64)
    text = f"{np.mean(values):+.1f}" if signed else f"{np.mean(values):.1f}"
    return text if len(values) < 2 else f"{text} ± {np.std(values, ddof=1):.1f}"


def _by_seed(group: RunGroup, metric: str = "accuracy") -> dict[int, float]:
    return {r.seed: r.metrics["test"][metric] for r in group.runs if metric in r.metrics["test"]}


def gap_to(group: RunGroup, reference: RunGroup) -> list[float]:
    """Per seed both ran: this group's test accuracy minus the reference's."""
    mine, theirs = _by_seed(group), _by_seed(reference)
    return [mine[s] - theirs[s] for s in sorted(mine) if s in theirs]


def _samples_cell(group: RunGroup) -> str:
    key = accuracy_column(group)
    if key is None:
        return "–"
    reached = [s for run in group.runs if (s := samples_to(run, key)) is not None]
    column = key.removesuffix("_accuracy")
    if not reached:
        return f"never ({column})"
    text = f"{np.mean(reached):.0f}"
    if len(reached) > 1:
        text += f" ± {np.std(reached, ddof=1):.0f}"
    if len(reached) < len(group.runs):
        text += f" ({len(reached)}/{len(group.runs)} seeds)"
    return f"{text} ({column})"


def _seconds(values: Sequence[float]) -> str:
    if not len(values):
        return "–"
    text = f"{np.mean(values):.1f}"
    return text if len(values) < 2 else f"{text} ± {np.std(values, ddof=1):.1f}"


@section("credit-table", "The credit-assignment spectrum", 105, applies=on_spectrum)
def credit_table(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    ordered = spectrum_order(groups)
    if not ordered:
        return []
    rows: list[list[Any]] = []
    for group in ordered:
        mlp = next((g for g in ordered if g.learner == "mlp" and g.task == group.task), None)
        gap = gap_to(group, mlp) if mlp is not None and group is not mlp else []
        rows.append(
            [
                group.title or group.name,
                ERROR_INFORMATION[group.learner],
                len(group.runs),
                _pp(group.values("test", "accuracy")),
                _pp(group.values("test", "probe_accuracy")),
                _samples_cell(group),
                _seconds(group.timings("fit_s")),
                _pp(gap, signed=True) if gap else "–",
            ]
        )
    headers = [
        "learner",
        "error information at the synapse",
        "seeds",
        "test (%)",
        "probe (%)",
        f"samples to {THRESHOLD:.0%}",
        "fit (s)",
        "− mlp (pp)",
    ]
    note = (
        "Ordered from the least error information reaching a hidden synapse to the most. Test"
        " and probe: mean ± sd over seeds (probe: stdp-wta's linear readout of spike counts)."
        f" Samples to {THRESHOLD:.0%}: training samples seen at the first History row whose"
        " accuracy reached it, over the seeds that did; the column read is named (val: the"
        " val split after each epoch; train: the running accuracy on the training stream, for"
        " learners that log no val accuracy; krotov-hopfield counts its top layer's samples"
        " only, after its unsupervised epochs). Fit: wall seconds per run. − mlp: per seed,"
        " test accuracy minus mlp's on the same seed, mean ± sd."
    )
    return [Table(headers, rows), Note(note)]


def _colors(ordered: Sequence[RunGroup]) -> dict[str, str]:
    """One fixed colour per spectrum position, so every figure agrees."""
    return {g.name: f"C{SPECTRUM.index(g.learner)}" for g in ordered}


@section("credit-curves", "Speed of learning along the spectrum", 205, applies=on_spectrum)
def credit_curves(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    ordered = spectrum_order(groups)
    colors = _colors(ordered)
    lines, left_out = [], []
    for group in ordered:
        curves = [c for run in group.runs if len((c := curve(run, "val_accuracy"))[0])]
        if curves:
            lines.append(Line(group.title or group.name, curves, colors[group.name]))
        else:
            left_out.append(group.title or group.name)
    if not lines:
        return []
    references = {f"{THRESHOLD:.0%}": THRESHOLD}
    chance = chance_level(context, ordered)
    if chance is not None:
        references["chance"] = chance
    panel = Panel("val accuracy", "val accuracy", lines, percent=True, references=references)
    caption = (
        "Val accuracy after each epoch against training samples seen (log scale), mean over"
        " seeds with a ± sd band, in spectrum order (least error information first). A large"
        " dot is a learner scored once (stdp-wta after its one unsupervised epoch);"
        " krotov-hopfield's samples are its top layer's, after its unsupervised epochs."
    )
    if left_out:
        caption += f" Left out (no val accuracy per epoch in their History): {', '.join(left_out)}."
    fig = plot_lines([panel], width=7.5)
    alt = "val accuracy against training samples per learner"
    return [Figure.from_matplotlib(fig, "credit_curves", alt, caption)]


def layer_keys(group: RunGroup) -> list[str]:
    """The per-layer angle columns (`update_angle_deg_1`, ...) in layer order, else the mean
    column alone (a learner that logs only `update_angle_deg`)."""
    keys = {k for run in group.runs for row in run.history for k in row}
    layers = sorted(
        (k for k in keys if re.fullmatch(rf"{ANGLE}_\d+", k)), key=lambda k: int(k.split("_")[-1])
    )
    return layers or ([ANGLE] if ANGLE in keys else [])


def _curves(group: RunGroup, key: str) -> list[Curve]:
    return [c for run in group.runs if len((c := curve(run, key))[0])]


def _first_last(curves: Sequence[Curve]) -> tuple[str, str]:
    if not curves:
        return "–", "–"
    return f"{np.mean([y[0] for _, y in curves]):.1f}", f"{np.mean([y[-1] for _, y in curves]):.1f}"


@section("alignment", "Alignment with backprop's gradient", 207, applies=on_spectrum)
def alignment(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    ordered = [g for g in spectrum_order(groups) if layer_keys(g)]
    if not ordered:
        return []
    colors = _colors(ordered)
    angle_lines, weight_lines, rows = [], [], []
    for group in ordered:
        name = group.title or group.name
        keys = layer_keys(group)
        for layer, key in enumerate(keys):
            shown = name if len(keys) == 1 else f"{name}, layer {layer + 1}"
            style = ("-", "--", ":", "-.")[layer % 4]
            angle_lines.append(Line(shown, _curves(group, key), colors[group.name], style))
        weights = _curves(group, "alignment_deg")
        if weights:
            weight_lines.append(Line(name, weights, colors[group.name]))
        rows.append([name, *_first_last(_curves(group, ANGLE)), *_first_last(weights)])
    ninety = {"90° (orthogonal)": 90.0}
    panels = [
        Panel("update against backprop's gradient", "angle (°)", angle_lines, references=ninety)
    ]
    if weight_lines:
        panels.append(
            Panel("forward weights against feedback", "angle (°)", weight_lines, references=ninety)
        )
    caption = (
        "Left: the angle between each learner's update of a hidden layer's weights and"
        " backprop's gradient of the same loss, on a fixed batch of training images after each"
        " epoch, against training samples (log scale; mean over seeds, band ± sd). Below 90°"
        " the update still descends the loss: Lillicrap et al. 2016 saw feedback alignment's"
        " angle fall well below 90° early in training and stay there."
    )
    if weight_lines:
        caption += (
            " Right: the angle between fa's forward weights and its fixed feedback matrix, as"
            " vectors (mean over the layers whose feedback carries an error): the forward"
            " weights come to align with the feedback that trains the layer below."
        )
    fig = plot_lines(panels)
    alt = "update angle to the backprop gradient against training samples"
    headers = [
        "learner",
        "update angle, first epoch (°)",
        "last epoch (°)",
        "W–B angle, first epoch (°)",
        "last epoch (°)",
    ]
    note = (
        "Update angle: the mean over hidden layers of the angle to backprop's gradient; W–B"
        " angle: fa's forward weights against their feedback matrices. Means over seeds."
    )
    return [
        Figure.from_matplotlib(fig, "alignment", alt, caption),
        Table(headers, rows),
        Note(note),
    ]
