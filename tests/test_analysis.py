"""Spike-train and classification statistics against hand-computed and textbook values."""

import numpy as np
import pytest

from neurosim.activity import Activity, SpikeTrains
from neurosim.analysis import (
    binned_counts,
    confusion_matrix,
    fano_factor,
    firing_rates,
    isi_cv,
    mean_sd,
    population_summary,
    row_normalise,
)


def poisson_train(rate: float, duration: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    times = np.cumsum(rng.exponential(1 / rate, int(rate * duration * 1.2)))
    return times[times < duration]


def test_confusion_matrix_matches_hand_count():
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 0]
    expected = np.array([[1, 1, 0], [0, 2, 1], [1, 0, 0]])
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, 3), expected)


def test_confusion_matrix_keeps_absent_classes_and_rejects_bad_labels():
    assert confusion_matrix([0], [0], 4).shape == (4, 4)
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix([0, 3], [0, 1], 3)


def test_row_normalise_leaves_empty_rows_zero():
    fractions = row_normalise(np.array([[1, 3], [0, 0]]))
    np.testing.assert_allclose(fractions, [[0.25, 0.75], [0, 0]])


def test_mean_sd_uses_sample_sd_and_ignores_nan():
    assert mean_sd([1.0, 2.0, 3.0]) == pytest.approx((2.0, 1.0))
    assert mean_sd([0.5, np.nan]) == (0.5, 0.0)
    assert all(np.isnan(mean_sd([])))


def test_firing_rates_are_counts_over_window():
    exc = SpikeTrains([0.1, 0.2, 0.3, 1.5, 0.4], [0, 0, 1, 0, 0], n_units=3)
    rates = firing_rates(Activity(spikes={"exc": exc}), 0.0, 1.0)
    np.testing.assert_allclose(rates["exc"], [3.0, 1.0, 0.0])


def test_cv_is_zero_for_regular_and_one_for_poisson_train():
    regular = np.arange(0, 100, 0.05)
    poisson = poisson_train(20.0, 2000.0, seed=1)
    times = np.concatenate([regular, poisson, [3.0, 4.0]])
    units = np.concatenate([np.zeros_like(regular), np.ones_like(poisson), [2, 2]]).astype(int)
    shuffle = np.random.default_rng(0).permutation(len(times))  # order must not matter
    cv = isi_cv(SpikeTrains(times[shuffle], units[shuffle], n_units=4))
    assert cv[0] == pytest.approx(0.0, abs=1e-9)
    assert cv[1] == pytest.approx(1.0, abs=0.1)
    assert np.isnan(cv[2]) and np.isnan(cv[3])  # one interval, and silence: no spread


def test_binned_counts_drop_the_partial_last_window():
    trains = SpikeTrains([0.05, 0.15, 0.16, 0.25, 0.31], [0, 0, 1, 1, 0], n_units=2)
    np.testing.assert_array_equal(binned_counts(trains, 0.0, 0.35, 0.1), [[1, 1, 0], [0, 1, 1]])


def test_fano_factor_is_one_for_poisson_counts_and_zero_for_clockwork():
    poisson = poisson_train(10.0, 1000.0, seed=2)
    regular = np.arange(0.05, 1000, 0.1)
    times = np.concatenate([poisson, regular])
    units = np.concatenate([np.zeros_like(poisson), np.ones_like(regular)]).astype(int)
    fano = fano_factor(SpikeTrains(times, units, n_units=3), 0.0, 1000.0, width=1.0)
    assert fano[0] == pytest.approx(1.0, abs=0.1)
    assert fano[1] == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(fano[2])


def test_population_summary_reports_every_population():
    times = poisson_train(5.0, 20.0, seed=3)
    exc = SpikeTrains(times, np.zeros(len(times), int), n_units=2)  # unit 1 stays silent
    summary = population_summary(Activity(spikes={"exc": exc}), 0.0, 20.0, window=1.0)
    assert summary["exc"]["units"] == 2
    assert summary["exc"]["active_fraction"] == 0.5
    assert summary["exc"]["rate_hz"] == pytest.approx(len(exc.times) / 20.0 / 2)
