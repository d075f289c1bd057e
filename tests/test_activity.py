"""The Activity record: one format for spikes and signals, saved and loaded without loss."""

import numpy as np
import pytest

from neurosim.activity import Activity, Signal, SpikeTrains


def make_activity() -> Activity:
    return Activity(
        spikes={"exc": SpikeTrains([0.1, 0.2, 0.25, 0.9], [0, 2, 0, 1], n_units=3)},
        signals={
            "v": Signal(t=[0.0, 0.1, 0.2], values=[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], unit="mV")
        },
        weights={"input": np.arange(6.0).reshape(2, 3)},
        meta={"onsets": np.array([0.0, 0.5]), "labels": [3, 7], "n": np.int64(2)},
    )


def test_save_load_round_trip(tmp_path):
    activity = make_activity()
    activity.save(tmp_path / "a.npz")
    loaded = Activity.load(tmp_path / "a.npz")
    np.testing.assert_array_equal(loaded.spikes["exc"].times, activity.spikes["exc"].times)
    np.testing.assert_array_equal(loaded.spikes["exc"].units, activity.spikes["exc"].units)
    assert loaded.spikes["exc"].n_units == 3
    np.testing.assert_array_equal(loaded.signals["v"].values, activity.signals["v"].values)
    assert loaded.signals["v"].unit == "mV"
    np.testing.assert_array_equal(loaded.weights["input"], activity.weights["input"])
    assert loaded.meta == {"onsets": [0.0, 0.5], "labels": [3, 7], "n": 2}


def test_counts_and_rates_by_hand():
    trains = make_activity().spikes["exc"]
    np.testing.assert_array_equal(trains.counts(), [2, 1, 1])
    np.testing.assert_array_equal(trains.counts(0.0, 0.22), [1, 0, 1])  # half-open window
    np.testing.assert_array_equal(trains.counts(t1=0.22), [1, 0, 1])
    np.testing.assert_allclose(trains.rates(0.0, 0.5), [4.0, 0.0, 2.0])


def test_window_keeps_population_size():
    window = make_activity().spikes["exc"].window(0.2, 0.3)
    assert window.n_units == 3 and list(window.units) == [2, 0]


def test_invalid_records_are_rejected():
    with pytest.raises(ValueError, match="same length"):
        SpikeTrains([0.1, 0.2], [0], n_units=1)
    with pytest.raises(ValueError, match="unit indices"):
        SpikeTrains([0.1], [5], n_units=2)
    with pytest.raises(ValueError, match="one row of values per time point"):
        Signal(t=[0.0, 1.0], values=[[1.0]])
