"""Replays: a stored run's final state rebuilds the learned network, which answers new stimuli
exactly as the trained one did, without training again."""

import numpy as np
import pytest
import torch

from neurosim.artifacts import Artifacts
from neurosim.errors import UserError
from neurosim.learner import Budget, Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks import make_task

STDP_PARAMS = {"n_neurons": 20}  # tests/test_stdp_wta.py's circuit: one compiled binary for both


@pytest.fixture(scope="module")
def task():
    return make_task("digits", 0, subset=200)


def fit_and_store(name: str, params: dict, task, folder, budget: Budget) -> Artifacts:
    """Fit and record as the runner does, and return what was stored."""
    learner = LEARNERS.get(name)(**params)
    recorder = Recorder(folder)
    learner.fit(task, budget, recorder)
    learner.record(task, recorder)
    return Artifacts(folder)


def load(artifacts: Artifacts, kind: str, name: str):
    (entry,) = artifacts.entries(kind, name=name)
    return Artifacts.load(entry)


def test_mlp_replay_gives_the_recorded_layers_exactly(task, tmp_path):
    # two hidden layers, batch norm (running statistics live in buffers) and dropout (off in
    # eval mode): a replay that missed any of them would not reproduce the recorded values
    params = {"hidden": [16, 8], "batch_norm": True, "dropout": 0.2, "device": "cpu"}
    stored = fit_and_store("mlp", params, task, tmp_path, Budget(epochs=1))
    state = load(stored, "arrays", "final_state")
    recorded = load(stored, "activity", "representations")
    fresh = LEARNERS.get("mlp")(**params)  # never fitted: everything comes from the state
    replayed = fresh.replay(task, state, task.probe_set(200).x)
    assert list(replayed.signals) == ["hidden", "hidden2", "output"]
    for layer, signal in replayed.signals.items():
        np.testing.assert_array_equal(signal.values, recorded.signals[layer].values)


def test_logreg_replay_gives_the_recorded_logits_exactly(task, tmp_path):
    stored = fit_and_store("logreg", {}, task, tmp_path, Budget())
    recorded = load(stored, "activity", "representations")
    replayed = LEARNERS.get("logreg")().replay(
        task, load(stored, "arrays", "final_state"), task.probe_set(200).x
    )
    np.testing.assert_array_equal(
        replayed.signals["logits"].values, recorded.signals["logits"].values
    )


def test_a_learner_without_final_state_names_those_that_keep_one(task):
    with pytest.raises(UserError, match="keeps no final state") as error:
        LEARNERS.get("random-features")().replay(task, {}, task.probe_set(5).x)
    assert all(name in str(error.value) for name in ("stdp-wta", "mlp", "logreg"))
    assert "random-features" not in str(error.value).split("that do:")[1]


@pytest.mark.slow  # compiles a second Brian2 binary (the replay schedule)
def test_stdp_replay_keeps_the_weights_and_votes_like_the_trained_circuit(task, tmp_path):
    from neurosim.spiking.decoding import counts_per_presentation, vote

    stored = fit_and_store("stdp-wta", STDP_PARAMS, task, tmp_path, Budget(epochs=1))
    state = load(stored, "arrays", "final_state")
    probe = task.probe_set(40)
    replayed = LEARNERS.get("stdp-wta")(**STDP_PARAMS).replay(task, state, probe.x, repeats=2)
    # plasticity off: not one weight moves
    np.testing.assert_array_equal(replayed.weights["input_exc"], state["weights"])
    assert replayed.meta["stimulus_ids"] == list(range(40)) * 2
    assert replayed.meta["labels"] == probe.y.tolist() * 2
    length = replayed.meta["presentation_s"]
    ends = np.asarray(replayed.meta["onsets"]) + length
    exc = replayed.spikes["exc"]
    counts = counts_per_presentation(exc.times, exc.units, ends, length + 0.001, 20)
    replay_votes = vote(counts, state["assignments"], task.n_classes)
    trained_votes = load(stored, "predictions", "predictions_test")["y_pred"][:40]
    agreement = np.mean(replay_votes == np.tile(trained_votes, 2))
    # measured 0.575 (Poisson input: no two presentations alike); chance is 0.1, and a replay
    # from the initial weights agrees 0.10, one with Diehl & Cook's initial thresholds 0.34
    assert agreement > 0.45


def test_mlp_keeps_its_first_layer_as_built_before_training(task, tmp_path):
    # the Trainer seeds torch with the task's seed before building: the same build is the start
    params = {"hidden": [16], "device": "cpu"}
    stored = fit_and_store("mlp", params, task, tmp_path, Budget(epochs=1))
    state = load(stored, "arrays", "final_state")
    torch.manual_seed(task.seed)
    built = LEARNERS.get("mlp")(**params).build(task)[0].weight.detach().numpy()
    np.testing.assert_array_equal(state["initial_weights"], built)
    assert not np.allclose(state["initial_weights"], state["0.weight"])  # and then it learned
