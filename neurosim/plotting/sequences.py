"""Figures of the sequences family: loss against the lag, gradients through time, gates,
reservoir rasters, degree histograms and memory capacity. numpy and Activity in, Figures out.

Each takes plain arrays, so a torch model and a Brian2 reservoir are drawn by the same code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from neurosim.activity import Activity, Signal
from neurosim.analysis.classification import mean_sd

MARK_COLOR = "tab:orange"  # marked steps (adding's two numbers, copy's delimiter)
POPULATION_COLORS = ("tab:blue", "tab:red", "tab:green", "tab:purple", "tab:brown")
Points = Sequence[tuple[float, Sequence[float]]]  # (lag, one value per seed)


@dataclasses.dataclass(frozen=True)
class LagPanel:
    """One task: each line's points against the lag, and the memoryless baseline at each lag."""

    title: str
    ylabel: str
    lines: dict[str, Points]
    baseline: Sequence[tuple[float, float]]


def plot_loss_against_lag(panels: Sequence[LagPanel], xlabel: str = "lag T (steps)") -> Figure:
    """Mean ± sd over seeds per line (seeds as faint dots), the baseline dashed, log y."""
    fig = Figure(figsize=(5.2 * len(panels), 4.3), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    labels = list(dict.fromkeys(label for p in panels for label in p.lines))
    for ax, panel in zip(axes, panels, strict=True):
        for k, (label, points) in enumerate(panel.lines.items()):
            color = f"C{labels.index(label) % 10}"
            points = sorted(points, key=lambda point: point[0])
            dodge = 1 + 0.015 * (k - (len(panel.lines) - 1) / 2)  # error bars side by side
            for x, seeds in points:
                xs = np.full(len(seeds), x * dodge)
                ax.scatter(xs, seeds, s=12, color=color, alpha=0.4, lw=0)
            x = dodge * np.array([x for x, _ in points])
            mean, sd = np.array([mean_sd(seeds) for _, seeds in points]).T
            lower = np.minimum(sd, mean * 0.999)  # a log axis has no room below zero
            ax.errorbar(
                x,
                mean,
                yerr=np.vstack([lower, sd]),
                color=color,
                lw=2,
                marker="o",
                ms=5,
                capsize=3,
                label=label,
            )
        bx, by = np.array(sorted(panel.baseline)).T
        ax.plot(bx, by, color="k", ls="--", lw=1.2, zorder=3, label="memoryless baseline")
        xs = sorted({x for pts in panel.lines.values() for x, _ in pts} | set(bx))
        if xs[-1] / xs[0] >= 10:
            ax.set_xscale("log")
        ax.set_xticks(xs, [f"{x:g}" for x in xs])
        ax.minorticks_off()
        ax.set_yscale("log")
        ax.set_title(panel.title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(panel.ylabel)
        ax.grid(alpha=0.3)
    _shared_legend(fig, axes)
    return fig


@dataclasses.dataclass(frozen=True)
class GradientRecord:
    """One model's `gradients_through_time` arrays."""

    epochs: np.ndarray  # (k,)
    step_norms: np.ndarray  # (k, steps)
    spectral_radius: np.ndarray  # (k, n_blocks)
    blocks: Sequence[str]


def plot_gradients_through_time(models: dict[str, GradientRecord], title: str) -> Figure:
    """Top row: log10 gradient norm per step and checkpoint, one shared colour scale; bottom:
    spectral radius of each recurrent block over training, with 1 (the edge of stability)."""
    n = len(models)
    fig = Figure(figsize=(4.6 * n + 1.2, 7.2), layout="constrained")
    axes = fig.subplots(2, n, squeeze=False, height_ratios=[3, 2])
    logs = {name: _log10(record.step_norms) for name, record in models.items()}
    finite = np.concatenate([v[np.isfinite(v)] for v in logs.values()])
    norm = Normalize(*(np.percentile(finite, [1, 99]) if len(finite) else (0, 1)))
    image = None
    for (name, record), top, bottom in zip(models.items(), axes[0], axes[1], strict=True):
        k, steps = record.step_norms.shape
        image = top.imshow(
            np.ma.masked_invalid(logs[name]),
            aspect="auto",
            origin="lower",
            cmap="viridis",
            norm=norm,
            extent=(0.5, steps + 0.5, -0.5, k - 0.5),
            interpolation="nearest",
        )
        rows = _ticks(k)
        top.set_yticks(rows, [f"{int(record.epochs[r])}" for r in rows])
        top.set_xlabel("step t")
        top.set_title(name, fontsize=10)
        distance = top.secondary_xaxis("top", functions=(lambda t, s=steps: s - t,) * 2)
        distance.set_xlabel("steps before the last step", fontsize=8)
        for b, block in enumerate(record.blocks):
            bottom.plot(record.epochs, record.spectral_radius[:, b], marker=".", label=block)
        bottom.axhline(1.0, color="k", ls="--", lw=0.8)
        bottom.set_xlabel("epoch")
        bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
        bottom.grid(alpha=0.3)
        bottom.legend(fontsize=7, loc="best")
    axes[0, 0].set_ylabel("checkpoint (epoch)")
    axes[1, 0].set_ylabel("spectral radius")
    for ax in axes[1, 1:]:
        ax.sharey(axes[1, 0])
    fig.colorbar(image, ax=axes[0, :], label="log10 mean ‖∂L/∂h_t‖", shrink=0.9)
    fig.suptitle(title)
    return fig


def plot_step_heatmaps(
    inputs: np.ndarray,
    signals: dict[str, Signal],
    marks: Sequence[int],
    title: str,
    channels: Sequence[str] | None = None,
    titled: bool = False,
) -> Figure:
    """The input sequence on top, then one heat map (units x steps) per signal.

    Gates (names ending in "_gate") lie in [0, 1] and share a sequential scale; other signals
    (candidate, cell, hidden, reservoir states) are signed and get a diverging scale centred on
    zero. `marks` (0-based steps) are triangles above every panel; `channels` names the input
    rows; `titled` names each panel above it (long names) instead of beside it.
    """
    rows = [("input", inputs), *((name, s.values) for name, s in signals.items())]
    heights = [max(1.0, min(3.0, v.shape[1] / (6 if n == "input" else 16))) for n, v in rows]
    fig = Figure(figsize=(10, 1.0 + 1.1 * sum(heights)), layout="constrained")
    axes = fig.subplots(len(rows), 1, sharex=True, height_ratios=heights)
    steps = inputs.shape[0]
    for ax, (name, values) in zip(axes, rows, strict=True):
        if name == "input":
            cmap, norm = "Greys", Normalize(min(0.0, values.min()), max(1.0, values.max()))
        else:
            cmap, norm = signal_colours(name, values)
        image = ax.imshow(
            values.T,
            aspect="auto",
            origin="lower",
            cmap=cmap,
            norm=norm,
            extent=(0.5, steps + 0.5, -0.5, values.shape[1] - 0.5),
            interpolation="nearest",
        )
        fig.colorbar(image, ax=ax, pad=0.01, aspect=10)
        if name == "input":
            ax.set_ylabel("input\nchannel")
        elif titled:
            ax.set_title(name, loc="left", fontsize=9)
            ax.set_ylabel("unit")
        else:
            ax.set_ylabel(f"{name}\nunit")
        if name == "input" and channels and len(channels) == values.shape[1]:
            ax.set_yticks(range(len(channels)), channels)
        for step in marks:  # above the column, not over it: that column is the one to read
            ax.plot(
                step + 1,
                1.0,
                marker="v",
                ms=7,
                color=MARK_COLOR,
                clip_on=False,
                transform=ax.get_xaxis_transform(),
            )
    axes[-1].set_xlabel("step t")
    fig.suptitle(title)
    return fig


def signal_colours(name: str, values: np.ndarray) -> tuple[str, Normalize]:
    """Gates (names ending in "_gate") on one sequential 0-1 scale; signed signals (candidate,
    cell, hidden, reservoir states) on a diverging scale centred on zero."""
    if name.endswith("_gate"):
        return "viridis", Normalize(0.0, 1.0)
    top = float(np.max(np.abs(values))) or 1.0
    return "RdBu_r", Normalize(-top, top)


def plot_reservoir_raster(
    activity: Activity,
    inputs: np.ndarray | None,
    step_ms: float,
    steps: int,
    marks: Sequence[int],
    title: str,
    channels: Sequence[str] | None = None,
) -> Figure:
    """The input sequence on top (when known, rows named by `channels`); below, every
    population's spikes in one panel, stacked and coloured by population, grey lines at step
    boundaries, marked steps shaded (and a triangle over the input)."""
    fig = Figure(figsize=(10, 5.6 if inputs is not None else 4.6), layout="constrained")
    if inputs is not None:
        strip, ax = fig.subplots(2, 1, sharex=True, height_ratios=[1, 4])
        strip.imshow(
            inputs.T,
            aspect="auto",
            origin="lower",
            cmap="Greys",
            extent=(0, len(inputs) * step_ms, -0.5, inputs.shape[1] - 0.5),
            interpolation="nearest",
        )
        strip.set_ylabel("input\nchannel")
        if channels and len(channels) == inputs.shape[1]:
            strip.set_yticks(range(len(channels)), channels)
    else:
        ax = fig.subplots()
    offset = 0
    for color, (name, trains) in zip(POPULATION_COLORS, activity.spikes.items(), strict=False):
        size = float(np.clip(20000 / max(len(trains.times), 1), 2.5, 6.0))  # dense: smaller
        ax.scatter(
            1e3 * trains.times,
            trains.units + offset,
            s=size,
            color=color,
            marker=".",
            linewidths=0,
            rasterized=True,
            label=f"{name} ({trains.n_units})",
        )
        offset += trains.n_units
        ax.axhline(offset - 0.5, color="0.5", lw=0.5)
    every = max(1, int(np.ceil(steps / 100)))  # at most ~100 boundary lines
    for boundary in np.arange(0, steps + 1, every) * step_ms:
        ax.axvline(boundary, color="0.85", lw=0.5, zorder=0)
    for step in marks:  # triangles over the input (its grey values stay true), shading below
        ax.axvspan(step * step_ms, (step + 1) * step_ms, color=MARK_COLOR, alpha=0.3, lw=0)
        if inputs is not None:
            strip.plot(
                (step + 0.5) * step_ms,
                1.0,
                marker="v",
                ms=7,
                color=MARK_COLOR,
                clip_on=False,
                transform=strip.get_xaxis_transform(),
            )
    ax.set_xlim(0, steps * step_ms)
    ax.set_ylim(-0.5, offset - 0.5)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    for handle in legend.legend_handles:  # dots as large as readable, whatever the raster's
        handle.set_sizes([30])
    fig.suptitle(title)
    return fig


def plot_degree_histograms(histograms: dict[str, np.ndarray]) -> Figure:
    """Fraction of nodes per out-degree, one step line per network; log-log when degrees span a
    decade (hubs: a heavy tail is a straight line there), linear for a narrow peak."""
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    fractions = {name: np.asarray(h, float) / max(np.sum(h), 1) for name, h in histograms.items()}
    for name, fraction in fractions.items():
        ax.step(np.arange(len(fraction)), fraction, where="mid", lw=1.6, label=name)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    degrees = np.concatenate([np.flatnonzero(f) for f in fractions.values()])
    degrees = degrees[degrees > 0]
    if len(degrees) and degrees.max() / degrees.min() >= 10:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("out-degree (edges leaving a node)")
    ax.set_ylabel("fraction of nodes")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


@dataclasses.dataclass(frozen=True)
class CapacityLine:
    """One reservoir setting: capacity per lag over its runs, its total MC, its size."""

    label: str
    lags: np.ndarray
    capacity: np.ndarray  # (runs, K)
    totals: Sequence[float]
    n_units: int
    value: float | None = None  # the swept parameter's value: the line's colour


@dataclasses.dataclass(frozen=True)
class CapacityPanel:
    """One learner's settings; coloured by `parameter` when one numeric setting varies."""

    title: str
    lines: Sequence[CapacityLine]
    parameter: str | None = None


def plot_memory_capacity(panels: Sequence[CapacityPanel]) -> Figure:
    """Capacity against lag, mean over runs with a ±sd band, total MC and N in the legend."""
    fig = Figure(figsize=(5.8 * len(panels), 4.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True))
    for ax, panel in zip(axes, panels, strict=True):
        values = [line.value for line in panel.lines if line.value is not None]
        scale = Normalize(min(values), max(values)) if len(set(values)) > 1 else None
        for k, line in enumerate(panel.lines):
            color = colormaps["viridis"](0.9 * scale(line.value)) if scale else f"C{k % 10}"
            mean, sd = line.capacity.mean(axis=0), line.capacity.std(axis=0)
            total, total_sd = mean_sd(line.totals)
            spread = f" ± {total_sd:.1f}" if len(line.totals) > 1 else ""
            ax.plot(
                line.lags,
                mean,
                color=color,
                lw=1.8,
                label=f"{line.label}: MC {total:.1f}{spread}, N = {line.n_units}",
            )
            ax.fill_between(line.lags, mean - sd, mean + sd, color=color, alpha=0.15, lw=0)
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        ax.set_title(panel.title)
        ax.set_xlabel("lag k (steps)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")
    axes[0].set_ylabel("capacity MC_k (r² of u(t−k))")
    return fig


def _log10(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(np.asarray(values, dtype=np.float64))


def _ticks(n: int, most: int = 8) -> list[int]:
    """Up to `most` evenly spread indices of n rows, always the first and the last."""
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, min(n, most))})


def _shared_legend(fig: Figure, axes: Sequence[Axes]) -> None:
    handles, names = [], []
    for ax in axes:
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            if name not in names:
                handles.append(handle)
                names.append(name)
    # as many columns as fit the figure's width at ~13 characters per inch of 9-point text
    fit = int(fig.get_figwidth() * 13 // (max(map(len, names)) + 5))
    ncols = max(1, min(len(names), 4, fit))
    fig.legend(handles, names, loc="outside lower center", ncols=ncols, fontsize=9)
