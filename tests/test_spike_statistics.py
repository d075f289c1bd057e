"""Spike-train statistics through elephant, checked against theory and hand-made cases.

Tolerances come from the sample sizes: for a Poisson train of N intervals the CV, CV2 and LV
estimates have a standard error near 1/sqrt(N); a Fano factor over n counts, near sqrt(2/n).
"""

import neo
import numpy as np
import pytest

from neurosim.activity import Activity, Signal, SpikeTrains
from neurosim.analysis import (
    binned_counts,
    correlation_matrix,
    cross_correlogram,
    fano_factor,
    firing_rates,
    instantaneous_rate,
    isi_cv,
    isi_cv2,
    isi_lv,
    population_summary,
    psth,
    recording_span,
    sttc,
    synchrony,
    trial_fano,
    van_rossum,
    victor_purpura,
)
from neurosim.analysis.neo_adapter import analog_signal, spike_trains, to_block
from neurosim.report.sections.activity import statistics_blocks


def poisson(rate: float, duration: float, rng: np.random.Generator) -> np.ndarray:
    times = np.cumsum(rng.exponential(1 / rate, int(rate * duration * 1.3) + 10))
    return times[times < duration]


def trains_of(*trains: np.ndarray) -> SpikeTrains:
    """One unit per array, in the order given."""
    units = np.concatenate([np.full(len(t), k) for k, t in enumerate(trains)]).astype(int)
    return SpikeTrains(np.concatenate(trains), units, n_units=len(trains))


def test_firing_rates_are_counts_over_the_half_open_window():
    exc = SpikeTrains([0.1, 0.2, 0.3, 1.5, 0.4, 1.0], [0, 0, 1, 0, 0, 1], n_units=3)
    rates = firing_rates(Activity(spikes={"exc": exc}), 0.0, 1.0)
    np.testing.assert_allclose(rates["exc"], [3.0, 1.0, 0.0])  # the spike at t1 = 1.0 is out


def test_binned_counts_drop_the_partial_last_window():
    trains = SpikeTrains([0.05, 0.15, 0.16, 0.25, 0.31], [0, 0, 1, 1, 0], n_units=2)
    np.testing.assert_array_equal(binned_counts(trains, 0.0, 0.35, 0.1), [[1, 1, 0], [0, 1, 1]])


def test_poisson_train_has_cv_cv2_lv_one_and_clockwork_zero():
    rng = np.random.default_rng(0)
    irregular = poisson(20.0, 500.0, rng)  # ~10000 intervals: standard errors ~0.01
    trains = trains_of(irregular, np.arange(0.0, 100.0, 0.05), np.array([1.0, 2.0]))
    shuffle = np.random.default_rng(0).permutation(len(trains.times))  # order must not matter
    trains = SpikeTrains(trains.times[shuffle], trains.units[shuffle], trains.n_units)
    for statistic in (isi_cv, isi_cv2, isi_lv):
        values = statistic(trains)
        assert values[0] == pytest.approx(1.0, abs=0.05), statistic.__name__
        assert values[1] == pytest.approx(0.0, abs=1e-9), statistic.__name__
        assert np.isnan(values[2]), statistic.__name__  # one interval has no spread


def test_cv2_and_lv_ignore_a_rate_step_that_inflates_the_cv():
    rng = np.random.default_rng(1)  # 5 Hz then 50 Hz: a stimulus change, not irregularity
    stepped = np.concatenate([poisson(5.0, 200.0, rng), 200.0 + poisson(50.0, 20.0, rng)])
    trains = trains_of(stepped)
    assert isi_cv(trains)[0] > 1.5
    assert isi_cv2(trains)[0] == pytest.approx(1.0, abs=0.08)
    assert isi_lv(trains)[0] == pytest.approx(1.0, abs=0.1)


