"""Figures of the invariance experiment: accuracy against the applied rotation, a spatial
transformer's inputs beside its outputs, and its predicted transformations against the applied
ones."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke
from matplotlib.ticker import PercentFormatter

PROBE_COLUMNS = 8  # images per row: 16 probe images read as two input/output row pairs


@dataclasses.dataclass(frozen=True)
class AngleLine:
    """One label's accuracy per angle bin: one row per seed (NaN where a bin was empty)."""

    per_seed: np.ndarray  # (seeds, bins), fractions

    @property
    def mean(self) -> np.ndarray:
        return _nanmean(self.per_seed)

    @property
    def sd(self) -> np.ndarray:
        values = self.per_seed
        counts = np.sum(np.isfinite(values), axis=0)
        squares = np.nansum((values - self.mean) ** 2, axis=0)
        return np.sqrt(np.divide(squares, counts - 1, out=np.zeros(len(counts)), where=counts > 1))


@dataclasses.dataclass(frozen=True)
class AnglePanel:
    """One task: accuracy against |applied rotation| in bins with these edges (degrees)."""

    title: str
    edges: np.ndarray
    lines: dict[str, AngleLine]
    chance: float | None = None


@dataclasses.dataclass(frozen=True)
class ProbeTile:
    """One probe image and its transformer output, with a line of text over each."""

    image: np.ndarray
    output: np.ndarray
    above_input: str
    above_output: str
    wrong: bool = False  # the classifier's prediction was wrong: its text is drawn red


@dataclasses.dataclass(frozen=True)
class Scatter:
    """Predicted against applied values of one quantity, one (applied, predicted) pair per seed."""

    quantity: str  # axis text, e.g. "rotation (°)"
    name: str  # in panel titles, e.g. "rotation"
    points: dict[int, tuple[np.ndarray, np.ndarray]]  # seed -> (applied, predicted)


def plot_accuracy_by_angle(panels: Sequence[AnglePanel], colors: dict[str, str]) -> Figure:
    """One panel per task: each label's mean accuracy per |angle| bin over seeds, ± sd as a band,
    chance dashed."""
    fig = Figure(figsize=(5.6 * len(panels), 4.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False, sharey=True)[0])
    for ax, panel in zip(axes, panels, strict=True):
        centres = (panel.edges[:-1] + panel.edges[1:]) / 2
        for label, line in panel.lines.items():
            color = colors.get(label, "C0")
            mean, sd = 100 * line.mean, 100 * line.sd
            n = len(line.per_seed)
            ax.plot(centres, mean, color=color, lw=2, marker="o", ms=4, label=f"{label} (n={n})")
            if n > 1:
                ax.fill_between(centres, mean - sd, mean + sd, color=color, alpha=0.15, lw=0)
        if panel.chance is not None:
            ax.axhline(100 * panel.chance, color="0.35", ls="--", lw=1, label="chance")
        ax.set_xticks(panel.edges, [f"{e:.3g}" for e in panel.edges])
        ax.set_xlim(panel.edges[0], panel.edges[-1])
        ax.set_ylim(0, 102)
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
        ax.set_xlabel("|applied rotation| of the test image (degrees, binned)")
        ax.set_title(panel.title, fontsize=11)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test accuracy in the bin")
    handles: dict[str, object] = {}
    for ax in axes:  # a label may have run on one task only
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(name, handle)
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="outside lower center",
        ncols=min(len(handles), 6),
        fontsize=9,
    )
    return fig


def plot_accuracy_by_max_angle(
    series: dict[str, Sequence[tuple[float, Sequence[float]]]],
    colors: dict[str, str],
    title: str,
    chance: float | None = None,
) -> Figure:
    """Test accuracy against the task's maximum rotation: seeds as dots, their mean as a line,
    each label in the colour it has in the other invariance figures."""
    fig = Figure(figsize=(6.0, 4.4), layout="constrained")
    ax = fig.subplots()
    for i, (label, points) in enumerate(series.items()):
        color = colors.get(label, f"C{i % 10}")
        for x, seeds in points:
            values = 100 * np.asarray(seeds, dtype=np.float64)
            ax.scatter(np.full(len(values), x), values, s=14, color=color, alpha=0.45, lw=0)
        xs = [x for x, _ in points]
        means = [100 * float(np.mean(seeds)) for _, seeds in points]
        n = max(len(seeds) for _, seeds in points)
        ax.plot(xs, means, color=color, lw=2, marker="o", ms=5, label=f"{label} (n={n})")
    if chance is not None:
        ax.axhline(100 * chance, color="0.35", ls="--", lw=1, label="chance")
    angles = sorted({x for points in series.values() for x, _ in points})
    ax.set_xticks(angles, [f"{a:g}" for a in angles])
    ax.set_ylim(0, 102)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    ax.set_xlabel("maximum rotation of the task (degrees; train and test drawn within ±)")
    ax.set_ylabel("test accuracy")
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return fig


