"""A spiking circuit with an environment in the loop: built once, run in ONE long `run()`.

Why one run: every `Network.run()` call costs 100-300 ms of code preparation, so a run per env
step (20 ms of simulated time) is 100x slower than the simulation itself. Here a
`network_operation` on a clock of one decision window is the only place where Python meets the
network: it reads the window's spike counts, steps the environment, sets the next input rates
and the neuromodulator, and resets the state between episodes.

The circuit: rate-driven Poisson input neurons (a population code of the observation) project
through plastic synapses (a PlasticityRule reading `reward`) onto one LIF population per action,
with lateral inhibition between the action populations, and optionally onto a critic
population whose firing rate codes the value.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Callable

import brian2 as b2
import numpy as np
from brian2 import ms

from neurosim.plasticity import PlasticityRule
from neurosim.spiking.agent_codec import decode_action
from neurosim.spiking.backend import codegen_target
from neurosim.spiking.integration import stored_exact
from neurosim.spiking.rules import rule_namespace, synapse_model

INPUT = "rate : Hz"

# Dimensionless LIF (threshold 1): `drive` is a constant input (the critic's baseline, the
# exploration kick to one action population); synaptic input arrives as jumps of v.
LIF = """
dv/dt = (drive - v) / tau_m : 1 (unless refractory)
drive : 1
count : 1
"""
RESET = "v = 0\ncount += 1"
POPULATIONS = ("inputs", "actions", "critic")


@dataclasses.dataclass(frozen=True)
class CircuitConfig:
    """Sizes and constants of the circuit (everything but the learned weights)."""

    n_inputs: int
    n_actions: int
    n_per_action: int
    n_critic: int  # 0: no critic population
    dt_ms: float = 1.0
    window_ms: float = 20.0
    tau_m_ms: float = 10.0
    refractory_ms: float = 2.0
    input_gain: float = 0.3
    inhibition: float = 0.5
    critic_drive: float = 0.5

    @property
    def n_action_neurons(self) -> int:
        return self.n_actions * self.n_per_action


class Circuit:
    """The Brian2 objects of one closed-loop circuit, and numpy views onto their state.

    `on_window` is called at the start of every decision window (t = 0, W, 2W, ...), before
    the neurons are updated, so the spike counts it reads cover exactly the window just ended.
    """

    def __init__(
        self,
        config: CircuitConfig,
        rule: PlasticityRule,
        on_window: Callable[[], None],
        name: str,
        actor_weights: np.ndarray,
        critic_weights: np.ndarray | None = None,
    ):
        self.config = config
        self.codegen_target = b2.prefs.codegen.target  # the target its code was built for
        # its own clock: a second circuit (the policy server) must not move this one's time
        clock = b2.Clock(dt=config.dt_ms * ms, name=f"{name}_clock")
        namespace = {
            **rule_namespace(rule),
            "tau_m": config.tau_m_ms * ms,
            "input_gain": config.input_gain,
            "inhibition": config.inhibition,
        }
        self.namespace = namespace
        inputs = b2.NeuronGroup(
            config.n_inputs,
            INPUT,
            threshold="rand() < rate * dt",
            clock=clock,
            name=f"{name}_inputs",
            namespace=namespace,
        )
        self.groups = {"inputs": inputs}
        self.synapses: dict[str, b2.Synapses] = {}
        objects: list[object] = [inputs]
        targets = {"actions": (config.n_action_neurons, actor_weights)}
        if config.n_critic:
            targets["critic"] = (config.n_critic, critic_weights)
        for population, (size, weights) in targets.items():
            group = b2.NeuronGroup(
                size,
                LIF,
                threshold="v > 1",
                reset=RESET,
                refractory=config.refractory_ms * ms,
                method=stored_exact,
                clock=clock,
                name=f"{name}_{population}",
                namespace=namespace,
            )
            syn = b2.Synapses(
                inputs,
                group,
                synapse_model(rule),
                on_pre="v_post += input_gain * w\n" + rule.on_pre,
                on_post=rule.on_post or None,
                method="euler",  # the rule's clock-driven ODEs (eligibility, dopamine-gated w)
                clock=clock,
                name=f"{name}_{population}_syn",
                namespace=namespace,
            )
            # row-major (post, pre), so the weights reshape to (n_post, n_inputs)
            pre, post = np.meshgrid(np.arange(config.n_inputs), np.arange(size))
            syn.connect(i=pre.ravel(), j=post.ravel())
            syn.w = np.asarray(weights, dtype=np.float64).ravel()
            self.groups[population] = group
            self.synapses[population] = syn
            objects += [group, syn]
        actions = self.groups["actions"]
        lateral = b2.Synapses(
            actions,
            actions,
            on_pre="v_post -= inhibition",
            clock=clock,
            name=f"{name}_lateral",
            namespace=namespace,
        )
        population_of = np.arange(config.n_action_neurons) // config.n_per_action
        pre, post = np.meshgrid(population_of, population_of, indexing="ij")
        sources, targets_ = np.nonzero(pre != post)
        lateral.connect(i=sources, j=targets_)
        operation = b2.NetworkOperation(
            on_window, dt=config.window_ms * ms, when="start", name=f"{name}_loop"
        )
        self.net = b2.Network(*objects, lateral, operation, name=f"{name}_net")
        # what a reset returns to: every synaptic variable the rule integrates (clock- and
        # event-driven: Synapses.equations alone omits the event-driven traces), except w
        traces = sorted(set(b2.Equations(synapse_model(rule)).diff_eq_names) - {"w"})
        self._traces = {population: traces for population in self.synapses}
        self.reset_state()

    def array(self, population: str, variable: str, synapses: bool = False) -> np.ndarray:
        """A live numpy view of one state variable (runtime mode: no copy, no units)."""
        owner = self.synapses[population] if synapses else self.groups[population]
        return owner.variables[variable].get_value()

    def weights(self, population: str) -> np.ndarray:
        """Live (n_post, n_inputs) view of the plastic weights onto `population`."""
        return self.array(population, "w", synapses=True).reshape(-1, self.config.n_inputs)

    def take_counts(self, population: str) -> np.ndarray:
        """Spike counts since the last call, per neuron; the counters restart at zero."""
        counts = self.array(population, "count")
        taken = counts.copy()
        counts[:] = 0
        return taken

    def restart_race(self) -> None:
        """Action neurons back to rest, so each window's decision is a fresh race between the
        populations (else the last winner keeps inhibiting the others: hysteresis, one action)."""
        self.array("actions", "v")[:] = 0

    def set_rates(self, rates_hz: np.ndarray) -> None:
        self.array("inputs", "rate")[:] = rates_hz

    def set_reward(self, population: str, value: float) -> None:
        if population in self.synapses:
            self.array(population, "reward", synapses=True)[:] = value

    def set_drive(self, population: str, drive: np.ndarray | float) -> None:
        self.array(population, "drive")[:] = drive

    def normalise(self, population: str, total: float) -> None:
        """Per-neuron synaptic scaling: each neuron's input weights sum to `total`, so learning
        moves weight between inputs instead of making one population louder than the other."""
        weights = self.weights(population)
        sums = weights.sum(axis=1, keepdims=True)
        weights *= total / np.maximum(sums, 1e-12)

    def reset_state(self) -> None:
        """Back to the state of a fresh network (weights excepted): no memory of the last episode
        in membranes, refractoriness, counters, the rule's traces or its eligibility."""
        for population in self.groups:
            if population != "inputs":
                self.array(population, "count")[:] = 0
                self.array(population, "v")[:] = 0
                self.array(population, "lastspike")[:] = -1e4  # long ago: not refractory
        for population, names in self._traces.items():
            for variable in names:
                self.array(population, variable, synapses=True)[:] = 0
            self.set_reward(population, 0.0)
        self.set_rates(0.0)
        self.set_drive("actions", 0.0)
        if "critic" in self.groups:
            self.set_drive("critic", self.config.critic_drive)


