"""The echo-state network against Jaeger's memory bounds and on short-lag sequence tasks; the
shared readout; the artifacts the report builds on."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.analysis.memory_capacity import memory_capacity, white_noise
from neurosim.artifacts import Artifacts
from neurosim.baselines.esn import ESNLearner
from neurosim.errors import ParameterError
from neurosim.learner import Budget, Recorder
from neurosim.reservoirs import Readout
from neurosim.tasks import make_task
from neurosim.tasks.sequences import ADDING_BASELINE

GRAPH_KEYS = {
    "generator",
    "n_nodes",
    "n_edges",
    "mean_degree",
    "degree_histogram",
    "clustering",
    "path_length",
    "spectral_radius",
}


def built(**params) -> ESNLearner:
    learner = ESNLearner(**params)
    learner._build(make_task("adding", 0, T=10, n_train=10, n_val=10, n_test=10), 10)
    return learner


def test_memory_capacity_never_exceeds_the_number_of_units():
    learner = built(n_units=30, spectral_radius=0.95, mc_lags=60, mc_length=200)
    mc = learner.memory_capacity()
    assert 0 < mc.total <= 30 and mc.n_units == 30
    assert np.all((mc.capacity >= 0) & (mc.capacity <= 1))


def test_a_linear_orthogonal_reservoir_remembers_almost_n_inputs():
    learner = built(
        n_units=50,
        graph="orthogonal",
        activation="linear",
        spectral_radius=0.9,
        mc_lags=100,
        mc_length=300,
    )
    assert learner.memory_capacity().total == pytest.approx(50, rel=0.1)


def test_memory_fades_faster_as_the_spectral_radius_goes_to_zero():
    totals = [
        built(n_units=50, spectral_radius=rho).memory_capacity().total for rho in (0.9, 0.5, 0.1)
    ]
    assert totals[0] > totals[1] > totals[2]
    no_recurrence = built(n_units=50, spectral_radius=0.0).memory_capacity()
    assert no_recurrence.capacity[1:].sum() < 0.1  # only the current input is left


def test_memory_capacity_scores_a_delay_line_exactly():
    """A shift register of 5 cells holds exactly the last 5 inputs: r² = 1 for lags 0-4, 0 after."""
    u = white_noise(20, 60, seed=0)
    states = np.stack([np.roll(u, k, axis=1) for k in range(5)], axis=-1)
    mc = memory_capacity(u, states, lags=8)
    np.testing.assert_allclose(mc.capacity[:5], 1.0, atol=1e-6)
    assert mc.capacity[5:].max() < 0.05
    assert mc.total == pytest.approx(5.0, abs=0.15)


def test_esn_reads_digits_row_by_row_far_above_chance():
    task = make_task("seq-digits", 0)
    learner = ESNLearner()
    learner.fit(task, Budget(), Recorder())
    assert learner.evaluate(task, "test")["accuracy"] > 0.85  # chance 0.1


def test_esn_beats_the_memoryless_baseline_on_adding_at_t_10():
    task = make_task("adding", 0, T=10, n_train=2000, n_val=100, n_test=500)
    learner = ESNLearner()
    history = learner.fit(task, Budget(), Recorder())
    assert learner.evaluate(task, "test")["loss"] < 0.5 * ADDING_BASELINE
    assert history.rows[0]["samples"] == 2000


def test_ridge_readout_recovers_a_linear_target_and_calibrates_classes():
    rng = np.random.default_rng(0)
    states = rng.standard_normal((400, 6))
    task = make_task("adding", 0, T=4, n_train=10, n_val=10, n_test=10)
    y = states @ np.arange(6.0) + 2.0
    readout = Readout("ridge", 0.0, 1.0).fit(task, states, y)
    np.testing.assert_allclose(readout.outputs(task, states), y, atol=1e-8)
    digits = make_task("seq-digits", 0, subset=100)
    states[:, 0] += np.sign(states[:, 0])  # a margin of 2 between the classes
    labels = (states[:, 0] > 0).astype(np.int64) * 3  # classes 0 and 3 of 10
    logits = Readout("ridge", 1e-3, 1.0).fit(digits, states, labels).outputs(digits, states)
    assert logits.shape == (400, 10) and np.all(logits.argmax(axis=1) == labels)
    assert digits.score(logits, labels)["loss"] < 0.1


def test_a_unit_silent_in_training_cannot_move_the_readout():
    rng = np.random.default_rng(0)
    states = np.hstack([rng.standard_normal((200, 3)), np.zeros((200, 1))])
    task = make_task("adding", 0, T=4, n_train=10, n_val=10, n_test=10)
    readout = Readout("ridge", 1e-3, 1.0).fit(task, states, states[:, 0])
    woken = states.copy()
    woken[:, 3] = 5.0  # the silent unit fires at test time
    np.testing.assert_array_equal(readout.outputs(task, woken), readout.outputs(task, states))


def test_a_unit_rare_in_training_cannot_throw_the_readout_out_of_range():
    """A unit active in 2 of 400 training states: in a new state it fires as strongly as it
    ever did, and the output stays within what the readout gave on its training states."""
    rng = np.random.default_rng(1)
    states = np.hstack([rng.standard_normal((400, 3)), np.zeros((400, 1))])
    states[:2, 3] = 1.0
    task = make_task("adding", 0, T=4, n_train=10, n_val=10, n_test=10)
    target = states[:, 0] + 3.0 * states[:, 3]  # the rare unit carries weight
    readout = Readout("ridge", 0.0, 1.0).fit(task, states, target)
    trained = readout.outputs(task, states)
    woken = states[:5].copy()
    woken[:, 3] = 40.0  # far beyond anything seen in training
    assert np.all(np.abs(readout.outputs(task, woken)) <= np.abs(trained).max() + 3.0)


def test_fit_records_graph_memory_capacity_and_states(tmp_path):
    task = make_task("seq-digits", 0, subset=100)
    learner = ESNLearner(n_units=40, units_shown=7, mc_lags=10, mc_length=40)
    learner.fit(task, Budget(), Recorder(tmp_path))
    artifacts = Artifacts(tmp_path)
    (graph,) = artifacts.entries("json", "graph")
    record = Artifacts.load(graph)
    assert set(record) == GRAPH_KEYS and record["generator"] == "erdos-renyi"
    assert record["n_nodes"] == 40 and record["spectral_radius"] == pytest.approx(0.9)
    (mc,) = artifacts.entries("arrays", "memory_capacity")
    arrays = Artifacts.load(mc)
    assert arrays["lags"].tolist() == list(range(10)) and arrays["capacity"].shape == (10,)
    assert arrays["total"].shape == () and arrays["n_units"] == 40
    assert arrays["total"] == pytest.approx(arrays["capacity"].sum())
    (states,) = artifacts.entries("activity", "states", probe="test[:4]")
    signal = Artifacts.load(states).signals["state"]
    assert signal.values.shape == (task.steps, 7)
    assert np.all(np.abs(signal.values) <= 1)  # tanh units


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("spectral_radius", -0.5),
        ("leak", 0.0),
        ("n_units", 2),
        ("mean_degree", 500.0),
        ("mc_length", 10),
        ("max_train", 1),
    ],
)
def test_bad_parameters_name_the_field(field: str, value: object):
    with pytest.raises(ParameterError, match=f"field '{field}'"):
        ESNLearner(**{field: value})


def test_unknown_graph_names_the_field():
    with pytest.raises(ParameterError, match="field 'graph' must be one of"):
        ESNLearner(graph="scale-free")
