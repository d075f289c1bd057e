"""Figures of the optimization lab: optimizer paths over a test function's contours, and how
fast each path closes in on the minimum (or falls off a saddle)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

Point = tuple[float, float]
COLUMNS = 3
GRID = 300  # contour resolution per axis
LEVELS = 18
FALL = 1e4  # saddle panels: f - f(saddle) below -FALL is drawn at -FALL (fell off the function)
SYMLOG_TICKS = (-1e4, -1e2, -1.0, -1e-2, 0.0, 1e-2, 1.0, 1e2)


@dataclasses.dataclass(frozen=True)
class Path:
    """One optimizer's trajectory on one surface: x, y per step and what the curve draws."""

    label: str
    x: np.ndarray
    y: np.ndarray
    curve: np.ndarray  # distance to the nearest minimum, or f - f(saddle)


@dataclasses.dataclass(frozen=True)
class SurfacePanel:
    """One test function: its contour grid, its landmarks and the paths drawn on it.

    `values` is f - f_min on the grid (f - f(saddle) without a minimum); `log` asks for
    log-spaced levels (the function spans decades). `threshold` is the curve figure's dashed
    line: the tolerance (distance) or -escape_drop (level below the saddle).
    """

    title: str
    xs: np.ndarray
    ys: np.ndarray
    values: np.ndarray
    log: bool
    start: Point
    minima: Sequence[Point]
    saddle: Point | None
    paths: Sequence[Path]
    threshold: float

    @property
    def has_minimum(self) -> bool:
        return len(self.minima) > 0


def _grid(panels: int, width: float, height: float) -> tuple[Figure, list[Axes]]:
    rows = -(-panels // COLUMNS)
    columns = min(panels, COLUMNS)
    fig = Figure(figsize=(width * columns, height * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[panels:]:
        ax.set_visible(False)
    return fig, list(axes[:panels])


def _contours(ax: Axes, panel: SurfacePanel) -> None:
    if panel.log:
        positive = panel.values[panel.values > 0]
        low = max(float(positive.min()), float(positive.max()) * 1e-8)
        levels = np.geomspace(low, float(positive.max()), LEVELS)
        norm = LogNorm(levels[0], levels[-1])
        values = np.clip(panel.values, levels[0], None)
        filled = ax.contourf(panel.xs, panel.ys, values, levels, norm=norm, cmap="Greys_r")
    else:
        filled = ax.contourf(panel.xs, panel.ys, panel.values, LEVELS, cmap="Greys_r")
    filled.set_alpha(0.45)
    ax.contour(filled, colors="0.45", linewidths=0.4)


def plot_descent_paths(panels: Sequence[SurfacePanel], colors: dict[str, str]) -> Figure:
    """One contour panel per function, every optimizer's path on it: start (white circle), end
    (filled dot), known minima (red stars), the saddle (black cross)."""
    fig, axes = _grid(len(panels), 4.2, 3.9)
    for ax, panel in zip(axes, panels, strict=True):
        _contours(ax, panel)
        for path in panel.paths:
            color = colors[path.label]
            ax.plot(path.x, path.y, color=color, linewidth=1.4, alpha=0.85, label=path.label)
            ax.plot(path.x[-1], path.y[-1], "o", color=color, markersize=5, clip_on=True)
        ax.plot(*panel.start, "o", color="white", markeredgecolor="black", markersize=7, zorder=5)
        for minimum in panel.minima:
            ax.plot(*minimum, "*", color="red", markeredgecolor="black", markersize=12, zorder=6)
        if panel.saddle is not None:
            ax.plot(*panel.saddle, "X", color="black", markersize=8, zorder=6)
        ax.set(
            xlim=(panel.xs[0], panel.xs[-1]),
            ylim=(panel.ys[0], panel.ys[-1]),
            title=panel.title,
            xlabel="x",
            ylabel="y",
        )
    _legend(fig, axes[0], colors)
    return fig


def plot_descent_curves(panels: Sequence[SurfacePanel], colors: dict[str, str]) -> Figure:
    """Per function, each optimizer's distance to the nearest minimum against steps (log y;
    dashed: the tolerance), or on a saddle f - f(saddle) (symlog y, floored at -FALL; dashed:
    the escape level)."""
    fig, axes = _grid(len(panels), 4.2, 3.2)
    for ax, panel in zip(axes, panels, strict=True):
        for path in panel.paths:
            steps = np.arange(len(path.curve))
            curve = path.curve if panel.has_minimum else np.maximum(path.curve, -FALL)
            ax.plot(steps, curve, color=colors[path.label], linewidth=1.2, alpha=0.85)
        ax.axhline(panel.threshold, color="0.3", linestyle="--", linewidth=0.8)
        if panel.has_minimum:
            ax.set_yscale("log")
            ax.set_ylabel("distance to the minimum")
        else:
            ax.set_yscale("symlog", linthresh=1e-2)
            top = max(float(np.max(path.curve)) for path in panel.paths)
            ax.set_ylim(-1.5 * FALL, max(2 * top, 1.0))
            ax.set_yticks([t for t in SYMLOG_TICKS if t <= max(2 * top, 1.0)])
            ax.set_ylabel("f − f(saddle)")
        ax.set(title=panel.title, xlabel="step")
    _legend(fig, axes[0], colors)
    return fig


def _legend(fig: Figure, ax: Axes, colors: dict[str, str]) -> None:
    """One legend under all panels: every optimizer, whether or not each panel shows it."""
    lines = [ax.plot([], [], color=color, linewidth=2)[0] for color in colors.values()]
    columns = min(len(colors), 8)
    fig.legend(lines, list(colors), loc="outside lower center", ncols=columns, frameon=False)
