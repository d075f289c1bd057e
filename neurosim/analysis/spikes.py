"""Spike-train statistics through elephant, on `SpikeTrains` in, plain floats and arrays out.

Every statistic here is computed by elephant (the library neuroscientists already check their
numbers with); `neo_adapter` turns the spikes into neo objects and the quantities back into
floats, so callers never handle units. Times are seconds, rates Hz. Where elephant's convention
differs from the one neurosim reported before (the Fano factor's variance), the docstring says
which one is returned.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence

import elephant.utils
import numpy as np
from elephant import kernels
from elephant import statistics as es
from elephant.conversion import BinnedSpikeTrain
from elephant.spike_train_correlation import (
    correlation_coefficient,
    cross_correlation_histogram,
    spike_time_tiling_coefficient,
)
from elephant.spike_train_dissimilarity import van_rossum_distance, victor_purpura_distance
from elephant.spike_train_synchrony import spike_contrast

from neurosim.activity import Activity, Signal, SpikeTrains
from neurosim.analysis.neo_adapter import (
    hertz,
    plain,
    seconds,
    spike_trains,
    to_signal,
    unit_times,
)

# BinnedSpikeTrain moves a spike that float rounding put just below a bin edge into the next bin,
# which is the binning wanted here, and logs every move: that log would flood `neurosim show`.
logging.getLogger(elephant.utils.__file__).setLevel(logging.ERROR)

MIN_SPIKES = 3  # two intervals are the fewest that have a spread (CV, CV2, LV)


def firing_rates(activity: Activity, t0: float, t1: float) -> dict[str, np.ndarray]:
    """Rate of every unit (Hz) in [t0, t1), per population: spike count / (t1 - t0)."""
    return {name: unit_rates(trains, t0, t1) for name, trains in activity.spikes.items()}


def unit_rates(trains: SpikeTrains, t0: float, t1: float) -> np.ndarray:
    """`elephant.statistics.mean_firing_rate` of each unit's spikes in [t0, t1) (Hz)."""
    rates = [es.mean_firing_rate(train) for train in spike_trains(trains, t0, t1)]
    return np.array([plain(rate, "Hz") for rate in rates], dtype=np.float64)


def isi_cv(trains: SpikeTrains, min_spikes: int = MIN_SPIKES) -> np.ndarray:
    """Coefficient of variation of inter-spike intervals, one value per unit.

    `elephant.statistics.cv` of `elephant.statistics.isi`: std(ISI) / mean(ISI) with the
    population std (ddof=0), as neurosim computed it before. 0 for a clock-regular train, 1 for
    a Poisson process. Units with fewer than `min_spikes` spikes get NaN.
    """
    return _per_unit_isi(trains, es.cv, min_spikes)


def isi_cv2(trains: SpikeTrains, min_spikes: int = MIN_SPIKES) -> np.ndarray:
    """CV2 (Holt et al. 1996) of each unit: mean of 2|I[i+1] - I[i]| / (I[i+1] + I[i]).

    Compares only neighbouring intervals, so slow rate changes (one stimulus after another)
    do not inflate it the way they inflate the CV. About 1 for Poisson, 0 for clockwork.
    """
    return _per_unit_isi(trains, es.cv2, min_spikes)


def isi_lv(trains: SpikeTrains, min_spikes: int = MIN_SPIKES) -> np.ndarray:
    """Local variation LV (Shinomoto et al. 2003) of each unit.

    LV = 3 mean((I[i] - I[i+1])² / (I[i] + I[i+1])²) over neighbouring intervals. Like CV2,
    local and so robust to rate changes; 1 for Poisson, 0 for clockwork, above 1 for bursts.
    """
    return _per_unit_isi(trains, es.lv, min_spikes)


def binned_counts(trains: SpikeTrains, t0: float, t1: float, width: float) -> np.ndarray:
    """Spike counts (n_units, n_windows) in consecutive windows of `width` s from t0.

    Only whole windows count: a remainder shorter than `width` at the end is dropped.
    """
    edges = _window_edges(t0, t1, width)
    return np.array(
        [np.diff(np.searchsorted(times, edges)) for times in unit_times(trains, t0, edges[-1])],
        dtype=np.int64,
    ).reshape(trains.n_units, len(edges) - 1)