def test_window_fano_is_one_for_poisson_and_uses_the_unbiased_variance():
    rng = np.random.default_rng(2)
    trains = trains_of(poisson(10.0, 1000.0, rng), np.arange(0.05, 1000.0, 0.1))
    fano = fano_factor(trains, 0.0, 1000.0, width=1.0)  # 1000 counts: s.e. ~0.045
    assert fano[0] == pytest.approx(1.0, abs=0.15)
    assert fano[1] == pytest.approx(0.0, abs=1e-12)
    # counts 1 and 3: mean 2, unbiased variance 2 -> F = 1 (elephant's own ddof=0 gives 0.5)
    two_windows = trains_of(np.array([0.5, 1.2, 1.5, 1.8]))
    assert fano_factor(two_windows, 0.0, 2.0, width=1.0)[0] == pytest.approx(1.0)


def test_trial_fano_is_one_for_poisson_repeats_where_pooled_windows_read_selectivity():
    rng = np.random.default_rng(3)
    n_stimuli, repeats, duration = 40, 20, 0.5
    ids = np.tile(np.arange(n_stimuli), repeats)
    onsets = np.arange(len(ids)) * 1.0
    preferred = rng.uniform(2.0, 40.0, size=(n_stimuli, 2))  # each unit's rate per stimulus
    times, units = [], []
    for onset, stimulus in zip(onsets, ids, strict=True):
        for unit in range(2):
            spikes = onset + poisson(preferred[stimulus, unit], duration, rng)
            times.append(spikes)
            units.append(np.full(len(spikes), unit))
    trains = SpikeTrains(np.concatenate(times), np.concatenate(units), n_units=3)
    trial = trial_fano(trains, onsets, duration, ids)
    # mean of 40 Fano factors over 20 repeats: s.e. ~ sqrt(2/19/40) ~ 0.05
    np.testing.assert_allclose(trial[:2], 1.0, atol=0.2)
    assert np.isnan(trial[2])  # silent unit
    pooled = fano_factor(trains, 0.0, onsets[-1] + 1.0, width=1.0)
    assert np.all(pooled[:2] > 3)  # windows showing different stimuli: selectivity, not noise


def test_trial_fano_is_zero_for_identical_repeats():
    response = np.array([0.01, 0.05, 0.12])
    onsets = np.arange(6) * 0.5
    trains = trains_of(np.concatenate([onset + response for onset in onsets]))
    trial = trial_fano(trains, onsets, 0.3, stimulus_ids=[0, 1, 2, 0, 1, 2])
    assert trial[0] == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(trial_fano(trains, onsets, 0.3, stimulus_ids=np.arange(6))[0])  # no repeats


def test_cross_correlogram_of_a_train_and_its_copy_delayed_5_ms_peaks_at_plus_5_ms():
    rng = np.random.default_rng(4)
    reference = poisson(10.0, 50.0, rng)
    trains = trains_of(reference, reference + 0.005)
    lags, counts = cross_correlogram(trains, 0, 1, 0.0, 51.0, bin_size=0.001, max_lag=0.02)
    assert lags[np.argmax(counts)] == pytest.approx(0.005)
    # every spike of the reference, plus the chance pairs any bin gets (~N² bin / T = 5)
    assert len(reference) <= counts.max() <= len(reference) + 15
    assert lags[0] == pytest.approx(-0.02) and lags[-1] == pytest.approx(0.02)
    lags, counts = cross_correlogram(trains, 1, 0, 0.0, 51.0, bin_size=0.001, max_lag=0.02)
    assert lags[np.argmax(counts)] == pytest.approx(-0.005)  # the leader's spikes come earlier


def test_sttc_and_correlation_matrix_see_identical_and_independent_trains():
    rng = np.random.default_rng(5)
    first = poisson(10.0, 200.0, rng)
    trains = trains_of(first, first.copy(), poisson(10.0, 200.0, rng), np.array([]))
    assert sttc(trains, 0, 1, 0.0, 200.0) == pytest.approx(1.0)
    assert abs(sttc(trains, 0, 2, 0.0, 200.0)) < 0.1  # independent: ~0 whatever the rates
    assert np.isnan(sttc(trains, 0, 3, 0.0, 200.0))
    matrix = correlation_matrix(trains, 0.0, 200.0, bin_size=0.005)
    assert matrix.shape == (4, 4)
    assert matrix[0, 1] == pytest.approx(1.0)
    assert abs(matrix[0, 2]) < 0.05  # 40000 bins: s.e. ~0.005
    assert np.all(np.isnan(matrix[3]))


