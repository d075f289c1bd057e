"""A tiny end-to-end run of `stdp-wta` (one compiled Brian2 binary, reused across the tests)."""

import numpy as np
import pytest

from neurosim.learner import Budget, Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks import make_task

PARAMS = {"n_neurons": 20}


@pytest.fixture(scope="module")
def task():
    return make_task("digits", 0, subset=200)


@pytest.fixture(scope="module")
def fitted(task, tmp_path_factory):
    learner = LEARNERS.get("stdp-wta")(**PARAMS)
    folder = tmp_path_factory.mktemp("stdp")
    history = learner.fit(task, Budget(epochs=1), Recorder(folder))
    return learner, history, folder


def test_every_image_is_presented_and_weights_stay_normalised(fitted, task):
    learner, _, _ = fitted
    n_rows = 2 * len(task.split("train")) + len(task.split("val")) + len(task.split("test"))
    assert learner.stats_["images_presented"] == n_rows
    # Diehl & Cook normalise each neuron's input weights to a fixed L1 norm before every
    # training image; learning stops after the last rest, so the final sums equal the norm.
    np.testing.assert_allclose(learner.weights_.sum(axis=1), 12.0, rtol=1e-9)
    assert learner.weights_.min() >= 0 and learner.weights_.max() <= 1.0


def test_learns_above_chance_with_both_readouts(fitted, task):
    learner, history, _ = fitted
    metrics = learner.evaluate(task, "test")
    assert metrics["accuracy"] > 0.3  # chance is 0.1; 140 training images, 20 neurons
    assert metrics["probe_accuracy"] > 0.5
    assert metrics["spikes_per_image"] >= 5  # re-presentation guarantees min_spikes mostly
    assert history.rows[-1]["samples"] == len(task.split("train"))


def test_records_receptive_fields_and_raster(fitted):
    from neurosim.artifacts import Artifacts

    _, _, folder = fitted
    artifacts = Artifacts(folder)
    (fields,) = artifacts.entries("receptive_fields", signed=False)
    assert Artifacts.load(fields)["weights"].shape == (20, 64)
    (probe,) = artifacts.entries("activity", probe="test[:5]")  # the task's 5 probe digits
    activity = Artifacts.load(probe)
    assert set(activity.spikes) == {"exc", "inh"}
    assert len(activity.meta["onsets"]) == 5 * (1 + 10)  # then 10 repeats (probe_repeats)
    assert len(activity.spikes["exc"].times) > 0


def test_same_seed_gives_identical_results(fitted, task):
    learner, _, _ = fitted
    again = LEARNERS.get("stdp-wta")(**PARAMS)
    again.fit(task, Budget(epochs=1), Recorder(None))
    np.testing.assert_array_equal(learner.responses_["test"], again.responses_["test"])
    np.testing.assert_array_equal(learner.weights_, again.weights_)


def test_silent_network_finishes_its_schedule_in_several_rounds():
    """With a weak input every image is re-presented up to the highest intensity, overrunning
    the compiled schedule: the same binary continues from where it stopped until all rows
    were shown, instead of failing or compiling a longer schedule."""
    task = make_task("digits", 0, subset=120)
    learner = LEARNERS.get("stdp-wta")(n_neurons=10, input_gain=0.3)
    learner.fit(task, Budget(epochs=1), Recorder(None))
    n_rows = 2 * len(task.split("train")) + len(task.split("val")) + len(task.split("test"))
    assert learner.stats_["binary_rounds"] > 1
    assert learner.stats_["images_presented"] == n_rows
    assert learner.stats_["presentations"] > 2 * n_rows  # most images needed re-presentation
    for split in ("train", "val", "test"):
        assert len(learner.responses_[split]) == len(task.split(split))


def test_probe_recording_repeats_the_raster_digits_after_the_test_split(fitted, task):
    from neurosim.artifacts import Artifacts

    learner, _, folder = fitted
    (entry,) = Artifacts(folder).entries("activity", name="probe")
    probe = Artifacts.load(entry)
    repeats = learner.params.probe_repeats
    ids = probe.meta["stimulus_ids"]
    assert ids == list(range(5)) * (1 + repeats)  # shown once among the test rows, then again
    assert probe.meta["labels"] == task.split("test").y[ids].tolist()
    assert probe.meta["assignments"] == learner.assignments_.tolist()
    # one regular schedule on the recording's clock, however far apart the stretches ran
    np.testing.assert_allclose(np.diff(probe.meta["onsets"]), 0.5, atol=0.05)
    assert learner.stats_["repeat_presentations"] == 5 * repeats


def test_final_state_holds_the_linear_probe_folded_onto_raw_counts(fitted):
    from neurosim.artifacts import Artifacts

    learner, _, folder = fitted
    (entry,) = Artifacts(folder).entries("arrays", name="final_state")
    state = Artifacts.load(entry)
    np.testing.assert_array_equal(state["weights"], learner.weights_)
    np.testing.assert_array_equal(state["theta_mv"], learner.theta_mv_)
    counts = learner.responses_["test"].astype(np.float64)
    scores = counts @ state["probe_coef"].T + state["probe_intercept"]
    folded = state["probe_classes"][scores.argmax(axis=1)]
    np.testing.assert_array_equal(folded, learner.probe_.predict(counts))
