"""Figures read off loss landscapes: how far a line rises on the way down, the barrier between
two solutions, and the trend of sharpness with batch size. numpy only, so the report computes
them from the stored arrays exactly as the learner scored them."""

from __future__ import annotations

import math

import numpy as np

from neurosim.metrics import METRICS, Metric

METRICS.declare(
    Metric(
        "sharpness",
        "top eigenvalue of the training loss's Hessian at the solution (Lanczos on a training "
        "subsample; Keskar et al. 2017)",
        "",
        None,
        True,
    ),
    Metric(
        "init_max_rise",
        "largest rise of the training loss along the straight line from initialisation to "
        "solution (0: monotone, as Goodfellow et al. 2015 found)",
        "",
        None,
    ),
    Metric(
        "seed_barrier",
        "highest training loss on the straight line between two seeds' solutions minus the mean "
        "of its ends (0: linearly mode connected)",
        "",
        None,
        True,
    ),
    Metric(
        "negative_fraction_init",
        "fraction of the Hessian's eigenvalues below -1e-3 x its top one at initialisation "
        "(stochastic Lanczos quadrature)",
        "%",
        None,
    ),
    Metric(
        "negative_fraction_solution",
        "fraction of the Hessian's eigenvalues below -1e-3 x its top one at the solution "
        "(stochastic Lanczos quadrature)",
        "%",
        None,
    ),
)


def max_rise(values: np.ndarray) -> float:
    """The largest increase met walking along `values` in order: max_j (v_j - min_{i<=j} v_i).
    0 for a non-increasing sequence (a monotone descent)."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.max(values - np.minimum.accumulate(values))) if len(values) else 0.0


def barrier(values: np.ndarray) -> float:
    """Max of `values` (a line between two solutions, ends included) minus the mean of the two
    ends: > 0 when the line climbs a ridge between them."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.max(values) - (values[0] + values[-1]) / 2)


def between(alphas: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The values at 0 <= alpha <= 1: the segment between the two points, not its extension."""
    alphas = np.asarray(alphas)
    return np.asarray(values)[(alphas >= 0) & (alphas <= 1)]


def log_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of log10 y against log10 x (NaN with fewer than two distinct x):
    e.g. > 0 when sharpness grows with batch size."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = (x > 0) & (y > 0)
    if len(np.unique(x[keep])) < 2:
        return math.nan
    return float(np.polyfit(np.log10(x[keep]), np.log10(y[keep]), 1)[0])
