"""A swept numeric parameter: each metric as a line against the parameter's value.

Bars ordered as text hide the trend a sweep is run to find (100 < 20 < 50); a line over the
numeric axis shows it, and a log axis when the values span a decade or more spaces 1e-3, 1e-2,
1e-1 evenly, as they were chosen (symlog when the sweep starts at 0).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, PercentFormatter

from neurosim.analysis.classification import mean_sd

LOG_Y_RATIO = 30  # a metric spanning this factor or more is drawn on a log axis
MAX_VALUE_TICKS = 8  # up to this many swept values, each gets its own tick
Points = Sequence[tuple[float, Sequence[float]]]  # (parameter value, one metric value per seed)


@dataclasses.dataclass(frozen=True)
class SweepPanel:
    """One metric: `series` maps a line's label to its points; fractions drawn in % if
    `percent`; `chance` (a fraction) drawn as a dashed line."""

    ylabel: str
    series: dict[str, Points]
    percent: bool = False
    chance: float | None = None


def plot_sweep(
    panels: Sequence[SweepPanel], xlabel: str, title: str | None = None, max_cols: int = 3
) -> Figure:
    """One panel per metric: seeds as dots, their mean as a line, x sorted numerically."""
    if not panels:
        raise ValueError("no metrics to plot")
    xs = np.array([x for p in panels for pts in p.series.values() for x, _ in pts], dtype=float)
    positive = xs[xs > 0]
    logx = bool(len(positive)) and positive.max() / positive.min() >= 10 and xs.min() >= 0
    n_cols = min(max_cols, len(panels))
    n_rows = int(np.ceil(len(panels) / n_cols))
    fig = Figure(figsize=(4.6 * n_cols, 3.6 * n_rows + 0.6), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    labels = list(dict.fromkeys(label for p in panels for label in p.series))
    for ax, panel in zip(axes, panels, strict=False):
        scale = 100.0 if panel.percent else 1.0
        for label, points in panel.series.items():
            color = f"C{labels.index(label) % 10}"
            points = sorted(points, key=lambda point: point[0])
            for x, seeds in points:
                seeds = scale * np.asarray(seeds, dtype=float)
                ax.scatter(np.full(len(seeds), x), seeds, s=14, color=color, alpha=0.45, lw=0)
            means = [(x, scale * mean_sd(seeds)[0]) for x, seeds in points if len(seeds)]
            ax.plot(*zip(*means, strict=True), color=color, lw=2, marker="o", ms=5, label=label)
        if panel.chance is not None:
            ax.axhline(scale * panel.chance, color="0.35", ls="--", lw=1, label="chance")
        if logx and xs.min() > 0:
            ax.set_xscale("log")
        elif logx:  # a sweep from 0 (no recurrence, no rate): linear up to the first value
            ax.set_xscale("symlog", linthresh=positive.min(), linscale=0.5)
        _value_ticks(ax, sorted({x for pts in panel.series.values() for x, _ in pts}))
        if panel.percent:
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
        elif _spans_decades(panel):  # an error falling 0.5 -> 0.01: show the tail too
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(panel.ylabel)
        ax.grid(alpha=0.3)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    handles, names = axes[0].get_legend_handles_labels()
    for ax in axes[1 : len(panels)]:  # "chance" may be drawn on a later panel only
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            if name not in names:
                handles.append(handle)
                names.append(name)
    fig.legend(handles, names, loc="outside lower center", ncols=min(len(names), 5), fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def _spans_decades(panel: SweepPanel) -> bool:
    values = np.array([v for pts in panel.series.values() for _, seeds in pts for v in seeds])
    values = values[np.isfinite(values)]
    return bool(len(values)) and values.min() > 0 and values.max() / values.min() >= LOG_Y_RATIO


def _value_ticks(ax: Axes, values: list[float]) -> None:
    """Ticks at the swept values, written as they were chosen (0.001, 50), not as 10^k
    multiples, whose minor labels pile up on a log axis spanning one or two decades."""
    if len(values) <= MAX_VALUE_TICKS:
        ax.set_xticks(values, [f"{v:g}" for v in values])
    ax.xaxis.set_minor_formatter(NullFormatter())
