"""Confusion matrices, row-normalised (rows: true class), one annotated heat map per label."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from neurosim.analysis.classification import row_normalise


def plot_confusion_matrices(
    matrices: dict[str, np.ndarray],
    class_names: Sequence[str] | None = None,
    max_cols: int = 3,
) -> Figure:
    """One heat map per label of the fraction of each true class given each prediction.

    Rows are normalised so the diagonal reads as per-class recall whatever the class sizes;
    cells are annotated in % (cells under 0.5 % left blank, so the errors stand out).
    """
    if not matrices:
        raise ValueError("no confusion matrices to plot")
    n_cols = min(max_cols, len(matrices))
    n_rows = int(np.ceil(len(matrices) / n_cols))
    fig = Figure(figsize=(4.2 * n_cols + 0.8, 4.0 * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    image = None
    for ax, (label, counts) in zip(axes, matrices.items(), strict=False):
        fractions = row_normalise(counts)
        n = len(fractions)
        names = list(class_names) if class_names is not None else [str(k) for k in range(n)]
        image = ax.imshow(fractions, cmap="Blues", vmin=0, vmax=1)
        if n <= 20:
            for (i, j), value in np.ndenumerate(fractions):
                if value >= 0.005:
                    ax.text(
                        j,
                        i,
                        f"{100 * value:.0f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if value > 0.5 else "black",
                    )
        ax.set_xticks(range(n), names, fontsize=8)
        ax.set_yticks(range(n), names, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{label} (n={int(np.sum(counts))})", fontsize=10)
    for ax in axes[len(matrices) :]:
        ax.set_visible(False)
    fig.colorbar(
        image, ax=axes[: len(matrices)].tolist(), shrink=0.8, label="fraction of true class"
    )
    return fig
