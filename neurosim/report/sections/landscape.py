"""Sections of the loss-landscape lab (runs of `mlp-landscape`): the loss along straight lines in
weight space, 2-D slices with the trajectory, the Hessian along training, and sharpness against
batch size (Keskar et al. 2017)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neurosim.analysis.landscape import barrier, between, log_slope, max_rise
from neurosim.grid import grid_items, grid_text
from neurosim.metrics import format_value
from neurosim.plotting.landscape import (
    Lines,
    Slice,
    Spectrum,
    plot_hessian,
    plot_lines,
    plot_sharpness,
    plot_slices,
)
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Heading, Note, Table
from neurosim.report.grouping import RunGroup, RunLike, quantity
from neurosim.report.section import section

LEARNER = "mlp-landscape"
SWEPT_BATCH = "batch_size"
# a rise below this is numerical noise on a line of cross-entropy values, not a bump
MONOTONE_TOLERANCE = 1e-3

_LINES_CAPTION = (
    "Loss (log scale) and accuracy along straight lines in weight space, one colour per group"
    " (one line per seed); solid: the training subsample the learner scored (landscape_samples"
    " images), dashed: the test split. Left: from the initial weights (α = 0) to the trained ones"
    " (α = 1), extended by the line margin beyond both ends. Goodfellow et al. 2015 found this"
    " path monotone: the loss falls all the way, no barrier between initialisation and solution."
    " Right: from this seed's solution to a partner network trained from another seed; a bump in"
    " the middle is a barrier: the two minima are not linearly mode connected. {verdict}"
)
_LINES_NOTE = (
    "Training loss on the subsample, 0 ≤ α ≤ 1 only, mean ± sd over seeds. Rise: the largest"
    " increase met walking from initialisation to solution (0: monotone). Monotone: runs whose"
    f" rise is below {MONOTONE_TOLERANCE:g}. Barrier: the highest loss on the seed-to-seed line"
    " minus the mean of its two ends."
)
_SLICES_CAPTION = (
    "The training loss (on the landscape subsample, log-spaced contours) around the solution"
    " (star) of {run}. Left: along two filter-normalised random directions (Li et al. 2018: each"
    " row of each weight matrix scaled to the norm of the solution's row, biases left at 0);"
    " 1 on an axis is a step as long as the weights themselves. Right: on the plane of the"
    " training trajectory's two principal directions (PCA of the snapshots minus the solution,"
    " Li et al. section 7), with the trajectory (red dots, circle at initialisation) projected on"
    " it; axes in weight-space units, with the share of the trajectory's variance each direction"
    " holds. Random directions are almost orthogonal to the path, which is why the trajectory is"
    " drawn only on its own plane. The kept model is the best-val one, which may differ from the"
    " last snapshot."
)
_HESSIAN_CAPTION = (
    "The Hessian of the training loss (landscape subsample) at snapshots along training, one"
    " line per run; the star is the kept solution (the best-val model, drawn at the last"
    " snapshot's step). Left: the top eigenvalue"
    " (Lanczos on Hessian-vector products). Right: the fraction of eigenvalues below −10⁻³ λ_max,"
    " by stochastic Lanczos quadrature (Ghorbani et al. 2019): a saddle has many directions of"
    " negative curvature, a minimum none. Seeds of a group share its colour; steps + 1 on a log"
    " axis (1 = initialisation)."
)
_HESSIAN_NOTE = (
    "Mean ± sd over seeds. Sharpness: top Hessian eigenvalue at the solution. Negative fractions"
    " by SLQ, whose resolution is about the spectrum's width over the number of Lanczos steps."
)
_SHARPNESS_CAPTION = (
    "Sharpness (top Hessian eigenvalue at the solution, log scale) and test accuracy against the"
    " batch size the spec swept; dots: seeds, line: their means. Keskar et al. 2017: large batches"
    " converge to sharper minima that generalise worse. {verdict}"
)


def landscape(group: RunGroup) -> bool:
    return group.learner == LEARNER


def _colors(groups: Sequence[RunGroup]) -> dict[str, str]:
    return {g.name: f"C{i % 10}" for i, g in enumerate(groups)}


def _line_runs(
    context: ReportContext, groups: Sequence[RunGroup]
) -> list[tuple[RunGroup, RunLike, dict]]:
    """Every run's stored lines, with its group."""
    found = []
    for group in groups:
        for run in group.runs:
            data = context.load_first(run, "arrays", "landscape_lines", ("alphas",))
            if data is not None:
                found.append((group, run, data))
    return found


