"""From spike counts back to labels: Diehl & Cook's label vote and a linear probe.

Pure numpy/scikit-learn, so both readouts can be tested against hand-computed cases.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


def counts_per_presentation(
    spike_times: np.ndarray,
    spike_units: np.ndarray,
    window_ends: np.ndarray,
    window_length: float,
    n_units: int,
) -> np.ndarray:
    """Spike counts (n_windows, n_units) in the windows [end - length, end)."""
    order = np.argsort(spike_times, kind="stable")
    times, units = spike_times[order], spike_units[order]
    starts = np.searchsorted(times, window_ends - window_length, side="left")
    stops = np.searchsorted(times, window_ends, side="left")
    counts = np.zeros((len(window_ends), n_units), dtype=np.int64)
    for row, (start, stop) in enumerate(zip(starts, stops, strict=True)):
        counts[row] = np.bincount(units[start:stop], minlength=n_units)
    return counts


def assign_labels(counts: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Each neuron's label: the class to which it responds most, on average per image."""
    mean_response = np.zeros((n_classes, counts.shape[1]))
    for label in range(n_classes):
        members = labels == label
        if members.any():
            mean_response[label] = counts[members].mean(axis=0)
    assignments = mean_response.argmax(axis=0)
    assignments[mean_response.max(axis=0) == 0] = -1  # never fired: no vote
    return assignments


def vote(counts: np.ndarray, assignments: np.ndarray, n_classes: int) -> np.ndarray:
    """Predicted class per image: the class whose assigned neurons fire most on average."""
    scores = np.full((counts.shape[0], n_classes), -np.inf)
    for label in range(n_classes):
        members = assignments == label
        if members.any():
            scores[:, label] = counts[:, members].mean(axis=1)
    return scores.argmax(axis=1)


def fit_linear_probe(counts: np.ndarray, labels: np.ndarray, c: float = 1.0) -> Pipeline:
    """Logistic regression on standardised spike counts: how much the code linearly carries."""
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
    return probe.fit(counts.astype(np.float64), labels)
