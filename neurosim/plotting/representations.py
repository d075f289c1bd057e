"""RDMs side by side and the representation-by-representation similarity matrices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from scipy.stats import rankdata


def label_order(labels: Sequence[int]) -> np.ndarray:
    """Stimulus indices sorted by label (stable), so each class is one block of the RDM."""
    return np.argsort(np.asarray(labels), kind="stable")


def percentiles(square: np.ndarray) -> np.ndarray:
    """An RDM's off-diagonal dissimilarities as percentiles of themselves (NaN kept, diagonal 0).

    RDMs of pixels, spike counts and logits span different ranges; in percentiles they share one
    colour scale, and what the eye compares is the ranks that Spearman's rho compares.
    """
    out = np.full(square.shape, np.nan)
    off = ~np.eye(len(square), dtype=bool) & np.isfinite(square)
    out[off] = 100 * (rankdata(square[off]) - 0.5) / off.sum()
    np.fill_diagonal(out, 0.0)
    return out


def plot_rdms(rdms: Mapping[str, np.ndarray], labels: Sequence[int], max_cols: int = 5) -> Figure:
    """One panel per square RDM (same stimuli, in `labels`' order), stimuli sorted by label,
    class boundaries as white lines, one percentile colour scale."""
    if not rdms:
        raise ValueError("no RDMs to plot")
    order = label_order(labels)
    sorted_labels = np.asarray(labels)[order]
    edges = np.flatnonzero(np.diff(sorted_labels)) + 0.5
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_labels)) + 1]
    ends = np.r_[starts[1:], len(sorted_labels)]
    centres = (starts + ends - 1) / 2
    n_rows = -(-len(rdms) // max_cols)
    n_cols = -(-len(rdms) // n_rows)  # rows filled evenly: 6 panels as 2 x 3, not 5 + 1
    fig = Figure(figsize=(3.0 * n_cols + 1.2, 3.4 * n_rows + 0.4), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    image = None
    for ax, (name, square) in zip(axes, rdms.items(), strict=False):
        shown = percentiles(np.asarray(square)[np.ix_(order, order)])
        image = ax.imshow(shown, cmap="viridis", vmin=0, vmax=100, interpolation="nearest")
        for edge in edges:
            ax.axhline(edge, color="white", linewidth=0.6)
            ax.axvline(edge, color="white", linewidth=0.6)
        ax.set_xticks(centres, [str(label) for label in sorted_labels[starts]], fontsize=7)
        ax.set_yticks(centres, [str(label) for label in sorted_labels[starts]], fontsize=7)
        ax.tick_params(length=0)
        ax.set_title(name, fontsize=9)
    for ax in axes[len(rdms) :]:
        ax.set_visible(False)
    axes[0].set_ylabel("stimulus (by class)")
    for ax in axes[(n_rows - 1) * n_cols : len(rdms)]:
        ax.set_xlabel("stimulus (by class)")
    fig.colorbar(
        image,
        ax=axes[: len(rdms)].tolist(),
        shrink=0.8,
        label="dissimilarity (percentile)",
    )
    return fig


def plot_similarity_matrices(names: Sequence[str], matrices: Mapping[str, np.ndarray]) -> Figure:
    """One annotated heat map per measure (title -> square matrix over `names`), scale 0 to 1
    (negative values, rare, show as 0's colour with their number written)."""
    if not matrices:
        raise ValueError("no similarity matrices to plot")
    n = len(names)
    side = max(3.6, 0.55 * n + 2.0)
    fig = Figure(figsize=(side * len(matrices) + 1.0, side), layout="constrained")
    axes = fig.subplots(1, len(matrices), squeeze=False).ravel()
    image = None
    for ax, (title, matrix) in zip(axes, matrices.items(), strict=True):
        image = ax.imshow(matrix, cmap="viridis", vmin=0, vmax=1)
        for (i, j), value in np.ndenumerate(matrix):
            if np.isfinite(value):
                colour = "black" if value > 0.6 else "white"
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8, color=colour)
        ax.set_xticks(range(n), names, rotation=40, ha="right", fontsize=8)
        ax.set_yticks(range(n), names, fontsize=8)
        ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=axes.tolist(), shrink=0.8, label="similarity")
    return fig
