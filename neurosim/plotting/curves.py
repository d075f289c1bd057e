"""Learning curves: every seed thin, the mean over seeds thick, one colour per label."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

Curve = tuple[np.ndarray, np.ndarray]


def plot_learning_curves(
    curves: dict[str, Sequence[Curve]],
    xlabel: str = "training samples",
    ylabel: str = "accuracy",
    logx: bool = True,
    percent: bool = False,
    ax: Axes | None = None,
    colors: dict[str, str] | None = None,
    chance: float | None = None,
    title: str | None = None,
) -> Figure:
    """One (x, y) curve per seed for each label; the mean is taken on a common grid.

    Seeds may log at different x (a wall-time budget stops them at different points), so the mean
    is interpolated onto the union of their x values within the range all seeds cover, in log x
    when `logx`. `percent` shows fractions as %. Points with x <= 0 are dropped on a log axis.
    `colors` keeps a label's colour the same across panels; `chance` is drawn dashed.
    """
    if ax is None:
        ax = Figure(figsize=(7, 4.5), layout="constrained").subplots()
    for i, (label, runs) in enumerate(curves.items()):
        color = (colors or {}).get(label, f"C{i % 10}")
        runs = [_clean(x, y, logx) for x, y in runs]
        runs = [(x, y) for x, y in runs if len(x)]
        if not runs:
            continue
        if len(runs) > 1:
            for x, y in runs:
                ax.plot(x, y, color=color, lw=0.8, alpha=0.35)
        x, y = _mean_curve(runs, logx)
        marker = "o" if len(x) <= 30 else None
        ax.plot(x, y, color=color, lw=2.2, marker=marker, ms=4, label=f"{label} (n={len(runs)})")
    if chance is not None:
        ax.axhline(chance, color="0.35", ls="--", lw=1, label="chance")
    if logx:
        ax.set_xscale("log")
    if title:
        ax.set_title(title, fontsize=11)
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return ax.figure


def _clean(x: np.ndarray, y: np.ndarray, logx: bool) -> Curve:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y) & ((x > 0) if logx else True)
    order = np.argsort(x[keep], kind="stable")
    return x[keep][order], y[keep][order]


def _mean_curve(runs: list[Curve], logx: bool) -> Curve:
    """Mean of the seeds' curves on the union of their x values inside the shared x range."""
    if len(runs) == 1:
        return runs[0]
    lo = max(x[0] for x, _ in runs)
    hi = min(x[-1] for x, _ in runs)
    grid = np.unique(np.concatenate([x for x, _ in runs]))
    grid = grid[(grid >= lo) & (grid <= hi)]
    if len(grid) == 0:  # seeds cover disjoint ranges: there is no honest mean
        return np.array([]), np.array([])
    warp = np.log if logx else np.asarray
    ys = [np.interp(warp(grid), warp(x), y) for x, y in runs]
    return grid, np.mean(ys, axis=0)
