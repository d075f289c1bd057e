"""`show_run` on hand-built stored runs: the figures each kind of recording gets, the page that
lists them, and a clear error for a run with nothing to draw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from report_stores import control_runs, make_run, recorder, run_in_process

from neurosim.activity import Activity, Signal, SpikeTrains
from neurosim.errors import UserError
from neurosim.experiment.stored_run import StoredRun, load_run
from neurosim.show import show_run

PNG = b"\x89PNG\r\n\x1a\n"
LOGREG = """
name = "tiny"
seeds = [0]
tasks = ["digits"]

[[learner]]
name = "logreg"
samples = 300
"""


def stored(record) -> StoredRun:
    return StoredRun.from_record(record)


def drawn(result) -> set[str]:
    assert all(path.read_bytes().startswith(PNG) for path in result.figures)
    return {path.stem for path in result.figures}


def test_a_deep_classifier_gets_heat_maps_class_means_weights_and_its_learning_curve(
    tmp_path: Path,
):
    rng = np.random.default_rng(0)
    run = make_run(
        tmp_path,
        "mlp-adam",
        0,
        {"test": {"accuracy": 0.97}},
        history=[
            {"samples": s, "train_accuracy": s / 1000, "train_loss": 1 / s} for s in (10, 1000)
        ],
    )
    rec = recorder(run)
    rec.receptive_fields(rng.normal(0, 0.3, (9, 64)), signed=True, image_shape=(8, 8))
    labels = np.arange(30) % 3
    hidden = np.eye(3)[labels] @ rng.random((3, 12))  # units tuned to classes
    t = np.arange(30.0)
    signals = {"input": Signal(t, rng.random((30, 64))), "hidden": Signal(t, hidden)}
    activity = Activity(signals=signals, meta={"labels": labels.tolist()})
    rec.activity(activity, probe="test[:30]", name="representations")

    result = show_run(stored(run), tmp_path / "show", progress=False)

    assert drawn(result) == {
        "representations_hidden",
        "receptive_fields",
        "degree_distributions",
        "learning_curve",
    }
    page = result.html.read_text()
    assert result.html.parent == tmp_path / "show"
    assert "mlp-adam-0: mlp-adam on digits, seed 0" in page and "accuracy 0.97" in page
    assert "Connectivity" in page and "edges kept" in page  # graph statistics as a table


def selective_activity() -> Activity:
    """Units 0-3 fire only for class 0 and 4-7 only for class 1 (regular 100 Hz bursts), with
    units 0 and 4 joined by unit 1 and 5 firing 2 ms after them; 8 presentations of 0.2 s."""
    onsets = np.arange(8) * 0.3
    labels = [0, 1] * 4
    times, units = [], []
    for onset, label in zip(onsets, labels, strict=True):
        burst = onset + 0.005 + np.arange(15) * 0.01
        for unit in range(4 * label, 4 * label + 4):
            lag = 0.002 if unit % 4 == 1 else 0.0
            times.append(burst + lag + 0.0003 * (unit % 4 > 1))
            units.append(np.full(15, unit))
    order = np.argsort(np.concatenate(times))
    exc = SpikeTrains(np.concatenate(times)[order], np.concatenate(units)[order], n_units=8)
    meta = {"onsets": onsets.tolist(), "labels": labels, "presentation_s": 0.2}
    return Activity(spikes={"exc": exc}, meta=meta)


def test_a_spiking_circuit_gets_raster_isis_psth_correlograms_and_graphs(tmp_path: Path):
    rng = np.random.default_rng(2)
    run = make_run(tmp_path, "stdp-wta", 0, {"test": {"accuracy": 0.8}}, learner="stdp-wta")
    rec = recorder(run)
    rec.activity(selective_activity(), probe="test[:8]", name="probe")
    initial = rng.random((8, 64))
    final = initial * (rng.random((8, 64)) < 0.2)
    rec.arrays("final_state", weights=final, initial_weights=initial, theta_mv=rng.random(8))
    rec.receptive_fields(final, signed=False, image_shape=(8, 8), assignments=np.arange(8) % 2)

    result = show_run(stored(run), tmp_path / "show", progress=False)

    expected = {f"probe_{kind}" for kind in ("raster", "isi", "psth", "cross_correlograms")}
    assert expected <= drawn(result)
    assert {"receptive_fields", "degree_distributions"} <= drawn(result)
    assert "final_state_weights" not in drawn(result)  # the receptive fields, drawn once
    page = result.html.read_text()
    assert "before learning" in page and "after learning" in page
    assert "median ISI CV" in page and "synchrony" in page  # the spike statistics table


def test_raster_groups_units_by_preferred_class_and_correlograms_pick_co_firing_pairs():
    from neurosim.show import _preferred_classes, active_pairs

    activity = selective_activity()
    meta = activity.meta
    classes = _preferred_classes(activity, np.array(meta["onsets"]), meta["labels"], 0.2)
    assert classes["exc"].tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    pairs = active_pairs(activity.spikes["exc"], 0.0, 2.4)
    assert len(pairs) == 3
    assert all(a // 4 == b // 4 for a, b in pairs)  # classes never fire within 50 ms
    silent = SpikeTrains(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0, 1, 0, 1]), 2)
    assert active_pairs(silent, 0.0, 4.0) == []


def test_recurrent_gates_are_drawn_step_by_step_and_few_unit_signals_as_traces(tmp_path: Path):
    rng = np.random.default_rng(1)
    run = make_run(tmp_path, "lstm", 0, {"test": {"loss": 0.1}}, task="adding")
    steps = np.arange(20.0)
    signals = {
        "input": Signal(steps, rng.random((20, 2))),
        "hidden": Signal(steps, rng.normal(size=(20, 16))),
        "forget_gate": Signal(steps, rng.random((20, 16))),
        "value": Signal(steps, rng.normal(size=20)),
    }
    recorder(run).activity(Activity(signals=signals), probe="test[:1]", name="gates")

    result = show_run(stored(run), tmp_path / "show", progress=False)

    assert drawn(result) == {"gates_steps", "gates_traces"}


def test_control_runs_get_their_learning_curve_and_the_agent_its_weights(tmp_path: Path):
    dqn, _, agent = control_runs(tmp_path)

    assert drawn(show_run(stored(dqn), tmp_path / "dqn", progress=False)) == {"learning_curve"}
    result = show_run(stored(agent), tmp_path / "agent", progress=False)
    assert {"episode_raster", "episode_isi", "weights", "learning_curve"} <= drawn(result)


def test_a_run_with_nothing_to_draw_is_a_user_error(tmp_path: Path):
    run = make_run(tmp_path, "random-policy", 0, {"eval": {"mean_return": 20.0}})
    with pytest.raises(UserError, match="recorded nothing `show` can draw"):
        show_run(stored(run), tmp_path / "show", progress=False)
    assert not (tmp_path / "show").exists()


def test_stimuli_replays_the_stored_learner_on_new_probe_stimuli(tmp_path: Path):
    from neurosim.show import replay
    from neurosim.tasks import make_task

    store, _ = run_in_process(LOGREG, tmp_path)
    run = load_run(store.root, label="logreg")
    probe = make_task("digits", 0).probe_set(40)

    activity = replay(run, 40)

    logits = activity.signals["logits"].values
    assert logits.shape == (40, 10)
    assert activity.meta["labels"] == probe.y.tolist()  # added, so stimuli sort by class
    assert np.mean(logits.argmax(axis=1) == probe.y) > 0.8  # the trained model, not a fresh one


def test_stimuli_without_a_stored_final_state_says_what_to_do(tmp_path: Path):
    record = make_run(tmp_path, "logreg", 0, {"test": {"accuracy": 0.9}}, learner="logreg")
    recorder(record).receptive_fields(np.zeros((10, 64)), signed=True, image_shape=(8, 8))
    with pytest.raises(UserError, match="stored no final state to replay.*run it again"):
        show_run(stored(record), tmp_path / "show", stimuli=5, progress=False)