def test_van_rossum_is_zero_for_a_copy_and_grows_with_the_shift():
    rng = np.random.default_rng(6)
    train = poisson(5.0, 10.0, rng) + 0.1
    trains = trains_of(train, train.copy(), train + 0.001, train + 0.005, train + 0.02)
    distance = van_rossum(trains, 0.0, 11.0, tau=0.01)
    assert distance[0, 1] == pytest.approx(0.0, abs=1e-6)
    assert 0 < distance[0, 2] < distance[0, 3] < distance[0, 4]
    np.testing.assert_allclose(distance, distance.T)


def test_victor_purpura_counts_one_for_a_missing_spike():
    train = np.array([0.1, 0.3, 0.55, 0.8])
    trains = trains_of(train, train.copy(), train[:-1], train + 0.002)
    distance = victor_purpura(trains, 0.0, 1.0, q=100.0)
    assert distance[0, 1] == pytest.approx(0.0)
    assert distance[0, 2] == pytest.approx(1.0)
    assert distance[0, 3] == pytest.approx(4 * 100.0 * 0.002)  # four 2 ms shifts at q=100/s


def test_synchrony_of_identical_trains_exceeds_that_of_independent_ones():
    rng = np.random.default_rng(7)
    shared = poisson(10.0, 20.0, rng)
    together = trains_of(*[shared] * 5)
    apart = trains_of(*[poisson(10.0, 20.0, rng) for _ in range(5)])
    # spike contrast approaches 1 for identical trains (bins straddling spikes keep it below)
    assert synchrony(together, 0.0, 20.0) > 0.9
    assert synchrony(apart, 0.0, 20.0) < 0.5
    assert np.isnan(synchrony(trains_of(shared, np.array([])), 0.0, 20.0))  # one active unit


def test_instantaneous_rate_of_homogeneous_poisson_is_its_rate_up_to_the_borders():
    rng = np.random.default_rng(8)
    trains = trains_of(*[poisson(20.0, 20.0, rng) for _ in range(50)])
    rate = instantaneous_rate(trains, 0.0, 20.0, sigma=0.1, dt=0.01)
    assert rate.unit == "Hz" and rate.values.shape == (2000, 50)
    assert rate.t[0] == pytest.approx(0.0) and rate.t[1] - rate.t[0] == pytest.approx(0.01)
    population = rate.values.mean(axis=1)  # 50 units, sigma 0.1 s: s.e. ~1 Hz per sample
    assert population.mean() == pytest.approx(20.0, abs=0.5)
    # border correction: no sag to half the rate in the first and last 100 ms
    assert population[:10].mean() == pytest.approx(20.0, abs=4.0)
    assert population[-10:].mean() == pytest.approx(20.0, abs=4.0)


def test_psth_averages_over_onsets_and_peaks_at_the_response_latency():
    onsets = np.arange(20) * 1.0
    trains = trains_of(onsets + 0.05)  # one spike 50 ms after every onset
    curve = psth(trains, onsets, duration=0.3, before=0.1, sigma=0.005, dt=0.001)
    assert curve.t[0] == pytest.approx(-0.1) and curve.t[-1] == pytest.approx(0.299)
    assert curve.t[np.argmax(curve.values[:, 0])] == pytest.approx(0.05)
    assert curve.values[:, 0].sum() * 0.001 == pytest.approx(1.0, abs=0.01)  # one spike a trial


