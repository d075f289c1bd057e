"""Generalization numbers the lab's report reads: the train - test gap, epochs to fit a training
set, and the one-hot squared error random-features regression is judged by. numpy only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from neurosim.metrics import METRICS, Metric

METRICS.declare(
    Metric(
        "onehot_mse",
        "squared error of the outputs against one-hot targets, summed over classes, "
        "averaged over samples (what least squares minimises)",
        "",
        False,
        True,
    ),
)

FIT_THRESHOLD = 0.99  # "fitted": train accuracy at or above 99 %


def generalization_gap(metrics: Mapping[str, Mapping[str, float]], metric: str = "accuracy"):
    """Train minus test value of `metric` from one run's metrics (split -> metric -> value), or
    None when either split lacks it. Positive: the learner does better on what it saw."""
    train = metrics.get("train", {}).get(metric)
    test = metrics.get("test", {}).get(metric)
    if train is None or test is None:
        return None
    return float(train) - float(test)


def epochs_to_fit(
    history: Sequence[Mapping[str, float]], threshold: float = FIT_THRESHOLD
) -> float | None:
    """The first epoch whose logged train accuracy reaches `threshold`, or None when none did
    (or the history logs no epochs: a learner without epochs cannot be said to fit in them)."""
    for row in history:
        if "epoch" in row and row.get("train_accuracy", -1.0) >= threshold:
            return float(row["epoch"])
    return None


def onehot_mse(outputs: np.ndarray, y: np.ndarray) -> float:
    """Mean over samples of the summed squared error between outputs (n, classes) and the
    one-hot targets of labels `y`."""
    targets = np.eye(outputs.shape[1])[y]
    return float(np.mean(np.sum((outputs - targets) ** 2, axis=1)))


def interpolation_width(n_train: int, n_inputs: int, n_classes: int) -> float:
    """Hidden width at which a one-hidden-layer mlp has as many parameters as there are training
    targets (n_train x n_classes): w (n_inputs + 1) + n_classes (w + 1) = n_train n_classes."""
    return (n_train * n_classes - n_classes) / (n_inputs + 1 + n_classes)
