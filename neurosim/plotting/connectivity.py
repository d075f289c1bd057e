"""Degree distributions of thresholded weight graphs, before and after learning."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# stage -> (line style, colour, legend text, z-order: "after" on top), in legend order
STAGES = {
    "before": ("--", "tab:blue", "before learning", 2),
    "after": ("-", "black", "after learning", 3),
    "shuffled": (":", "0.55", "after, shuffled", 1),
}
# direction -> (x label, y label)
DIRECTIONS = {
    "in": ("inputs kept per unit (in-degree)", "fraction of units"),
    "out": ("units driven per input (out-degree)", "fraction of inputs"),
}


def plot_degree_distributions(histograms: dict[str, dict[str, dict[str, np.ndarray]]]) -> Figure:
    """One row per learner, in- and out-degree side by side; a line per stage.

    `histograms[learner][stage][direction]` counts the nodes of each degree (index = degree),
    summed over seeds; each line is normalised to the fraction of nodes, so learners with
    different numbers of units or seeds read on one scale.
    """
    if not histograms:
        raise ValueError("no degree distributions to plot")
    fig = Figure(figsize=(9.0, 0.6 + 2.3 * len(histograms)), layout="constrained")
    axes = fig.subplots(len(histograms), 2, squeeze=False)
    for row, (learner, stages) in zip(axes, histograms.items(), strict=True):
        for ax, (direction, (xlabel, ylabel)) in zip(row, DIRECTIONS.items(), strict=True):
            for stage, (style, color, text, z) in STAGES.items():
                if stage not in stages:
                    continue
                counts = np.asarray(stages[stage][direction], dtype=np.float64)
                degrees = np.arange(len(counts))
                fraction = counts / counts.sum()
                ax.step(degrees, fraction, where="mid", ls=style, c=color, label=text, zorder=z)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.set_ylim(bottom=0)
            ax.set_xlim(left=-0.5)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(learner, fontsize=10, loc="left")
        row[1].legend(fontsize=8)
    return fig