def fano_factor(trains: SpikeTrains, t0: float, t1: float, width: float) -> np.ndarray:
    """Fano factor of each unit's counts over consecutive windows of `width` s (pooled windows).

    `elephant.statistics.fanofactor` over the windows, scaled by n/(n-1): elephant divides the
    variance by n (ddof=0), neurosim reports the unbiased variance (ddof=1) so that a Poisson
    process gives F = 1 in expectation even with few windows. When the windows show different
    stimuli this mixes trial-to-trial noise with selectivity (F > 1 for a selective unit); use
    `trial_fano` for the variability of responses to one stimulus. Silent units, or fewer than
    two windows, give NaN.
    """
    edges = _window_edges(t0, t1, width)
    if len(edges) < 3:
        return np.full(trains.n_units, np.nan)
    return np.array(
        [
            _fano(np.split(times, np.searchsorted(times, edges[1:-1])))
            for times in unit_times(trains, t0, edges[-1])
        ],
        dtype=np.float64,
    )


def trial_fano(
    trains: SpikeTrains,
    onsets: Sequence[float],
    duration: float,
    stimulus_ids: Sequence[int],
    min_repeats: int = 2,
) -> np.ndarray:
    """Trial-to-trial Fano factor of each unit: variability of its response to ONE stimulus.

    For every stimulus presented at least `min_repeats` times, the unit's spike counts in
    [onset, onset + duration) across those repeats give a Fano factor (elephant's, scaled by
    n/(n-1) to the unbiased variance as in `fano_factor`); the result is the mean over the
    stimuli that made the unit fire. 1 for Poisson-like responses, 0 for identical ones.
    Units that never fired on a repeated stimulus, or no repeated stimulus, give NaN.
    """
    onsets = np.asarray(onsets, dtype=np.float64)
    ids = np.asarray(stimulus_ids)
    if onsets.shape != ids.shape:
        raise ValueError("need one stimulus id per onset")
    stimuli, repeats = np.unique(ids, return_counts=True)
    groups = [np.flatnonzero(ids == s) for s in stimuli[repeats >= min_repeats]]
    per_unit = [[] for _ in range(trains.n_units)]
    for group in groups:
        responses = [unit_times(trains, onsets[k], onsets[k] + duration) for k in group]
        for unit in range(trains.n_units):
            per_unit[unit].append(_fano([response[unit] for response in responses]))
    return np.array([_nanmean(values) for values in per_unit], dtype=np.float64)


def instantaneous_rate(
    trains: SpikeTrains, t0: float, t1: float, sigma: float = 0.01, dt: float = 0.001
) -> Signal:
    """Kernel estimate of each unit's rate (Hz) on [t0, t1), sampled every `dt` s.

    `elephant.statistics.instantaneous_rate` with a Gaussian kernel of s.d. `sigma` s and
    elephant's border correction, so the estimate does not sag near t0 and t1.
    """
    rate = es.instantaneous_rate(
        spike_trains(trains, t0, t1),
        sampling_period=seconds(dt),
        kernel=kernels.GaussianKernel(seconds(sigma)),
        t_start=seconds(t0),
        t_stop=seconds(t1),
        border_correction=True,
    )
    return to_signal(rate, "Hz")


def psth(
    trains: SpikeTrains,
    onsets: Sequence[float],
    duration: float,
    before: float = 0.0,
    sigma: float = 0.01,
    dt: float = 0.001,
) -> Signal:
    """Peri-stimulus time histogram by kernel estimate: each unit's rate (Hz) around an onset.

    The spikes in [onset - before, onset + duration) of every onset are aligned to it and
    pooled; the pooled kernel rate (see `instantaneous_rate`) divided by the number of onsets
    is the trial-averaged rate. `t` runs from -before to duration (s from onset).
    """
    onsets = np.asarray(onsets, dtype=np.float64)
    if not len(onsets):
        raise ValueError("a PSTH needs at least one onset")
    aligned = [trains.window(t - before, t + duration) for t in onsets]
    pooled = SpikeTrains(
        np.concatenate([w.times - t for w, t in zip(aligned, onsets, strict=True)]),
        np.concatenate([w.units for w in aligned]),
        trains.n_units,
    )
    rate = instantaneous_rate(pooled, -before, duration, sigma=sigma, dt=dt)
    return Signal(rate.t, rate.values / len(onsets), unit="Hz")


