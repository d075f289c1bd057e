"""Figures of the generalization lab: train and test accuracy against model size, test error
against size with the interpolation threshold, what random labels do, and regularisers'
learning curves. Values over seeds are drawn as mean lines with ± sd bands."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

Curve = tuple[np.ndarray, np.ndarray]  # (x, y) of one seed


@dataclasses.dataclass(frozen=True)
class Series:
    """One line: at each x, the values of every seed (fractions or plain numbers)."""

    name: str
    x: np.ndarray
    per_x: list[np.ndarray]  # per x, the seeds' values (NaN where a seed has none)
    style: str = "-"
    color: str | None = None

    @property
    def mean(self) -> np.ndarray:
        return np.array([np.nanmean(v) if np.isfinite(v).any() else np.nan for v in self.per_x])

    @property
    def sd(self) -> np.ndarray:
        return np.array(
            [np.nanstd(v, ddof=1) if np.isfinite(v).sum() > 1 else 0.0 for v in self.per_x]
        )


@dataclasses.dataclass(frozen=True)
class Panel:
    """One axes: its series, axis texts, and optional chance level and marked x positions."""

    title: str
    xlabel: str
    ylabel: str
    series: list[Series]
    percent: bool = True
    logx: bool = True
    logy: bool = False
    chance: float | None = None
    marks: dict[str, float] = dataclasses.field(default_factory=dict)  # text -> x (dotted)


def plot_panels(panels: Sequence[Panel], columns: int = 2, width: float = 5.2) -> Figure:
    """Panels side by side (wrapping after `columns`), each series a mean line with a ± sd band."""
    columns = min(columns, len(panels))
    rows = -(-len(panels) // columns)
    fig = Figure(figsize=(width * columns, 3.9 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False).ravel())
    for ax, panel in zip(axes, panels, strict=False):
        _draw(ax, panel)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    return fig


def _draw(ax: Axes, panel: Panel) -> None:
    for i, series in enumerate(panel.series):
        color = series.color or f"C{i % 10}"
        mean, sd = series.mean, series.sd
        keep = np.isfinite(mean)
        if not keep.any():
            continue
        x = series.x[keep]
        ax.plot(x, mean[keep], series.style, color=color, lw=1.8, marker="o", ms=3.5)
        ax.fill_between(x, (mean - sd)[keep], (mean + sd)[keep], color=color, alpha=0.15, lw=0)
        n = max(int(np.isfinite(v).sum()) for v in series.per_x)
        ax.plot([], [], series.style, color=color, label=f"{series.name} (n={n})")
    if panel.chance is not None:
        ax.axhline(panel.chance, color="0.35", ls="--", lw=1, label="chance")
    for i, (text, x) in enumerate(panel.marks.items()):
        ax.axvline(x, color="k", ls=":", lw=1.2)
        ax.annotate(
            text,
            (x, 1 - 0.07 * (i + 1)),
            xycoords=("data", "axes fraction"),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=8,
        )
    if panel.logx:
        ax.set_xscale("log", base=2)
    else:  # a count (hidden layers): a tick at each value drawn, none between
        xs = np.unique(np.concatenate([series.x for series in panel.series]))
        if len(xs) and np.all(xs == np.round(xs)):
            ax.set_xticks(xs, [f"{x:g}" for x in xs])
    if panel.logy:
        ax.set_yscale("log")
    if panel.percent:
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_title(panel.title, fontsize=10)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7.5)


def plot_curves(
    panels: Sequence[tuple[str, str, dict[str, Sequence[Curve]]]],
    colors: dict[str, str],
    chance: float | None = None,
) -> Figure:
    """(title, ylabel, label -> per-seed curves) per panel: the mean over seeds (interpolated
    on the first seed's epochs, up to the shortest seed) thick, each seed thin; accuracy in %."""
    fig = Figure(figsize=(5.6 * len(panels), 4.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False).ravel())
    for ax, (title, ylabel, curves) in zip(axes, panels, strict=True):
        for label, runs in curves.items():
            runs = [(x, y) for x, y in runs if len(x)]
            if not runs:
                continue
            color = colors.get(label)
            for x, y in runs:
                ax.plot(x, y, color=color, lw=0.6, alpha=0.3)
            end = min(x[-1] for x, _ in runs)
            grid = runs[0][0][runs[0][0] <= end]
            mean = np.mean([np.interp(grid, x, y) for x, y in runs], axis=0)
            ax.plot(grid, mean, color=color, lw=1.8, label=f"{label} (n={len(runs)})")
        if chance is not None:
            ax.axhline(chance, color="0.35", ls="--", lw=1, label="chance")
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7.5)
    return fig