def plot_stn_outputs(tiles: Sequence[ProbeTile], title: str) -> Figure:
    """Probe inputs with the transformer's outputs right under them, `PROBE_COLUMNS` per row;
    every image on the same 0..1 grey scale (ink dark), so brightness compares across tiles."""
    n_cols = min(PROBE_COLUMNS, len(tiles))
    n_pairs = int(np.ceil(len(tiles) / n_cols))
    fig = Figure(figsize=(1.25 * n_cols + 0.9, 2.75 * n_pairs + 0.4), layout="constrained")
    axes = fig.subplots(2 * n_pairs, n_cols, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        row, col = divmod(k, n_cols)
        pair, is_output = divmod(row, 2)
        index = pair * n_cols + col
        if index >= len(tiles):
            ax.set_visible(False)
            continue
        tile = tiles[index]
        image = tile.output if is_output else tile.image
        ax.imshow(image, cmap="grey_r", vmin=0, vmax=1, interpolation="nearest")
        text = tile.above_output if is_output else tile.above_input
        red = is_output and tile.wrong
        ax.set_title(text, fontsize=7.5, pad=2, color="tab:red" if red else "black")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("tab:blue" if is_output else "0.6")
            spine.set_linewidth(1.4 if is_output else 0.8)
        if col == 0:
            ax.set_ylabel("STN output" if is_output else "input", fontsize=9)
    fig.suptitle(title, fontsize=11)
    return fig


def plot_transformations(panels: Sequence[tuple[str, Scatter]], max_cols: int = 3) -> Figure:
    """Predicted-against-applied scatters, one panel per (task, transformer, quantity), wrapped
    into rows of `max_cols`; identity line dashed, Pearson r of the pooled seeds in the panel."""
    n_cols = min(max_cols, len(panels))
    n_rows = int(np.ceil(len(panels) / n_cols))
    fig = Figure(figsize=(4.1 * n_cols, 3.9 * n_rows + 0.3), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    seeds = sorted({seed for _, scatter in panels for seed in scatter.points})
    colors = {seed: f"C{i % 10}" for i, seed in enumerate(seeds)}
    for ax, (title, scatter) in zip(axes, panels, strict=False):
        _scatter_panel(ax, scatter, colors)
        ax.set_title(title, fontsize=10)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    if len(seeds) > 1:
        handles = [axes[0].scatter([], [], s=14, color=colors[s], label=f"seed {s}") for s in seeds]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(seeds), fontsize=9)
    return fig


def _scatter_panel(ax: Axes, scatter: Scatter, colors: dict[int, str]) -> None:
    applied = np.concatenate([a for a, _ in scatter.points.values()])
    predicted = np.concatenate([p for _, p in scatter.points.values()])
    for seed, (a, p) in scatter.points.items():
        ax.scatter(a, p, s=7, color=colors[seed], alpha=0.45, lw=0, rasterized=True)
    low = float(min(applied.min(), predicted.min()))
    high = float(max(applied.max(), predicted.max()))
    pad = 0.05 * (high - low or 1.0)
    ax.plot([low - pad, high + pad], [low - pad, high + pad], color="0.3", ls="--", lw=1)
    ax.set_xlim(low - pad, high + pad)
    ax.set_ylim(low - pad, high + pad)
    ax.set_aspect("equal", adjustable="box")
    r = pearson(applied, predicted)
    ax.text(
        0.04,
        0.96,
        f"r = {r:.2f}" if np.isfinite(r) else "r undefined",
        transform=ax.transAxes,
        va="top",
        fontsize=10,
        path_effects=[withStroke(linewidth=3, foreground="white")],
    )
    ax.set_xlabel(f"applied {scatter.quantity}")
    ax.set_ylabel(f"predicted {scatter.quantity}")
    ax.grid(alpha=0.3)


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r; NaN when either side is constant."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 2 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def _nanmean(values: np.ndarray) -> np.ndarray:
    """Mean over seeds ignoring empty bins, without numpy's warning for all-empty columns."""
    counts = np.sum(np.isfinite(values), axis=0)
    sums = np.nansum(values, axis=0)
    return np.divide(sums, counts, out=np.full(values.shape[1], np.nan), where=counts > 0)