@section("landscape-lines", "Loss along lines in weight space", 220, applies=landscape)
def landscape_lines(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    found = _line_runs(context, groups)
    if not found:
        return []
    colors = _colors(groups)
    lines = [
        Lines(g.name if run is g.runs[0] else "", colors[g.name], data) for g, run, data in found
    ]
    rises: dict[str, list[float]] = {}
    barriers: dict[str, list[float]] = {}
    for group, _, data in found:
        alphas = data["alphas"]
        rises.setdefault(group.name, []).append(max_rise(between(alphas, data["init_train_loss"])))
        barriers.setdefault(group.name, []).append(
            barrier(between(alphas, data["seed_train_loss"]))
        )
    monotone = sum(r < MONOTONE_TOLERANCE for v in rises.values() for r in v)
    total = sum(len(v) for v in rises.values())
    verdict = (
        f"Here {monotone} of {total} init → solution lines are monotone"
        f" (rise < {MONOTONE_TOLERANCE:g})"
        + (", as Goodfellow et al. found." if monotone == total else ".")
    )
    rows = [
        [
            name,
            len(rises[name]),
            format_value("init_max_rise", rises[name]),
            f"{sum(r < MONOTONE_TOLERANCE for r in rises[name])}/{len(rises[name])}",
            format_value("seed_barrier", barriers[name]),
        ]
        for name in rises
    ]
    fig = plot_lines(lines)
    alt = "loss and accuracy along the init-to-solution and seed-to-seed lines"
    return [
        Figure.from_matplotlib(fig, "landscape_lines", alt, _LINES_CAPTION.format(verdict=verdict)),
        Table(["group", "seeds", "rise init → solution", "monotone", "seed barrier"], rows),
        Note(_LINES_NOTE),
    ]


@section("landscape-slices", "Loss surface around the solution", 410, applies=landscape)
def landscape_slices(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    blocks: list[Block] = []
    for group in groups:
        first = context.first_with(group, "arrays", "landscape_slice", ("loss",))
        pca = context.first_with(group, "arrays", "landscape_pca", ("loss", "coordinates"))
        if first is None or pca is None:
            continue
        run, random_slice = first
        plane = pca[1]
        explained = plane["explained"]
        slices = [
            Slice(
                "filter-normalised random directions",
                random_slice["alphas"],
                random_slice["betas"],
                random_slice["loss"],
                "direction 1 (filter-normalised units)",
                "direction 2 (filter-normalised units)",
            ),
            Slice(
                "principal plane of the training trajectory",
                plane["alphas"],
                plane["betas"],
                plane["loss"],
                f"PC 1: {100 * explained[0]:.1f} % of variance",
                f"PC 2: {100 * explained[1]:.1f} % of variance",
                plane["coordinates"],
            ),
        ]
        title = f"{group.title}, seed {run.seed}"
        caption = _SLICES_CAPTION.format(run=title) if not blocks else f"As above, for {title}."
        alt = f"loss contours around the solution of {title}"
        slug = group.name.replace(" ", "").replace("[", "_").replace("]", "")
        blocks += [
            Heading(title, 4),
            Figure.from_matplotlib(plot_slices(slices), f"landscape_slices_{slug}", alt, caption),
        ]
    return blocks


@section("hessian", "Hessian along training", 230, applies=landscape)
def hessian(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    colors = _colors(groups)
    spectra = []
    for group in groups:
        for run in group.runs:
            data = context.load_first(run, "arrays", "landscape_hessian", ("steps", "top"))
            if data is not None:
                spectra.append(
                    Spectrum(
                        group.name if run is group.runs[0] else "",
                        colors[group.name],
                        data["steps"],
                        data["top"],
                        data["negative_fraction"],
                        data["is_solution"],
                    )
                )
    if not spectra:
        return []
    metrics = ("sharpness", "negative_fraction_init", "negative_fraction_solution")
    rows = [
        [g.name, len(g.runs), *(format_value(m, g.values("test", m)) for m in metrics)]
        for g in groups
        if g.values("test", "sharpness")
    ]
    headers = ["group", "seeds", "sharpness", "negative fraction at init (%)", "at solution (%)"]
    alt = "top Hessian eigenvalue and negative-eigenvalue fraction against training steps"
    return [
        Figure.from_matplotlib(plot_hessian(spectra), "hessian", alt, _HESSIAN_CAPTION),
        Table(headers, rows),
        Note(_HESSIAN_NOTE),
    ]


def batch_size_of(group: RunGroup) -> float | None:
    """The swept batch size of the group's grid point, or None."""
    for key, value in grid_items(group.grid):
        if key.rpartition(".")[2] == SWEPT_BATCH:
            number = quantity(value)
            return number[0] if number else None
    return None


@section("sharpness", "Sharpness against batch size", 240, applies=landscape)
def sharpness(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    lines: dict[str, list[tuple[float, RunGroup]]] = {}
    for group in groups:
        size = batch_size_of(group)
        if size is None or not group.values("test", "sharpness"):
            continue
        rest = {k: v for k, v in grid_items(group.grid) if k.rpartition(".")[2] != SWEPT_BATCH}
        name = f"{group.label} [{grid_text(rest)}]" if rest else group.label
        lines.setdefault(name, []).append((size, group))
    lines = {n: sorted(p, key=lambda p: p[0]) for n, p in lines.items() if len(p) >= 2}
    if not lines:
        return []
    series, rows, verdicts = {}, [], []
    for i, (name, points) in enumerate(lines.items()):
        sizes = np.array([size for size, _ in points])
        sharp = [g.values("test", "sharpness") for _, g in points]
        accuracy = [g.values("test", "accuracy") for _, g in points]
        series[name] = (f"C{i % 10}", sizes, sharp, accuracy)
        slope = log_slope(
            np.repeat(sizes, [len(v) for v in sharp]), np.concatenate(sharp).astype(float)
        )
        verdicts.append(
            f"{name}: slope of log sharpness on log batch size {slope:+.2f}"
            f" ({sharpness_trend(sharp[0], sharp[-1])})"
        )
        for (size, group), s, a in zip(points, sharp, accuracy, strict=True):
            rows.append(
                [
                    name,
                    f"{size:g}",
                    len(s),
                    format_value("sharpness", s),
                    format_value("accuracy", a),
                    format_value("seed_barrier", group.values("test", "seed_barrier")),
                ]
            )
    verdict = "Here: " + "; ".join(verdicts) + "."
    headers = ["group", "batch size", "seeds", "sharpness", "test accuracy (%)", "seed barrier"]
    alt = "sharpness and test accuracy against batch size"
    caption = _SHARPNESS_CAPTION.format(verdict=verdict)
    return [
        Figure.from_matplotlib(plot_sharpness(series), "sharpness_by_batch", alt, caption),
        Table(headers, rows),
        Note(f"Mean ± sd over seeds. {_budget_text(lines)}"),
    ]


def sharpness_trend(smallest: Sequence[float], largest: Sequence[float]) -> str:
    """Keskar's claim read off the ends of the sweep: the mean sharpness at the largest batch
    against the smallest, counted only beyond the seeds' spread (both sds combined)."""
    gap = float(np.mean(largest) - np.mean(smallest))
    spread = float(
        np.hypot(*(np.std(v, ddof=1) if len(v) > 1 else 0.0 for v in (smallest, largest)))
    )
    if gap > spread:
        return "sharper with larger batches, beyond the seeds' spread"
    if gap < -spread:
        return "flatter with larger batches, beyond the seeds' spread"
    return "no trend beyond the seeds' spread"


def _budget_text(lines: dict[str, list[tuple[float, RunGroup]]]) -> str:
    """Whether the sweep held optimizer steps or epochs fixed (mlp-landscape's `steps`)."""
    steps = {
        g.runs[0].config.get("params", {}).get("steps")
        for points in lines.values()
        for _, g in points
    }
    if None not in steps:
        counts = ", ".join(f"{s:g}" for s in sorted(steps))
        return (
            f"Every batch size trained for the same number of optimizer steps ({counts}), so"
            " larger batches saw more samples."
        )
    return (
        "Every batch size had the same epoch budget (early stopping may end a run sooner), so"
        " larger batches took fewer optimizer steps."
    )
