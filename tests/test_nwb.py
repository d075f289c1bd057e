"""NWB export: a run's activity written with pynwb and read back unchanged.

Spike times and signals are float64 in neurosim and in the file, so the round trip is exact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pynwb import NWBHDF5IO

from neurosim.activity import Activity, Signal, SpikeTrains
from neurosim.analysis.nwb import export_nwb, read_nwb
from neurosim.artifacts import Recorder
from neurosim.errors import UserError
from neurosim.experiment.stored_run import StoredRun

ONSETS = [0.0, 0.5, 1.0, 1.5]
PRESENTATION_S = 0.35
CONFIG = {"task": "digits", "learner": "stdp-wta", "params": {"n_neurons": 5}, "seed": 3}
METRICS = {"test": {"accuracy": 0.8125}}


def stored_run(directory: Path, record: bool = True) -> StoredRun:
    """A run of two activities: spikes of two populations with stimuli, and signals."""
    rng = np.random.default_rng(0)
    if record:
        recorder = Recorder(directory / "artifacts")
        exc_units = rng.integers(0, 4, 40)  # unit 4 of 5 stays silent
        probe = Activity(
            spikes={
                "exc": SpikeTrains(np.sort(rng.uniform(0, 2, 40)), exc_units, n_units=5),
                "inh": SpikeTrains(np.sort(rng.uniform(0, 2, 15)), rng.integers(0, 2, 15), 2),
            },
            signals={"v": Signal(np.arange(20) * 1e-3, rng.normal(-65, 3, (20, 3)), "mV")},
            weights={"input": rng.random((5, 4))},
            meta={
                "onsets": ONSETS,
                "labels": [7, 1, 7, 1],
                "stimulus_ids": [0, 1, 0, 1],
                "presentation_s": PRESENTATION_S,
                "images": rng.random((2, 4)).tolist(),
                "image_shape": [2, 2],
                "time_offset_s": 12.5,
            },
        )
        recorder.activity(probe, probe="test[:2] x 2", name="probe")
        hidden = Signal(np.arange(6), rng.random((6, 8)), "spikes")
        meta = {"labels": [0, 1, 2, 0, 1, 2], "note": "t is the stimulus index"}
        recorder.activity(
            Activity(signals={"hidden": hidden}, meta=meta), probe="test[:6]", name="reps"
        )
    return StoredRun(
        run_id="0123abcd",
        directory=directory,
        task="digits",
        learner="stdp-wta",
        label="wta",
        seed=3,
        experiment="quickstart",
        config=CONFIG,
        metrics=METRICS,
        history=[],
        timings={},
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[StoredRun, Path]:
    root = tmp_path_factory.mktemp("nwb")
    run = stored_run(root / "run")
    return run, export_nwb(run, root / "out" / "run.nwb")


def by_unit_then_time(trains: SpikeTrains) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((trains.times, trains.units))
    return trains.times[order], trains.units[order]


def test_round_trip_returns_the_same_spikes_signals_config_and_stimuli(exported):
    run, path = exported
    back = read_nwb(path)
    assert back.run_id == run.run_id
    assert back.config == CONFIG and back.metrics == METRICS
    for name, original in run.activities().items():
        copy = back.activities[name]
        assert set(copy.spikes) == set(original.spikes)
        for population, trains in original.spikes.items():
            times, units = by_unit_then_time(copy.spikes[population])
            expected_times, expected_units = by_unit_then_time(trains)
            assert times.dtype == np.float64
            np.testing.assert_array_equal(times, expected_times)  # exact, not approximate
            np.testing.assert_array_equal(units, expected_units)
            assert copy.spikes[population].n_units == trains.n_units
        for signal_name, signal in original.signals.items():
            np.testing.assert_array_equal(copy.signals[signal_name].values, signal.values)
            np.testing.assert_array_equal(copy.signals[signal_name].t, signal.t)
            assert copy.signals[signal_name].unit == signal.unit
        assert copy.weights.keys() == original.weights.keys()
        for weights_name, weights in original.weights.items():
            np.testing.assert_array_equal(copy.weights[weights_name], weights)
        assert copy.meta == original.meta


def test_presentations_table_holds_stimulus_timing_and_identity(exported):
    _, path = exported
    with NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        table = nwbfile.intervals["presentations"].to_dataframe()
        shown = nwbfile.stimulus["probe.stimulus"].data[:]
        assert nwbfile.session_start_time.tzinfo is not None
        units = nwbfile.units.to_dataframe()
    assert table["start_time"].tolist() == ONSETS
    np.testing.assert_allclose(table["stop_time"], np.array(ONSETS) + PRESENTATION_S, rtol=1e-15)
    assert table["label"].tolist() == [7, 1, 7, 1]
    assert table["stimulus_id"].tolist() == [0, 1, 0, 1]
    assert shown.tolist() == [0, 1, 0, 1]  # image k of the template is stimulus k
    # one row per unit, the silent one included
    assert units["population"].tolist() == ["exc"] * 5 + ["inh"] * 2
    assert units["unit_index"].tolist() == [0, 1, 2, 3, 4, 0, 1]
    assert len(units["spike_times"].iloc[4]) == 0


def test_a_run_without_activity_is_a_user_error(tmp_path: Path):
    run = stored_run(tmp_path / "run", record=False)
    with pytest.raises(UserError, match="run 0123abcd .*recorded no activity"):
        export_nwb(run, tmp_path / "run.nwb")
    assert not (tmp_path / "run.nwb").exists()


def test_an_unwritable_path_is_a_user_error_and_leaves_nothing(tmp_path: Path):
    run = stored_run(tmp_path / "run")
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(UserError, match="cannot write the NWB file .*not_a_folder"):
        export_nwb(run, blocker / "run.nwb")
    with pytest.raises(UserError, match="cannot write the NWB file"):
        export_nwb(run, tmp_path)  # a folder, not a file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not_a_folder", "run"]
