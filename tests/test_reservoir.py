"""The spiking liquid state machine: independent copies, plausible E/I activity, determinism,
its records and its parameter errors. Tiny networks on Brian2's numpy target."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.artifacts import Artifacts
from neurosim.errors import ParameterError
from neurosim.graphs import adjacency, make_graph
from neurosim.learner import Budget, Recorder
from neurosim.reservoirs import RIDGES
from neurosim.spiking.liquid import Liquid, LiquidConfig, draw_wiring
from neurosim.spiking.reservoir import ReservoirLearnerLSM
from neurosim.tasks import make_task

TINY = {"n_units": 40, "codegen": "numpy", "mc_lags": 3, "mc_copies": 6, "mc_length": 10}


def tiny_liquid(copies: int, weight_scale: float = 0.3) -> Liquid:
    config = LiquidConfig(n_units=40, n_channels=2, copies=copies, weight_scale=weight_scale)
    sources, targets = adjacency(make_graph("distance", 40, 0))
    wiring = draw_wiring(config, sources, targets, np.random.default_rng(0))
    return Liquid(config, wiring, seed=0, codegen="numpy", name="test_liquid")


def test_wiring_is_80_20_with_signed_weights_from_the_source_kind():
    config = LiquidConfig(n_units=100, n_channels=1, copies=1)
    sources, targets = adjacency(make_graph("erdos-renyi", 100, 0))
    wiring = draw_wiring(config, sources, targets, np.random.default_rng(1))
    assert wiring.excitatory.sum() == 80
    from_exc = wiring.excitatory[wiring.sources]
    assert np.all(wiring.weights[from_exc] > 0) and np.all(wiring.weights[~from_exc] < 0)
    assert wiring.matrix(100)[targets[0], sources[0]] == wiring.weights[0]


def test_copies_are_independent_networks():
    """A copy without input stays silent (its background current sits below threshold) while
    the copy beside it fires: no synapse crosses from one copy to another."""
    liquid = tiny_liquid(copies=2)
    x = np.zeros((2, 3, 2))
    x[0] = 1.0
    states, _ = liquid.simulate(x, every_step=True)
    assert states[0].sum() > 0
    assert np.all(states[1] == 0)


def test_batches_pad_and_return_one_state_per_sequence():
    liquid = tiny_liquid(copies=3)
    x = np.random.default_rng(0).uniform(size=(5, 2, 2))
    last, _ = liquid.simulate(x, every_step=False)
    assert last.shape == (5, 40) and np.all(last.sum(axis=1) > 0)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reservoir")
    task = make_task("seq-digits", 0, subset=100)
    learner = ReservoirLearnerLSM(**TINY)
    learner.fit(task, Budget(), Recorder(folder))
    return learner, task, folder


def test_raster_has_plausible_rates_for_both_populations(fitted):
    learner, task, folder = fitted
    (entry,) = Artifacts(folder).entries("activity", "raster", probe="test[:4]")
    activity = Artifacts.load(entry)
    assert activity.meta == {"step_ms": 20.0, "steps": 8, "sequence": 0}
    duration = task.steps * learner.params.step_ms / 1000
    assert activity.spikes["exc"].n_units == 32 and activity.spikes["inh"].n_units == 8
    for kind, refractory_ms in (("exc", 3.0), ("inh", 2.0)):
        trains = activity.spikes[kind]
        rate = len(trains.times) / trains.n_units / duration
        assert 1.0 < rate < 1000 / refractory_ms, kind  # active, below the refractory ceiling
        assert trains.times.min() >= 0 and trains.times.max() < duration


def test_same_seed_gives_the_same_raster_and_another_seed_another():
    rasters = []
    for seed in (0, 0, 1):
        learner = ReservoirLearnerLSM(**TINY)
        learner.fit(make_task("seq-digits", seed, subset=100), Budget(), Recorder())
        rasters.append(learner.raster_["exc"])
    np.testing.assert_array_equal(rasters[0][0], rasters[1][0])
    np.testing.assert_array_equal(rasters[0][1], rasters[1][1])
    assert len(rasters[0][0]) != len(rasters[2][0]) or np.any(rasters[0][0] != rasters[2][0])


def test_states_are_simulated_once_per_sequence(fitted):
    learner, task, _ = fitted
    test = task.split("test")
    first = learner.outputs(task, test.x)
    np.testing.assert_allclose(learner.outputs(task, test.x[:3]), first[:3], rtol=1e-12)
    assert learner.evaluate(task, "test") == learner.evaluate(task, "test")


def test_records_the_graph_and_a_memory_capacity_curve(fitted):
    learner, _, folder = fitted
    artifacts = Artifacts(folder)
    graph = Artifacts.load(artifacts.entries("json", "graph")[0])
    assert graph["generator"] == "distance" and graph["n_nodes"] == 40
    assert graph["spectral_radius"] > 0
    mc = Artifacts.load(artifacts.entries("arrays", "memory_capacity")[0])
    assert mc["lags"].tolist() == [0, 1, 2] and mc["n_units"] == 40
    assert 0 <= mc["total"] <= 40


def test_without_recurrent_weights_the_spectral_radius_is_zero():
    learner = ReservoirLearnerLSM(**{**TINY, "weight_scale": 0.0})
    learner.fit(make_task("seq-digits", 0, subset=100), Budget(samples=20), Recorder())
    assert learner.graph_record()["spectral_radius"] == 0.0


@pytest.mark.parametrize(
    ("field", "value"),
    [("weight_scale", -1.0), ("step_ms", 0.1), ("input_fraction", 0.0), ("batch_size", 0)],
)
def test_bad_parameters_name_the_field(field: str, value: object):
    with pytest.raises(ParameterError, match=f"field '{field}'"):
        ReservoirLearnerLSM(**{field: value})


def test_dynamic_synapses_have_the_papers_use_and_time_constants_per_pair_type():
    """Markram-Tsodyks synapses (Maass et al. 2002): U, D, F drawn around their type's mean; a
    first spike's jump A x U is the recorded weight; E->E depresses (D >> F), E->I facilitates."""
    config = LiquidConfig(n_units=200, n_channels=1, copies=1)
    sources, targets = adjacency(make_graph("erdos-renyi", 200, 0))
    wiring = draw_wiring(config, sources, targets, np.random.default_rng(2))
    pre, post = wiring.excitatory[wiring.sources], wiring.excitatory[wiring.targets]
    assert np.all((wiring.use > 0) & (wiring.use <= 1))
    ee, ei = pre & post, pre & ~post
    assert np.median(wiring.use[ee]) == pytest.approx(0.5, rel=0.3)
    assert np.median(wiring.depression_s[ee]) > 5 * np.median(wiring.facilitation_s[ee])
    assert np.median(wiring.facilitation_s[ei]) > 5 * np.median(wiring.depression_s[ei])


def test_the_readouts_penalty_is_chosen_on_the_validation_split_unless_fixed():
    task = make_task("seq-digits", 0, subset=100)
    for ridge, allowed in ((None, RIDGES), (0.5, (0.5,))):
        learner = ReservoirLearnerLSM(**{**TINY, "ridge": ridge})
        assert learner.fit(task, Budget(samples=20), Recorder()).rows[-1]["ridge"] in allowed