class PolicyServer:
    """Greedy actions from a frozen copy of the actor, one decision window per call.

    `act(observation)` is called once per env step by code that owns the episode loop (the
    task's evaluation), but the circuit must stay inside one long `run()`. So the run lives in
    a worker thread whose window operation hands back the action and then waits for the next
    observation: each call costs one window of simulation, not a `run()` of its own.
    """

    def __init__(
        self,
        config: CircuitConfig,
        rule: PlasticityRule,
        encode: Callable[[np.ndarray], np.ndarray],
        weights: np.ndarray,
        seed: int,
        name: str,
    ):
        self.encode = encode
        self.rng = np.random.default_rng(seed)
        frozen = dataclasses.replace(config, n_critic=0)
        self.circuit = Circuit(frozen, rule, self._on_window, name, weights)
        self._observations: queue.Queue = queue.Queue()
        self._actions: queue.Queue = queue.Queue()
        self._started = False
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def load(self, weights: np.ndarray) -> None:
        """Replace the actor's weights (only between calls: the worker is then waiting)."""
        self.circuit.weights("actions")[:] = weights

    def act(self, observation: np.ndarray) -> int:
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, daemon=True)
            self._thread.start()
        self._observations.put(np.asarray(observation, dtype=np.float64))
        action = self._actions.get()
        if action is None:
            raise RuntimeError("the policy network stopped") from self._error
        return action

    def close(self) -> None:
        if self._thread is not None:
            self._observations.put(None)
            self._thread.join()
            self._thread = None
            self._started = False  # the window cut short by the stop is not an answer

    def _serve(self) -> None:
        try:
            with codegen_target(self.circuit.codegen_target):
                self.circuit.net.run(1e7 * b2.second, namespace=self.circuit.namespace)
        except BaseException as error:  # hand it to the caller waiting in act()
            self._error = error
            self._actions.put(None)

    def _on_window(self) -> None:
        circuit = self.circuit
        counts = circuit.take_counts("actions")
        if self._started:
            shape = (circuit.config.n_actions, circuit.config.n_per_action)
            self._actions.put(decode_action(counts.reshape(shape), self.rng))
        observation = self._observations.get()
        if observation is None:
            circuit.net.stop()
            return
        self._started = True
        circuit.set_rates(self.encode(observation))
        circuit.restart_race()
