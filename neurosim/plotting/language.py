"""Figures of the language family: perplexity over training, by position in the sentence, and a
recurrent net's gates read word by word."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter, ScalarFormatter

from neurosim.activity import Signal
from neurosim.plotting.curves import Curve, plot_learning_curves
from neurosim.plotting.sequences import signal_colours


@dataclasses.dataclass(frozen=True)
class CurvePanel:
    """One task: validation perplexity per epoch of each trained label (one curve per seed),
    the flat lines of the models that do not train by epochs, and the floor if known."""

    task: str
    curves: dict[str, list[Curve]]
    flat: dict[str, float]
    floor: float | None


@dataclasses.dataclass(frozen=True)
class PositionPanel:
    """One task: perplexity at each position in the sentence, per label."""

    task: str
    positions: np.ndarray  # 1-based; the last one pools every later position
    perplexity: dict[str, np.ndarray]
    floor: float | None


def plot_perplexity_curves(panels: Sequence[CurvePanel]) -> Figure:
    fig = Figure(figsize=(6.2 * len(panels), 4.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)[0])
    labels = sorted({label for p in panels for label in (*p.curves, *p.flat)})
    colors = {label: f"C{i % 10}" for i, label in enumerate(labels)}
    for ax, panel in zip(axes, panels, strict=True):
        plot_learning_curves(
            panel.curves,
            xlabel="epoch",
            ylabel="validation perplexity",
            logx=False,
            ax=ax,
            colors=colors,
            title=panel.task,
        )
        for label, value in panel.flat.items():
            ax.axhline(value, color=colors[label], ls=":", lw=1.6, label=f"{label} (counted once)")
        if panel.floor is not None:
            ax.axhline(panel.floor, color="black", ls="--", lw=1.2, label="floor (the source)")
        _log_perplexity_axis(ax)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=8)
    return fig


def plot_perplexity_by_position(panels: Sequence[PositionPanel]) -> Figure:
    fig = Figure(figsize=(6.2 * len(panels), 4.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)[0])
    labels = sorted({label for p in panels for label in p.perplexity})
    colors = {label: f"C{i % 10}" for i, label in enumerate(labels)}
    for ax, panel in zip(axes, panels, strict=True):
        for label, values in panel.perplexity.items():
            ax.plot(panel.positions, values, marker="o", ms=3, color=colors[label], label=label)
        if panel.floor is not None:
            ax.axhline(panel.floor, color="black", ls="--", lw=1.2, label="floor, all positions")
        last = int(panel.positions[-1])
        steps = range(1, last) if last <= 12 else (1, 2, 5, 10, 15, 20, 25, 30, 40)
        ticks = [p for p in steps if p < last - 1] + [last]
        ax.set_xticks(ticks, [*map(str, ticks[:-1]), f"{last}+"])
        ax.set_xlabel("position of the token in its sentence (1: first word)")
        ax.set_ylabel("test perplexity at that position")
        ax.set_title(panel.task, fontsize=11)
        ax.grid(alpha=0.3)
        _log_perplexity_axis(ax)
        ax.legend(fontsize=8)
    return fig


def plot_sentence_gates(
    words: Sequence[str], signals: dict[str, Signal], title: str, units: int = 32
) -> Figure:
    """One heat map per signal (the first `units` units against the words read); gates on one
    0-1 scale, cell and hidden state diverging around 0."""
    fig = Figure(figsize=(max(8.0, 0.42 * len(words) + 2), 1.2 + 1.9 * len(signals)))
    fig.set_layout_engine("constrained")
    axes = np.atleast_1d(fig.subplots(len(signals), 1, sharex=True, squeeze=False)[:, 0])
    for ax, (name, signal) in zip(axes, signals.items(), strict=True):
        values = np.asarray(signal.values)[: len(words), :units]
        cmap, norm = signal_colours(name, values)
        image = ax.imshow(
            values.T, aspect="auto", origin="lower", cmap=cmap, norm=norm, interpolation="nearest"
        )
        fig.colorbar(image, ax=ax, pad=0.01, aspect=10)
        ax.set_ylabel(f"{name.replace('_', ' ')}\nunit", fontsize=9)
    axes[-1].set_xticks(range(len(words)), words, rotation=60, ha="right", fontsize=8)
    axes[-1].set_xlabel("word read at this step (the net predicts the next one)")
    fig.suptitle(title, fontsize=11)
    return fig


def _log_perplexity_axis(ax) -> None:
    """Perplexities span decades between unigram and floor: log y with plain-number ticks."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