def test_population_summary_reports_trial_fano_only_with_repeats():
    onsets = np.arange(6) * 0.5
    times = np.concatenate([onset + np.array([0.01, 0.05]) for onset in onsets])
    exc = SpikeTrains(times, np.zeros(len(times), int), n_units=2)  # unit 1 stays silent
    meta = {"onsets": onsets.tolist(), "presentation_s": 0.3, "stimulus_ids": [0, 1, 2] * 2}
    activity = Activity(spikes={"exc": exc}, meta=meta)
    t0, t1, window = recording_span(activity)
    assert (t0, window) == (0.0, 0.5) and t1 == pytest.approx(3.0)
    summary = population_summary(activity, t0, t1, window)["exc"]
    assert summary["rate_hz"] == pytest.approx(12 / 3.0 / 2)
    assert summary["active_fraction"] == 0.5
    assert summary["median_trial_fano"] == pytest.approx(0.0) and summary["repeats"] == 2
    meta["stimulus_ids"] = list(range(6))
    summary = population_summary(Activity(spikes={"exc": exc}, meta=meta), t0, t1, window)["exc"]
    assert np.isnan(summary["median_trial_fano"]) and np.isnan(summary["repeats"])


def test_report_statistics_label_the_fano_factor_they_show():
    onsets = np.arange(6) * 0.5
    times = np.concatenate([onset + np.array([0.01, 0.05, 0.2]) for onset in onsets])
    meta = {"onsets": onsets.tolist(), "presentation_s": 0.3, "stimulus_ids": [0, 1, 2] * 2}
    spikes = {"exc": SpikeTrains(times, np.arange(len(times)) % 2, n_units=2)}
    table, note = statistics_blocks(Activity(spikes=spikes, meta=meta))
    assert "median Fano, trial-to-trial (2 repeats)" in table.headers
    assert "repeated presentations of the same stimulus" in note.text
    meta["stimulus_ids"] = list(range(6))
    table, note = statistics_blocks(Activity(spikes=spikes, meta=meta))
    assert "median Fano across different stimuli (500 ms windows)" in table.headers
    assert "mixes selectivity" in note.text


def test_neo_adapter_keeps_times_in_seconds_and_signals_with_their_units():
    trains = SpikeTrains([0.3, 0.1, 0.2, 0.9], [1, 0, 1, 0], n_units=3)
    converted = spike_trains(trains, 0.0, 0.9)  # half-open: the spike at 0.9 is left out
    assert [list(t.magnitude) for t in converted] == [[0.1], [0.2, 0.3], []]
    assert all(str(t.units.dimensionality) == "s" and float(t.t_stop) == 0.9 for t in converted)
    regular = analog_signal(Signal(np.arange(5) * 0.01, np.ones((5, 2)), unit="mV"))
    assert isinstance(regular, neo.AnalogSignal) and float(regular.sampling_period) == 0.01
    assert str(regular.units.dimensionality) == "mV"
    irregular = analog_signal(Signal([0.0, 0.1, 0.15], np.zeros(3), unit="spikes"))
    assert isinstance(irregular, neo.IrregularlySampledSignal)
    assert irregular.annotations["unit"] == "spikes"  # quantities cannot read it: kept as text


def test_to_block_holds_every_unit_signal_and_onset():
    activity = Activity(
        spikes={"exc": SpikeTrains([0.1, 0.4], [0, 1], 2), "inh": SpikeTrains([0.2], [0], 1)},
        signals={"v": Signal(np.arange(3) * 0.1, np.zeros((3, 2)), unit="mV")},
        meta={"onsets": [0.0, 0.5], "labels": [3, 7], "presentation_s": 0.3},
    )
    segment = to_block(activity).segments[0]
    populations = [
        (t.annotations["population"], t.annotations["unit"], len(t)) for t in segment.spiketrains
    ]
    assert populations == [("exc", 0, 1), ("exc", 1, 1), ("inh", 0, 1)]
    assert all(float(t.t_stop) >= 0.8 for t in segment.spiketrains)  # last presentation ends
    assert segment.analogsignals[0].name == "v" and segment.analogsignals[0].shape == (3, 2)
    assert list(segment.events[0].labels) == ["3", "7"]
