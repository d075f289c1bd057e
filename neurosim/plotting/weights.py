"""Receptive fields: each unit's input weights drawn as an image, tiled into one mosaic."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke


def plot_receptive_fields(
    weights: np.ndarray,
    image_shape: tuple[int, int],
    max_units: int = 100,
    title: str | None = None,
    assignments: np.ndarray | None = None,
    signed: bool = False,
) -> Figure:
    """Grid of the first `max_units` units' weights (n_units, n_features) as images.

    Unsigned weights (plasticity keeps them >= 0) use a sequential map and each tile is scaled to
    its own min..max, so weak units stay visible (hence no colour bar). Signed weights (a trained
    layer) use a diverging map centred on zero with limits +-max|w| shared by every tile and a
    colour bar: excitatory and inhibitory pixels, and their strength, then read alike across
    units. One mosaic image instead of one Axes per unit keeps a 400-unit figure fast to draw.
    With `assignments` (the label each unit votes for) tiles are sorted by label and annotated.
    """
    weights = np.asarray(weights, dtype=np.float64)
    shape = tuple(int(n) for n in image_shape)
    if weights.ndim != 2 or weights.shape[1] != shape[0] * shape[1]:
        raise ValueError(f"weights {weights.shape} do not match image shape {shape}")
    units = np.arange(min(max_units, len(weights)))
    if assignments is not None:
        assignments = np.asarray(assignments)[units]
        units = units[np.argsort(assignments, kind="stable")]

    if signed:
        tiles = weights[units].reshape(len(units), *shape)
        limit = float(np.max(np.abs(tiles))) or 1.0
        cmap, vmin, vmax = "RdBu_r", -limit, limit
    else:
        low = weights[units].min(axis=1, keepdims=True)
        span = np.ptp(weights[units], axis=1, keepdims=True)
        tiles = np.divide(
            weights[units] - low, span, out=np.zeros((len(units), weights.shape[1])), where=span > 0
        ).reshape(len(units), *shape)
        cmap, vmin, vmax = "hot_r", 0.0, 1.0

    n_cols = int(np.ceil(np.sqrt(len(units)))) or 1
    n_rows = int(np.ceil(len(units) / n_cols)) or 1
    h, w = shape
    gap = max(1, max(h, w) // 16)  # canvas-sized fields need a wider gap to read as separate
    mosaic = np.full((n_rows * (h + gap) - gap, n_cols * (w + gap) - gap), np.nan)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, n_cols)
        mosaic[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = tile

    side = min(9.0, 0.55 * max(n_cols, n_rows) + 1.0)
    width = side + (1.1 if signed else 0.0)  # room for the colour bar
    fig = Figure(figsize=(width, side * n_rows / n_cols + 0.5), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(mosaic, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_facecolor("0.8")  # gaps between tiles, apart from zero and from hot_r's white
    if signed:
        fig.colorbar(image, ax=ax, shrink=0.8, label="weight")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if assignments is not None:
        for k, unit in enumerate(units):
            r, c = divmod(k, n_cols)
            ax.text(
                c * (w + gap) - 0.4,
                r * (h + gap) - 0.4,
                str(assignments[unit]),
                fontsize=7,
                color="tab:blue",
                ha="left",
                va="top",
                fontweight="bold",
                path_effects=[withStroke(linewidth=2, foreground="white")],  # legible on dark
            )
    ax.set_title(title or f"receptive fields of {len(units)} units")
    return fig


def plot_weight_evolution(
    snapshots: dict[str, np.ndarray],
    group_sizes: dict[str, int],
    n_per_dim: int,
    dimension_names: list[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Weights of population-coded connections: where they ended and how they got there.

    `snapshots["episodes"]` (s,) gives the x axis; every other array named in `group_sizes` is
    (s, post, pre), its post neurons in consecutive groups of `group_sizes[name]` (one group
    per action, or one critic group), its inputs in blocks of `n_per_dim` per observation
    dimension. Top row: the last snapshot, averaged over each group (rows) against inputs
    (columns, one block per dimension). Bottom row: over training, the weight of every input
    onto the group (one group), or its preference = the last group minus the first (two or
    more: which action the input votes for), coloured by dimension.
    """
    names = [name for name in group_sizes if name in snapshots]
    episodes = np.asarray(snapshots["episodes"])
    fig = Figure(figsize=(6 * len(names), 6.2), layout="constrained")
    axes = fig.subplots(2, len(names), squeeze=False)
    for column, name in enumerate(names):
        weights = np.asarray(snapshots[name], dtype=np.float64)
        n_groups = weights.shape[1] // group_sizes[name]
        grouped = weights.reshape(len(weights), n_groups, group_sizes[name], -1).mean(axis=2)
        n_dims = grouped.shape[-1] // n_per_dim
        labels = dimension_names or [f"dim {d}" for d in range(n_dims)]

        top = axes[0, column]
        image = top.imshow(grouped[-1], aspect="auto", cmap="viridis", interpolation="nearest")
        fig.colorbar(image, ax=top, label="mean weight")
        for d in range(1, n_dims):
            top.axvline(d * n_per_dim - 0.5, color="w", lw=1.5)
        top.set_xticks(
            [(d + 0.5) * n_per_dim - 0.5 for d in range(n_dims)],
            labels[:n_dims],
            fontsize=8,
            rotation=12,
        )
        top.set_yticks(range(n_groups), [f"{name} {g}" for g in range(n_groups)])
        top.set_title(f"{name}: weights after episode {episodes[-1]}")

        bottom = axes[1, column]
        trend = grouped[:, -1] - grouped[:, 0] if n_groups > 1 else grouped[:, 0]
        for d in range(n_dims):
            block = trend[:, d * n_per_dim : (d + 1) * n_per_dim]
            bottom.plot(episodes, block, color=f"C{d}", lw=0.9, alpha=0.8)
            bottom.plot([], [], color=f"C{d}", label=labels[d])
        bottom.set_xlabel("training episode")
        bottom.set_ylabel(f"{name} {n_groups - 1} - {name} 0 weight" if n_groups > 1 else "weight")
        bottom.axhline(0, color="k", lw=0.5)
        bottom.legend(fontsize=7, ncols=2)
        bottom.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig
