"""Figures of loss landscapes: loss along straight lines in weight space, 2-D slices as contours
(with the training trajectory on its principal plane), Hessian spectra along training, and
sharpness against batch size."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter, PercentFormatter

LINE_PANELS = (
    ("init", "initialisation (α = 0) → solution (α = 1)"),
    ("seed", "solution (α = 0) → another seed's solution (α = 1)"),
)


@dataclasses.dataclass(frozen=True)
class Lines:
    """One run's stored lines (`landscape_lines` arrays), drawn in its group's colour; runs of
    one group (seeds) share the colour and the first one's name in the legend."""

    name: str
    color: str
    arrays: Mapping[str, np.ndarray]


def plot_lines(lines: Sequence[Lines]) -> Figure:
    """Loss (log scale) and accuracy along both lines; solid train subsample, dashed test."""
    fig = Figure(figsize=(11, 7), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    for column, (line, title) in enumerate(LINE_PANELS):
        loss_ax, acc_ax = axes[0, column], axes[1, column]
        for run in lines:
            alphas = run.arrays["alphas"]
            for split, style in (("train", "-"), ("test", "--")):
                label = f"{run.name}, {split}" if column == 0 and run.name else None
                for ax, key in ((loss_ax, "loss"), (acc_ax, "accuracy")):
                    values = run.arrays[f"{line}_{split}_{key}"]
                    ax.plot(alphas, values, style, color=run.color, label=label, lw=1.4)
        loss_ax.set_title(title, fontsize=10)
        loss_ax.set_yscale("log")
        loss_ax.set_ylabel("cross-entropy loss (log)")
        acc_ax.set_ylabel("accuracy")
        acc_ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        acc_ax.set_xlabel("α along the line")
        for ax in (loss_ax, acc_ax):
            for end in (0, 1):
                ax.axvline(end, color="0.6", lw=0.8, ls=":")
            ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, loc="best")
    return fig


@dataclasses.dataclass(frozen=True)
class Slice:
    """A loss surface on a grid: values (len(betas), len(alphas)), axis names, an optional path."""

    title: str
    alphas: np.ndarray
    betas: np.ndarray
    loss: np.ndarray
    xlabel: str
    ylabel: str
    path: np.ndarray | None = None  # (n, 2) coordinates of the trajectory, init first


def plot_slices(slices: Sequence[Slice]) -> Figure:
    """Filled contours of the loss on log-spaced levels (a minimum's bowl spans decades), the
    solution as a star at the origin, a trajectory as a line from a circle (init)."""
    fig = Figure(figsize=(5.2 * len(slices), 4.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(slices)))
    for ax, s in zip(axes, slices, strict=True):
        loss = np.clip(s.loss, 1e-4, None)
        levels = np.geomspace(loss.min(), loss.max(), 16)
        filled = ax.contourf(s.alphas, s.betas, loss, levels=levels, norm=LogNorm(), cmap="viridis")
        ax.contour(s.alphas, s.betas, loss, levels=levels, colors="k", linewidths=0.3)
        fig.colorbar(filled, ax=ax, label="training loss (log scale)", format="%.3g")
        if s.path is not None:
            ax.plot(s.path[:, 0], s.path[:, 1], "-", color="w", lw=1.5)
            ax.plot(s.path[:, 0], s.path[:, 1], ".", color="r", ms=4)
            ax.plot(*s.path[0], "o", color="r", ms=7, mec="w", label="initialisation")
        ax.plot(0, 0, "*", color="orange", ms=14, mec="k", label="solution")
        ax.set_title(s.title, fontsize=10)
        ax.set_xlabel(s.xlabel)
        ax.set_ylabel(s.ylabel)
        ax.legend(fontsize=8, loc="upper right")
    return fig


@dataclasses.dataclass(frozen=True)
class Spectrum:
    """One run's Hessian along training: steps (n,), top eigenvalues (n, k), negative fraction.
    An empty name keeps the run out of the legend (a group's second seed)."""

    name: str
    color: str
    steps: np.ndarray
    top: np.ndarray
    negative_fraction: np.ndarray
    is_solution: np.ndarray  # (n,) bool: the kept solution, drawn as a star off the line


def plot_hessian(spectra: Sequence[Spectrum]) -> Figure:
    """Top eigenvalue (log scale) and negative-eigenvalue fraction against optimizer steps + 1
    on a log axis (curvature changes fastest early; + 1 puts initialisation at 1)."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    top_ax, neg_ax = fig.subplots(1, 2, sharex=True)
    for s in spectra:
        label = s.name or None
        path, kept = ~s.is_solution, s.is_solution
        for ax, values in ((top_ax, s.top[:, 0]), (neg_ax, s.negative_fraction)):
            ax.plot(s.steps[path] + 1, values[path], "o-", color=s.color, label=label, ms=4)
            ax.plot(s.steps[kept] + 1, values[kept], "*", color=s.color, ms=12, mec="k")
    top_ax.set_yscale("log")
    plain_log_ticks(top_ax)
    top_ax.set_ylabel("top Hessian eigenvalue λ_max (log)")
    neg_ax.set_ylabel("fraction of eigenvalues < −10⁻³ λ_max")
    neg_ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    for ax in (top_ax, neg_ax):
        ax.set_xlabel("optimizer steps + 1 (log)")
        ax.set_xscale("log")
        ax.grid(alpha=0.3)
    top_ax.legend(fontsize=8, title="star: kept solution", title_fontsize=8)
    return fig


def plain_log_ticks(ax: Axes) -> None:
    """Tick labels 2, 3, 4 instead of 2×10⁰ on a log axis spanning less than a decade."""
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))


def plot_sharpness(
    series: Mapping[str, tuple[str, np.ndarray, list[list[float]], list[list[float]]]],
) -> Figure:
    """Sharpness and test accuracy against batch size (log x), dots per seed, a line through the
    means. `series`: name -> (colour, batch sizes, sharpness per seed, accuracy per seed)."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    sharp_ax, acc_ax = fig.subplots(1, 2, sharex=True)
    for name, (color, sizes, sharpness, accuracy) in series.items():
        for ax, values in ((sharp_ax, sharpness), (acc_ax, accuracy)):
            for x, ys in zip(sizes, values, strict=True):
                ax.plot([x] * len(ys), ys, ".", color=color, alpha=0.6)
            ax.plot(sizes, [np.mean(v) for v in values], "o-", color=color, label=name)
    sharp_ax.set_yscale("log")
    plain_log_ticks(sharp_ax)
    sharp_ax.set_ylabel("sharpness: top Hessian eigenvalue (log)")
    acc_ax.set_ylabel("test accuracy")
    acc_ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    for ax in (sharp_ax, acc_ax):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("batch size (log₂)")
        ax.grid(alpha=0.3)
    sharp_ax.legend(fontsize=8)
    return fig
