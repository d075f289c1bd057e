"""Figures of the credit-assignment spectrum: a History column against training samples, one
line per learner (the mean over seeds with a ± sd band, thin lines for single seeds), in the
order of the spectrum, with optional reference lines (chance, 90 degrees)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

Curve = tuple[np.ndarray, np.ndarray]  # (samples, value) of one seed


@dataclasses.dataclass(frozen=True)
class Line:
    """One learner's curve over its seeds."""

    name: str
    curves: list[Curve]
    color: str
    style: str = "-"


@dataclasses.dataclass(frozen=True)
class Panel:
    """One axes: its lines, axis texts, and dashed horizontal references (text -> y)."""

    title: str
    ylabel: str
    lines: list[Line]
    percent: bool = False
    references: dict[str, float] = dataclasses.field(default_factory=dict)
    xlabel: str = "training samples (log scale)"


def mean_curve(curves: Sequence[Curve]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, mean and sd over seeds, on the first seed's x up to the shortest seed (the seeds of
    one learner log at the same sample counts; a seed that stopped early ends the line)."""
    n = min(len(x) for x, _ in curves)
    values = np.stack([y[:n] for _, y in curves])
    sd = values.std(axis=0, ddof=1) if len(curves) > 1 else np.zeros(n)
    return curves[0][0][:n], values.mean(axis=0), sd


def plot_lines(panels: Sequence[Panel], width: float = 6.0) -> Figure:
    """Panels side by side, each line its seeds' mean with a ± sd band, log x."""
    fig = Figure(figsize=(width * len(panels), 4.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False).ravel())
    for ax, panel in zip(axes, panels, strict=True):
        _draw(ax, panel)
    return fig


def _draw(ax: Axes, panel: Panel) -> None:
    for line in panel.lines:
        curves = [c for c in line.curves if len(c[0])]
        if not curves:
            continue
        x, mean, sd = mean_curve(curves)
        label = f"{line.name} (n={len(curves)})"
        size = 3 if len(x) > 1 else 7  # a learner scored once (e.g. after its one epoch)
        ax.plot(x, mean, line.style, color=line.color, lw=1.8, marker="o", ms=size, label=label)
        ax.fill_between(x, mean - sd, mean + sd, color=line.color, alpha=0.18, lw=0)
    for i, (text, y) in enumerate(panel.references.items()):
        ax.axhline(y, color="0.3", ls=("--", ":")[i % 2], lw=1, label=text)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(_samples_text))
    ax.xaxis.set_minor_formatter(FuncFormatter(_samples_text))
    ax.set_title(panel.title, fontsize=11)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    if panel.percent:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.grid(alpha=0.3, which="both", lw=0.5)
    ax.legend(fontsize=8, loc="best")


def _samples_text(value: float, _: object) -> str:
    """Plain numbers at 1, 2 and 5 times a power of ten; no label elsewhere (they collide)."""
    if value <= 0:
        return ""
    mantissa = value / 10 ** np.floor(np.log10(value))
    return f"{value:g}" if np.isclose(mantissa, [1, 2, 5]).any() else ""
