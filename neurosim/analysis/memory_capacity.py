"""Short-term memory capacity of a driven dynamical system (Jaeger 2001, 2002).

Drive the system with i.i.d. uniform input u(t); for each lag k train a linear readout of the
state x(t) to reproduce u(t - k) (k = 0 is the input of the step just read: Jaeger's lag 1,
whose state update takes the input one step later) and score it on held-out data by the
squared correlation r²_k. The memory capacity MC = Σ_k r²_k counts how many past inputs the
state still holds linearly; for N units MC ≤ N (Jaeger 2001), and a linear network with an
orthogonal recurrent matrix comes close to N. It works on states from any system (an
echo-state network, a spiking liquid's filtered spike counts), so it imports neither backend.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class MemoryCapacity:
    """r² per lag (lags 0..K-1) and their sum, for a system of n_units."""

    lags: np.ndarray
    capacity: np.ndarray
    n_units: int

    @property
    def total(self) -> float:
        return float(self.capacity.sum())


def white_noise(copies: int, length: int, seed: int) -> np.ndarray:
    """i.i.d. U(0, 1) inputs, one row per independent copy of the system."""
    return np.random.default_rng(seed).uniform(0.0, 1.0, size=(copies, length))


def memory_capacity(
    u: np.ndarray, states: np.ndarray, lags: int, *, ridge: float = 1e-6
) -> MemoryCapacity:
    """MC of `states` (copies, steps, units) driven by `u` (copies, steps).

    The first `lags` steps of each copy are its washout (and have no input that far back); the
    first half of the copies trains the readouts, the second half scores them, so no sample
    is scored by a readout that saw it.
    """
    copies, steps, n_units = states.shape
    if copies < 2 or steps <= lags:
        raise ValueError("memory capacity needs >= 2 copies longer than the number of lags")
    half = copies // 2
    x = states[:, lags:, :]
    targets = np.stack([u[:, lags - k : steps - k] for k in range(lags)], axis=-1)
    weights = _ridge(x[:half].reshape(-1, n_units), targets[:half].reshape(-1, lags), ridge)
    predicted = _affine(x[half:].reshape(-1, n_units), weights)
    truth = targets[half:].reshape(-1, lags)
    capacity = np.array([_r2(predicted[:, k], truth[:, k]) for k in range(lags)])
    return MemoryCapacity(np.arange(lags), capacity, n_units)


def measure(
    drive: Callable[[np.ndarray], np.ndarray], *, copies: int, length: int, lags: int, seed: int
) -> MemoryCapacity:
    """MC of a system given as `drive(u) -> states`, on its own seeded white noise."""
    u = white_noise(copies, length, seed)
    return memory_capacity(u, drive(u), lags)


def _ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Least squares with an intercept and an L2 penalty relative to the feature scale, solved
    by lstsq on the augmented system (the normal equations would square the condition number
    that a linear reservoir near N remembered inputs needs)."""
    mean = x.mean(axis=0)
    centred = x - mean
    scale = np.sqrt(alpha * np.mean(centred**2) * len(x)) + 1e-300
    augmented = np.vstack([centred, scale * np.eye(x.shape[1])])
    padded = np.vstack([y - y.mean(axis=0), np.zeros((x.shape[1], y.shape[1]))])
    w = np.linalg.lstsq(augmented, padded, rcond=None)[0]
    return np.vstack([y.mean(axis=0) - mean @ w, w])


def _affine(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return weights[0] + x @ weights[1:]


def _r2(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Squared correlation (0 when the prediction is constant: nothing was remembered)."""
    if np.std(predicted) == 0:
        return 0.0
    return float(np.corrcoef(predicted, truth)[0, 1] ** 2)
