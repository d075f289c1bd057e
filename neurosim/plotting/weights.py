"""Receptive fields: each unit's input weights drawn as an image, tiled into one mosaic."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure


def plot_receptive_fields(
    weights: np.ndarray,
    image_shape: tuple[int, int],
    max_units: int = 100,
    title: str | None = None,
    assignments: np.ndarray | None = None,
    cmap: str = "hot_r",
) -> Figure:
    """Grid of the first `max_units` units' weights (n_units, n_features) as images.

    Each tile is scaled to its own min..max, so weak units stay visible (hence no colour bar).
    One mosaic image instead of one Axes per unit keeps a 400-unit figure fast to draw. With
    `assignments` (the label each unit votes for) tiles are sorted by label and annotated.
    """
    weights = np.asarray(weights, dtype=np.float64)
    shape = tuple(int(n) for n in image_shape)
    if weights.ndim != 2 or weights.shape[1] != shape[0] * shape[1]:
        raise ValueError(f"weights {weights.shape} do not match image shape {shape}")
    units = np.arange(min(max_units, len(weights)))
    if assignments is not None:
        assignments = np.asarray(assignments)[units]
        units = units[np.argsort(assignments, kind="stable")]

    low = weights[units].min(axis=1, keepdims=True)
    span = np.ptp(weights[units], axis=1, keepdims=True)
    tiles = np.divide(
        weights[units] - low, span, out=np.zeros((len(units), weights.shape[1])), where=span > 0
    ).reshape(len(units), *shape)

    n_cols = int(np.ceil(np.sqrt(len(units)))) or 1
    n_rows = int(np.ceil(len(units) / n_cols)) or 1
    h, w = shape
    mosaic = np.full((n_rows * (h + 1) - 1, n_cols * (w + 1) - 1), np.nan)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, n_cols)
        mosaic[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = tile

    side = min(9.0, 0.55 * max(n_cols, n_rows) + 1.0)
    fig = Figure(figsize=(side, side * n_rows / n_cols + 0.5), layout="constrained")
    ax = fig.subplots()
    ax.imshow(mosaic, cmap=cmap, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if assignments is not None:
        for k, unit in enumerate(units):
            r, c = divmod(k, n_cols)
            ax.text(
                c * (w + 1) - 0.4,
                r * (h + 1) - 0.4,
                str(assignments[unit]),
                fontsize=7,
                color="tab:blue",
                ha="left",
                va="top",
                fontweight="bold",
            )
    ax.set_title(title or f"receptive fields of {len(units)} units")
    return fig


MAX_LINES = 60  # more lines than this stop being readable as individuals


def plot_weight_evolution(
    snapshots: dict[str, np.ndarray], x_key: str = "episodes", title: str | None = None
) -> Figure | None:
    """One panel per weight array recorded over training; None when nothing can be drawn.

    `snapshots[x_key]` (1-D) gives the x of each snapshot (snapshot index when absent). A 3-D
    array (snapshots, pre, post) is drawn as the mean weight onto each postsynaptic neuron; a
    2-D array (snapshots, n) as one line per column. Other arrays are skipped.
    """
    arrays = {
        name: np.asarray(values, dtype=np.float64)
        for name, values in snapshots.items()
        if name != x_key and np.ndim(values) in (2, 3)
    }
    if not arrays:
        return None
    fig = Figure(figsize=(5 * len(arrays), 3.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(arrays)))
    for ax, (name, values) in zip(axes, arrays.items(), strict=True):
        lines = values.mean(axis=1) if values.ndim == 3 else values
        x = snapshots.get(x_key)
        x = np.arange(len(lines)) if x is None or len(x) != len(lines) else np.asarray(x)
        step = max(1, lines.shape[1] // MAX_LINES)
        ax.plot(x, lines[:, ::step], lw=0.8, alpha=0.7)
        ax.set_title(name + (" (mean over inputs)" if values.ndim == 3 else ""))
        ax.set_xlabel(x_key if x_key in snapshots else "snapshot")
        ax.set_ylabel("weight")
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig
