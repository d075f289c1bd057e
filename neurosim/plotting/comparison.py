"""Metric comparison across labels: bars of mean ± sd over seeds, one dot per seed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from neurosim.analysis.classification import mean_sd

_HATCHES = ("", "//", "..", "xx", "\\\\")


def plot_metric_comparison(
    values: dict[str, Sequence[float]],
    metric_name: str,
    references: dict[str, float] | None = None,
    extra: dict[str, dict[str, Sequence[float]]] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Bars of `metric_name` (fractions, drawn in %) per label, with mean ± sd text on each bar.

    `extra` maps further metric names (e.g. "probe_accuracy") to per-label seed values; they are
    drawn as hatched bars beside the label's main bar, only for the labels that have them.
    `references` are dashed horizontal lines (published or baseline numbers, as fractions).
    """
    metrics = {metric_name: values, **(extra or {})}
    labels = list(dict.fromkeys(label for per_label in metrics.values() for label in per_label))
    if ax is None:
        ax = Figure(
            figsize=(max(5.0, 1.1 * len(labels) + 2.5), 4.5), layout="constrained"
        ).subplots()
    width = 0.8 / len(metrics)
    rng = np.random.default_rng(0)  # fixed jitter: the same data gives the same picture
    for i, label in enumerate(labels):
        present = [name for name in metrics if label in metrics[name] and len(metrics[name][label])]
        for k, name in enumerate(present):
            seeds = 100 * np.asarray(metrics[name][label], dtype=np.float64)
            mean, sd = mean_sd(seeds)
            x = i + (k - (len(present) - 1) / 2) * width
            hatch = _HATCHES[list(metrics).index(name) % len(_HATCHES)]
            ax.bar(
                x,
                mean,
                width * 0.92,
                yerr=sd,
                color=f"C{i % 10}",
                alpha=0.8,
                hatch=hatch,
                edgecolor="white",
                capsize=3,
                error_kw={"lw": 1},
            )
            jitter = rng.uniform(-0.18, 0.18, len(seeds)) * width
            ax.scatter(x + jitter, seeds, s=12, color="k", zorder=3)
            _write_value(ax, x, mean, sd)
    for j, (name, value) in enumerate((references or {}).items()):
        ax.axhline(100 * value, color="0.3", ls="--", lw=0.9, zorder=0.5)  # behind the bars
        ax.annotate(
            name,
            (1.0, 100 * value),
            xycoords=("axes fraction", "data"),
            fontsize=8,
            xytext=(4, 9 * (j % 2)),  # right of the axes, clear of the bars
            textcoords="offset points",
            ha="left",
            va="center",
            color="0.3",
            annotation_clip=False,
        )
    ax.set_xticks(
        range(len(labels)),
        labels,
        rotation=20 if len(labels) > 4 else 0,
        ha="right" if len(labels) > 4 else "center",
    )
    ax.set_ylim(0, 105)
    ax.set_ylabel(f"{metric_name} (%)")
    ax.grid(axis="y", alpha=0.3)
    if len(metrics) > 1:
        ax.legend(
            handles=[
                Patch(
                    facecolor="0.6",
                    hatch=_HATCHES[k % len(_HATCHES)],
                    edgecolor="white",
                    label=name,
                )
                for k, name in enumerate(metrics)
            ],
            fontsize=8,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=len(metrics),
            frameon=False,
        )
    return ax.figure


def _write_value(ax: Axes, x: float, mean: float, sd: float) -> None:
    """Mean ± sd written upwards inside the bar, or above it when the bar is too short."""
    text = f"{mean:.1f} ± {sd:.1f}"
    if mean >= 30:
        ax.text(
            x,
            2,
            text,
            rotation=90,
            ha="center",
            va="bottom",
            fontsize=8,
            color="white",
            fontweight="bold",
        )
    else:
        ax.text(x, mean + sd + 2, text, rotation=90, ha="center", va="bottom", fontsize=8)
