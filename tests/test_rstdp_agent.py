"""`rstdp-agent`: its codec against hand-computed cases, the episode reset of its circuit, and a
short closed-loop run through `fit`/`evaluate` (numpy target, tiny network)."""

import brian2 as b2
import numpy as np
import pytest

from neurosim.errors import ParameterError
from neurosim.learner import Budget, Recorder
from neurosim.plasticity import find_rule
from neurosim.registry import LEARNERS
from neurosim.spiking.agent_codec import PopulationCode, decode_action, td_error
from neurosim.spiking.backend import codegen_target
from neurosim.spiking.closed_loop import Circuit, CircuitConfig
from neurosim.tasks import make_task

TINY = {"n_per_dim": 4, "n_per_action": 3, "n_critic": 3, "codegen": "numpy"}


def test_population_code_matches_the_tuning_curves():
    # centres -1, -0.5, 0, 0.5, 1; sd = 1 x spacing = 0.5
    code = PopulationCode(ranges=((-1.0, 1.0), (0.0, 4.0)), n_per_dim=5, max_rate_hz=100.0)
    rates = code.rates(np.array([0.5, 1.0]))
    assert code.n_inputs == 10
    assert np.argmax(rates[:5]) == 3 and np.argmax(rates[5:]) == 1  # the neurons preferring 0.5, 1
    np.testing.assert_allclose(
        rates[:5], 100 * np.exp([-4.5, -2.0, -0.5, 0.0, -0.5]), rtol=1e-12
    )  # (x - c)^2 / (2 sd^2) with x - c = 1.5, 1, 0.5, 0, -0.5
    # outside the range the edge neuron fires as at the edge
    np.testing.assert_allclose(code.rates(np.array([7.0, -3.0])), code.rates(np.array([1, 0.0])))


def test_decoder_takes_the_loudest_population_and_breaks_ties_at_random():
    rng = np.random.default_rng(0)
    assert decode_action(np.array([[3, 1, 0], [0, 2, 1]]), rng) == 0
    assert decode_action(np.array([1, 0, 4]), rng) == 2
    picks = [decode_action(np.array([[1, 1], [2, 0], [0, 0]]), rng) for _ in range(200)]
    assert set(picks) == {0, 1}  # the two tied populations, never the quieter one
    assert 60 < picks.count(0) < 140
    silent = [decode_action(np.zeros((2, 3)), rng) for _ in range(200)]
    assert set(silent) == {0, 1}


def test_td_error_from_hand_values():
    assert td_error(0.0, value=0.5, next_value=1.0, gamma=0.9, terminal=False) == pytest.approx(0.4)
    assert td_error(1.0, value=2.0, next_value=3.0, gamma=0.5, terminal=False) == pytest.approx(0.5)
    # a terminal state is worth nothing, whatever the critic says about it
    assert td_error(-1.0, value=0.5, next_value=9.0, gamma=0.9, terminal=True) == pytest.approx(
        -1.5
    )


def _tiny_circuit() -> tuple[Circuit, b2.SpikeMonitor, b2.SpikeMonitor]:
    config = CircuitConfig(n_inputs=6, n_actions=2, n_per_action=3, n_critic=3, input_gain=0.5)
    rng = np.random.default_rng(1)

    def present() -> None:
        circuit.set_rates(np.full(6, 300.0))
        circuit.restart_race()

    with codegen_target("numpy"):
        circuit = Circuit(
            config,
            find_rule("rstdp"),
            present,
            "resettest",
            rng.uniform(0, 2, (6, 6)),
            rng.uniform(0, 2, (3, 6)),
        )
        actions = b2.SpikeMonitor(circuit.groups["actions"], name="resettest_action_spikes")
        inputs = b2.SpikeMonitor(circuit.groups["inputs"], name="resettest_input_spikes")
        circuit.net.add(actions, inputs)
    return circuit, actions, inputs


