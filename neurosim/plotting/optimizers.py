"""Figures of the optimizer comparison: learning curves of each optimizer at its best learning rate,
and test error against learning rate on Wilson et al. 2017's construction beside the paper's claim.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter

from neurosim.plotting.curves import Curve, plot_learning_curves

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


@dataclasses.dataclass(frozen=True)
class CurvePanel:
    """One quantity against epochs: each label's per-seed curves."""

    ylabel: str
    curves: dict[str, Sequence[Curve]]
    percent: bool = False
    logy: bool = False


def plot_optimizer_curves(
    panels: Sequence[CurvePanel], colors: dict[str, str], title: str
) -> Figure:
    """Panels side by side, epochs on a linear axis (every run has the same budget); seeds thin,
    their mean thick, one colour per label in every panel."""
    fig = Figure(figsize=(6.2 * len(panels), 4.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)[0])
    for ax, panel in zip(axes, panels, strict=True):
        plot_learning_curves(
            dict(panel.curves),
            xlabel="epoch",
            ylabel=panel.ylabel,
            logx=False,
            percent=panel.percent,
            ax=ax,
            colors=colors,
        )
        if panel.logy:
            ax.set_yscale("log")  # resets the formatter: percentages are set again
            if panel.percent:
                ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.3g} %"))
                ax.yaxis.set_minor_formatter(NullFormatter())
    fig.suptitle(title, fontsize=11)
    return fig


def plot_against_lr(
    series: dict[str, Sequence[tuple[float, Sequence[float]]]],
    colors: dict[str, str],
    ylabel: str,
    title: str,
    claims: dict[str, float] | None = None,
    ylim: tuple[float, float] | None = None,
) -> Figure:
    """A fraction (accuracy, error) against the learning rate on a log axis: seeds as dots, their
    mean as a line per label; `claims` (text -> value) drawn as dashed and dotted lines.

    Optimizers often land on the same value, so each label has its own marker, drawn hollow and
    smaller than the one before it: coinciding lines stay visible.
    """
    fig = Figure(figsize=(7.6, 4.6), layout="constrained")
    ax = fig.subplots()
    for i, (label, points) in enumerate(series.items()):
        color = colors.get(label, f"C{i % 10}")
        for x, seeds in points:
            values = np.asarray(seeds, dtype=np.float64)
            ax.scatter(np.full(len(values), x), values, s=10, color=color, alpha=0.5, lw=0)
        n = max(len(seeds) for _, seeds in points)
        ax.plot(
            [x for x, _ in points],
            [float(np.mean(seeds)) for _, seeds in points],
            color=color,
            lw=1.4,
            marker=MARKERS[i % len(MARKERS)],
            ms=max(13.0 - 1.6 * i, 4.0),
            mfc="none",
            mew=1.6,
            label=f"{label} (n={n})",
        )
    for k, (text, level) in enumerate((claims or {}).items()):
        ax.axhline(level, color="0.3", ls=("--", ":")[k % 2], lw=1.2, zorder=0, label=text)
    ax.set_xscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig
