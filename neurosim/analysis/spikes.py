"""Spike-train statistics: firing rates, ISI coefficient of variation, Fano factor.

Written with numpy because elephant (the library the design names for this) is not installed and
would pull in neo and quantities for three short formulas; the conventions follow elephant's.
"""

from __future__ import annotations

import numpy as np

from neurosim.activity import Activity, SpikeTrains


def firing_rates(activity: Activity, t0: float, t1: float) -> dict[str, np.ndarray]:
    """Rate of every unit (Hz) in [t0, t1), per population: spike count / (t1 - t0)."""
    return {name: trains.rates(t0, t1) for name, trains in activity.spikes.items()}


def isi_cv(trains: SpikeTrains, min_spikes: int = 3) -> np.ndarray:
    """Coefficient of variation of inter-spike intervals, one value per unit.

    CV = std(ISI) / mean(ISI), population std (ddof=0) as in `elephant.statistics.cv`. It is 0 for
    a clock-regular train and 1 for a Poisson process. Units with fewer than `min_spikes` spikes
    get NaN: two intervals are the fewest that have a spread.
    """
    order = np.lexsort((trains.times, trains.units))
    times, units = trains.times[order], trains.units[order]
    same_unit = units[1:] == units[:-1]
    isi = np.diff(times)[same_unit]
    owner = units[1:][same_unit]
    n = np.bincount(owner, minlength=trains.n_units)
    total = np.bincount(owner, weights=isi, minlength=trains.n_units)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        var = np.bincount(owner, weights=(isi - mean[owner]) ** 2, minlength=trains.n_units) / n
        cv = np.sqrt(var) / mean
    cv[n < max(min_spikes - 1, 1)] = np.nan
    return cv


def binned_counts(trains: SpikeTrains, t0: float, t1: float, width: float) -> np.ndarray:
    """Spike counts (n_units, n_windows) in consecutive windows of `width` s from t0.

    Only whole windows count: a remainder shorter than `width` at the end is dropped.
    """
    n_windows = int(np.floor((t1 - t0) / width + 1e-9))
    if n_windows < 1:
        raise ValueError(f"window {width} s does not fit in [{t0}, {t1})")
    inside = trains.window(t0, t0 + n_windows * width)
    index = np.minimum(((inside.times - t0) / width).astype(np.int64), n_windows - 1)
    flat = np.bincount(inside.units * n_windows + index, minlength=trains.n_units * n_windows)
    return flat.reshape(trains.n_units, n_windows)


def fano_factor(trains: SpikeTrains, t0: float, t1: float, width: float) -> np.ndarray:
    """Fano factor of each unit's spike counts over consecutive windows of `width` s.

    F = var(counts) / mean(counts), with the unbiased variance (ddof=1) so that a Poisson process
    gives F = 1 in expectation. F < 1 means more regular than Poisson; F > 1 means counts that
    change with the stimulus or come in bursts. Units that never fire, or fewer than two windows,
    give NaN.
    """
    counts = binned_counts(trains, t0, t1, width)
    if counts.shape[1] < 2:
        return np.full(trains.n_units, np.nan)
    mean = counts.mean(axis=1)
    var = counts.var(axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mean > 0, var / mean, np.nan)


def population_summary(
    activity: Activity, t0: float, t1: float, window: float
) -> dict[str, dict[str, float]]:
    """Per population: units, mean rate (Hz), fraction of units that fired, median CV and Fano.

    Medians skip units without a defined value, so a few silent units do not hide the rest.
    """
    summary = {}
    for name, trains in activity.spikes.items():
        rates = trains.rates(t0, t1)
        cv = isi_cv(trains.window(t0, t1))
        fano = fano_factor(trains, t0, t1, window)
        summary[name] = {
            "units": float(trains.n_units),
            "rate_hz": float(rates.mean()) if trains.n_units else float("nan"),
            "active_fraction": float(np.mean(rates > 0)) if trains.n_units else float("nan"),
            "median_cv": _nanmedian(cv),
            "median_fano": _nanmedian(fano),
        }
    return summary


def _nanmedian(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(np.median(values)) if len(values) else float("nan")