def _episode(circuit: Circuit, monitors: tuple, seed: int) -> list[np.ndarray]:
    """Run 100 ms from a reset network; spike time steps from the start, and units."""
    start = float(circuit.net.t / b2.second)
    before = [len(m.t) for m in monitors]
    circuit.reset_state()
    b2.seed(seed)
    with codegen_target("numpy"):
        circuit.net.run(100 * b2.ms, namespace=circuit.namespace)
    out = []
    for monitor, first in zip(monitors, before, strict=True):
        steps = np.rint((np.array(monitor.t / b2.second)[first:] - start) * 1000)  # dt = 1 ms
        out += [steps.astype(int), np.array(monitor.i[:])[first:]]
    return out


def test_reset_leaves_no_trace_of_the_last_episode():
    circuit, *monitors = _tiny_circuit()
    circuit.set_reward("actions", 0.05)
    with codegen_target("numpy"):
        circuit.net.run(100 * b2.ms, namespace=circuit.namespace)
    syn = circuit.synapses["actions"]
    assert np.any(np.array(syn.c[:]) != 0) and np.any(circuit.array("actions", "v") != 0)
    circuit.reset_state()
    for population in ("actions", "critic"):
        assert np.all(circuit.array(population, "v") == 0)
        assert np.all(circuit.array(population, "count") == 0)
        for trace in ("c", "apre", "apost", "reward"):
            assert np.all(circuit.array(population, trace, synapses=True) == 0), trace
    assert np.all(circuit.array("critic", "drive") == circuit.config.critic_drive)

    # plasticity off (reward 0): two episodes from a reset network and one seed spike alike
    first = _episode(circuit, monitors, seed=7)
    second = _episode(circuit, monitors, seed=7)
    assert len(first[0]) > 0 and len(first[2]) > 0
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"episodes": 0}, "episodes"),
        ({"gamma": 1.5}, "gamma"),
        ({"window_ms": 2.5}, "window_ms"),
        ({"rule_parameters": {"nope": "1"}}, "rule_parameters"),
        ({"rule": "stdp-triplet", "rule_parameters": {}}, "rule"),  # reads no reward signal
        ({"n_critic": 0}, "n_critic"),
    ],
)
def test_bad_parameters_name_the_field(params, field):
    with pytest.raises(ParameterError, match=f"'{field}'"):
        LEARNERS.get("rstdp-agent")(**params)


def test_short_closed_loop_run(tmp_path):
    task = make_task("cartpole", 0, eval_episodes=2, eval_every=10)
    agent = LEARNERS.get("rstdp-agent")(episodes=3, **TINY)
    history = agent.fit(task, Budget(env_steps=10_000), Recorder(tmp_path))
    metrics = agent.evaluate(task, "eval")
    assert metrics["train_episodes"] == 3 and agent.training_.episodes == 3
    assert agent.training_.env_steps == agent.curve_.episode_end_steps[-1]
    assert len(history.rows) >= 1  # evaluated at an episode end once 10 steps had passed
    assert 8 <= metrics["mean_return"] <= 500  # CartPole cannot end sooner than 8 steps
    assert np.isfinite(agent.stats_["ms_per_env_step"])
    # the policy network acts with the kept weights and learns nothing while it does
    np.testing.assert_array_equal(agent.policy_.circuit.weights("actions"), agent.kept_weights_)
    weights = np.load(tmp_path / "weights.npz")
    assert weights["actor"].shape == (2, 6, 16)  # the start and the end (every 25 episodes)
    from neurosim.activity import Activity

    activity = Activity.load(tmp_path / "activity_episode.npz")
    assert set(activity.spikes) == {"inputs", "actions", "critic"}
    assert activity.spikes["inputs"].counts().sum() > 0
    assert len(activity.signals["td_error"].t) == agent.curve_.episode_returns[-1]


def test_env_step_budget_stops_before_the_episodes():
    task = make_task("cartpole", 1, eval_episodes=1)
    agent = LEARNERS.get("rstdp-agent")(episodes=100, **TINY)
    agent.fit(task, Budget(env_steps=25), Recorder())
    assert agent.training_.env_steps == 25
    assert len(agent.curve_.episode_returns) < 100
