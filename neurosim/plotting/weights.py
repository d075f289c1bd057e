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