def cross_correlogram(
    trains: SpikeTrains,
    i: int,
    j: int,
    t0: float,
    t1: float,
    bin_size: float = 0.001,
    max_lag: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-correlogram of units i (reference) and j (target): lags (s) and coincidence counts.

    `elephant.spike_train_correlation.cross_correlation_histogram` on trains binned at
    `bin_size`, for lags up to ±`max_lag`. Sign convention (elephant's): a positive lag counts
    spikes of j that FOLLOW a spike of i by that lag, so j = i delayed by 5 ms peaks at +5 ms.
    """
    binned = _binned([i, j], trains, t0, t1, bin_size)
    max_bins = int(round(max_lag / bin_size))
    cch, lags = cross_correlation_histogram(
        binned[0], binned[1], window=[-max_bins, max_bins], border_correction=False
    )
    return lags * bin_size, np.asarray(cch.magnitude, dtype=np.float64).ravel()


def sttc(trains: SpikeTrains, i: int, j: int, t0: float, t1: float, dt: float = 0.005) -> float:
    """Spike time tiling coefficient (Cutts & Eglen 2014) of units i and j within ±`dt` s.

    `elephant.spike_train_correlation.spike_time_tiling_coefficient`: 1 for spikes that
    always coincide, about 0 for independent trains whatever their rates, -1 for trains that
    avoid each other. NaN when either unit is silent in [t0, t1).
    """
    pair = spike_trains(trains, t0, t1)
    if not len(pair[i]) or not len(pair[j]):
        return float("nan")
    return float(spike_time_tiling_coefficient(pair[i], pair[j], dt=seconds(dt)))


def correlation_matrix(
    trains: SpikeTrains, t0: float, t1: float, bin_size: float = 0.005
) -> np.ndarray:
    """Pearson correlation of every pair of units' binned counts, (n_units, n_units).

    `elephant.spike_train_correlation.correlation_coefficient` on `bin_size` bins; rows and
    columns of silent units are NaN (no variance to correlate).
    """
    binned = BinnedSpikeTrain(
        spike_trains(trains, t0, _window_edges(t0, t1, bin_size)[-1]),
        bin_size=seconds(bin_size),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # elephant warns once per silent unit; NaN says it
        return np.atleast_2d(np.asarray(correlation_coefficient(binned), dtype=np.float64))


def van_rossum(trains: SpikeTrains, t0: float, t1: float, tau: float = 0.01) -> np.ndarray:
    """Van Rossum distance between every pair of units (n_units, n_units).

    `elephant.spike_train_dissimilarity.van_rossum_distance` with time constant `tau` s,
    elephant's normalisation (one lone spike against silence is 1; divide by sqrt(2) for the
    paper's). 0 for identical trains; grows as spikes move apart by more than about `tau`.
    To compare repeats or stimuli rather than units, put one repeat per unit index.
    """
    return np.asarray(
        van_rossum_distance(spike_trains(trains, t0, t1), time_constant=seconds(tau)),
        dtype=np.float64,
    )


def victor_purpura(trains: SpikeTrains, t0: float, t1: float, q: float = 100.0) -> np.ndarray:
    """Victor-Purpura distance between every pair of units (n_units, n_units).

    `elephant.spike_train_dissimilarity.victor_purpura_distance`: the cheapest edit from one
    train to the other, where adding or deleting a spike costs 1 and moving it by d seconds
    costs q·d (q in 1/s; shifts beyond 2/q are cheaper as delete + insert).
    """
    return np.asarray(
        victor_purpura_distance(spike_trains(trains, t0, t1), cost_factor=hertz(q)),
        dtype=np.float64,
    )


def synchrony(trains: SpikeTrains, t0: float, t1: float) -> float:
    """Population synchrony by spike contrast (Ciba et al. 2018), between 0 and 1.

    `elephant.spike_train_synchrony.spike_contrast` over the units that fired in [t0, t1):
    silent units would only dilute it. Spike contrast needs no bin size from the user (it scans
    bin sizes and keeps the best), which suits populations of very different rates. 1 when
    every unit fires at the same moments, near 0 for independent irregular firing. NaN with
    fewer than two active units.
    """
    active = [train for train in spike_trains(trains, t0, t1) if len(train)]
    if len(active) < 2 or max(len(train) for train in active) < 2:
        return float("nan")
    return float(spike_contrast(active, t_start=seconds(t0), t_stop=seconds(t1)))


def recording_span(activity: Activity) -> tuple[float, float, float]:
    """(t0, t1, window) for whole-recording statistics: from the first onset (or spike) to the
    end of the last presentation (or spike), with the median gap between onsets as the counting
    window (a tenth of the recording without onsets)."""
    onsets = np.asarray(activity.meta.get("onsets", []), dtype=np.float64)
    ends = [s.times.max() for s in activity.spikes.values() if len(s.times)]
    starts = [s.times.min() for s in activity.spikes.values() if len(s.times)]
    if not ends:
        raise ValueError("the activity holds no spikes")
    t0 = float(onsets[0]) if len(onsets) else min(0.0, *starts)
    gaps = np.diff(onsets)
    window = float(np.median(gaps)) if len(gaps) else max((max(ends) - t0) / 10, 1e-3)
    t1 = max(float(onsets[-1]) + window if len(onsets) else t0, max(ends) + 1e-9)
    return t0, t1, window


def repeated_presentations(activity: Activity) -> tuple[np.ndarray, float, np.ndarray] | None:
    """(onsets, presentation_s, stimulus_ids) when some stimulus was shown more than once."""
    ids = np.asarray(activity.meta.get("stimulus_ids", []))
    onsets = np.asarray(activity.meta.get("onsets", []), dtype=np.float64)
    duration = activity.meta.get("presentation_s")
    if not len(ids) or ids.shape != onsets.shape or duration is None:
        return None
    if np.unique(ids).size == ids.size:
        return None
    return onsets, float(duration), ids


def population_summary(
    activity: Activity, t0: float, t1: float, window: float
) -> dict[str, dict[str, float]]:
    """Per population: units, mean rate (Hz), fraction of units that fired, median CV, CV2, LV,
    pooled-window Fano (`window` s, mixing stimuli), trial-to-trial Fano (NaN without repeated
    stimuli) with the median number of repeats, and spike-contrast synchrony.

    Medians skip units without a defined value, so a few silent units do not hide the rest.
    """
    repeats = repeated_presentations(activity)
    summary = {}
    for name, trains in activity.spikes.items():
        rates = unit_rates(trains, t0, t1)
        inside = trains.window(t0, t1)
        trial = np.full(trains.n_units, np.nan)
        n_repeats = float("nan")
        if repeats is not None:
            onsets, duration, ids = repeats
            trial = trial_fano(trains, onsets, duration, ids)
            counts = np.unique(ids, return_counts=True)[1]
            n_repeats = float(np.median(counts[counts >= 2]))
        summary[name] = {
            "units": float(trains.n_units),
            "rate_hz": float(rates.mean()) if trains.n_units else float("nan"),
            "active_fraction": float(np.mean(rates > 0)) if trains.n_units else float("nan"),
            "median_cv": _nanmedian(isi_cv(inside)),
            "median_cv2": _nanmedian(isi_cv2(inside)),
            "median_lv": _nanmedian(isi_lv(inside)),
            "median_fano": _nanmedian(fano_factor(trains, t0, t1, window)),
            "median_trial_fano": _nanmedian(trial),
            "repeats": n_repeats,
            "synchrony": synchrony(trains, t0, t1),
        }
    return summary


def _per_unit_isi(
    trains: SpikeTrains, statistic: Callable[[np.ndarray], float], min_spikes: int
) -> np.ndarray:
    values = np.full(trains.n_units, np.nan)
    for unit, times in enumerate(unit_times(trains, -np.inf, np.inf)):
        if len(times) >= max(min_spikes, MIN_SPIKES):
            values[unit] = statistic(es.isi(times))
    return values


def _fano(responses: list[np.ndarray]) -> float:
    """elephant's Fano factor of the spike counts of `responses`, with the unbiased variance."""
    n = len(responses)
    if n < 2:
        return float("nan")
    return float(es.fanofactor(responses)) * n / (n - 1)


def _binned(
    units: Sequence[int], trains: SpikeTrains, t0: float, t1: float, bin_size: float
) -> list[BinnedSpikeTrain]:
    t_stop = _window_edges(t0, t1, bin_size)[-1]
    every = spike_trains(trains, t0, t_stop)
    return [BinnedSpikeTrain(every[u], bin_size=seconds(bin_size)) for u in units]


def _window_edges(t0: float, t1: float, width: float) -> np.ndarray:
    n_windows = int(np.floor((t1 - t0) / width + 1e-9))
    if n_windows < 1:
        raise ValueError(f"window {width} s does not fit in [{t0}, {t1})")
    return t0 + width * np.arange(n_windows + 1)


def _nanmean(values: list[float]) -> float:
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else float("nan")


def _nanmedian(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(np.median(values)) if len(values) else float("nan")
