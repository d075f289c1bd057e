"""`rstdp-agent`: a spiking actor-critic in Brian2, learning by a three-factor rule.

After Fremaux, Sprekeler & Gerstner (2013, PLoS Comput Biol 9:e1003024): a population code of
the observation drives one LIF population per action (lateral inhibition picks the action from
the spike counts of a 20 ms window) and a critic population whose rate codes the value V. The
TD error delta = r + gamma V' - V, computed from the critic's spike counts, is the third factor:
the host sets it as the rule's `reward` signal, so the same delta gates the eligibility traces
of both the actor's and the critic's synapses (the rule comes from the library, `rstdp` by
default).

The budget: ControlAgent counts env steps, but this agent is judged on episodes; it stops at
`episodes` or at the env-step budget, whichever comes first. Without an `env_steps` budget the
episodes decide (the default budget is 10 million steps), and a greedy evaluation runs every
20 000 env steps unless the task sets `eval_every` (each costs 20 episodes of simulation).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Literal

import brian2 as b2
import numpy as np
from brian2 import ms

from neurosim.activity import Activity, Signal, SpikeTrains
from neurosim.errors import ParameterError
from neurosim.families.control import ControlAgent, LearningCurve
from neurosim.learner import Recorder
from neurosim.plasticity import PlasticityRule, find_rule
from neurosim.registry import LEARNERS
from neurosim.spiking.agent_codec import (
    OBSERVATION_NAMES,
    OBSERVATION_RANGES,
    PopulationCode,
    decode_action,
    td_error,
)
from neurosim.spiking.backend import codegen_target
from neurosim.spiking.closed_loop import POPULATIONS, Circuit, CircuitConfig, PolicyServer
from neurosim.spiking.rule_check import rule_from_params
from neurosim.tasks.control import ControlTask


@dataclasses.dataclass
class RSTDPAgentParams:
    episodes: int = 500  # training episodes; the env-step budget may stop it earlier
    rule: str = "rstdp"
    # overrides of the rule's parameters. A_minus < A_plus: with Poisson inputs, uncorrelated
    # pairings would otherwise make the eligibility of the winning population negative, and a
    # positive TD error would then weaken the action just taken.
    rule_parameters: dict[str, str | float] = dataclasses.field(
        default_factory=lambda: {"A_minus": "0.05", "tau_c": "500 ms"}
    )
    n_per_dim: int = 10  # input neurons per observation dimension
    max_rate_hz: float = 200.0
    tuning_width: float = 1.0  # tuning sd in units of the spacing of preferred values
    n_per_action: int = 10
    n_critic: int = 10
    dt_ms: float = 1.0
    window_ms: float = 20.0  # simulated time per env step
    tau_m_ms: float = 10.0
    input_gain: float = 0.12
    inhibition: float = 0.5
    critic_drive: float = 0.5  # constant input to critic neurons (<1: silent without inputs)
    w_init: float = 1.0  # mean initial weight; each neuron's inputs keep summing to n * w_init
    gamma: float = 0.9
    terminal_reward: float = -1.0  # TD reward on termination (not truncation)
    reward_scale: float = 0.0  # TD reward per env reward (0: CartPole's +1 says nothing)
    actor_lr: float = 0.02  # the `reward` signal the actor's synapses see = actor_lr * delta
    critic_lr: float = 0.01
    value_offset: float = -1.0  # V = value_offset + value_scale * mean critic count per window
    value_scale: float = 0.3
    explore_start: float = 0.5  # probability of a random action, decaying linearly to 0
    explore_episodes: int = 200
    explore_drive: float = 2.0  # constant input that makes the explored action's population win
    snapshot_every: int = 25  # episodes between recorded weight snapshots
    codegen: Literal["cython", "numpy"] = "cython"

    def content_fingerprint(self) -> str:
        """What the rule file says, so that editing it in place gives new run ids."""
        return self.resolved_rule().fingerprint()

    def resolved_rule(self) -> PlasticityRule:
        return find_rule(self.rule).with_parameters(**self.rule_parameters)

    def validate(self, owner: str) -> None:
        for name in (
            "episodes",
            "n_per_action",
            "max_rate_hz",
            "tuning_width",
            "dt_ms",
            "window_ms",
            "tau_m_ms",
            "input_gain",
            "w_init",
            "explore_drive",
            "snapshot_every",
            "value_scale",
        ):
            if getattr(self, name) <= 0:
                raise ParameterError(f"{owner}: field '{name}' must be positive")
        for name in ("inhibition", "critic_drive", "actor_lr", "critic_lr"):
            if getattr(self, name) < 0:
                raise ParameterError(f"{owner}: field '{name}' must be >= 0")
        if self.n_per_dim < 2:
            raise ParameterError(f"{owner}: field 'n_per_dim' must be >= 2")
        if self.n_critic < 1:
            raise ParameterError(f"{owner}: field 'n_critic' must be >= 1")
        if not 0 <= self.gamma <= 1:
            raise ParameterError(f"{owner}: field 'gamma' must lie in [0, 1]")
        if not 0 <= self.explore_start <= 1:
            raise ParameterError(f"{owner}: field 'explore_start' must lie in [0, 1]")
        if self.explore_episodes < 1:
            raise ParameterError(f"{owner}: field 'explore_episodes' must be >= 1")
        steps = self.window_ms / self.dt_ms
        if abs(steps - round(steps)) > 1e-9:
            raise ParameterError(f"{owner}: field 'window_ms' must be a multiple of 'dt_ms'")
        rule = rule_from_params(self.rule, self.rule_parameters, owner)
        self.rule_parameters = {key: rule.parameters[key] for key in self.rule_parameters}
        if rule.kind != "spike" or set(rule.signals) != {"reward"}:
            raise ParameterError(
                f"{owner}: field 'rule': '{rule.name}' must be a spike rule reading only the "
                f"'reward' signal (the TD error), it is a {rule.kind} rule reading "
                f"{sorted(rule.signals)}"
            )


class _Training:
    """The window-by-window state machine run by the circuit's network operation.

    Window k presents observation s_k; at its end the action is read from the action counts and
    V(s_k) from the critic's, the TD error of the previous transition is formed and set as the
    `reward` signal for window k+1, and the environment steps. After a terminal step one silent
    window (inputs off) lets the rule apply the last TD error before the state is reset.
    """

    def __init__(self, agent: RSTDPAgent, task: ControlTask, env_steps: int, curve: LearningCurve):
        p = agent.params
        self.p, self.agent, self.curve = p, agent, curve
        self.budget = env_steps
        self.env = task.make_env()
        self.observation, _ = self.env.reset(seed=task.seed)
        self.env.action_space.seed(task.seed)
        self.rng = np.random.default_rng(task.seed)
        self.circuit: Circuit | None = None
        self.env_steps = 0
        self.episodes = 0
        self.episode_return = 0.0
        self.pending: tuple[float, float] | None = None  # (r, V) of the previous window
        self.phase = "present"
        self.stop_for: str | None = None  # why the run stopped: "eval", "record", "done"
        self.trace: list[tuple[float, float, float]] = []  # (t, V, delta) this episode
        self.last_trace: list[tuple[float, float, float]] = []
        self.snapshots: dict[str, list[np.ndarray]] = {"episodes": [], "actor": [], "critic": []}

    # -- the network operation -------------------------------------------------------------
    def on_window(self) -> None:
        if self.phase == "present":
            self._present(self.observation)
            self.phase = "act"
        elif self.phase == "gap":
            self._end_episode()
        else:
            self._act()

    def _act(self) -> None:
        p, circuit = self.p, self.circuit
        counts = circuit.take_counts("actions").reshape(self.agent.config_.n_actions, -1)
        value = p.value_offset + p.value_scale * float(circuit.take_counts("critic").mean())
        action = decode_action(counts, self.rng)
        deltas = []
        if self.pending is not None:
            reward, previous_value = self.pending
            deltas.append(td_error(reward, previous_value, value, p.gamma, False))
        observation, reward, terminated, truncated, _ = self.env.step(action)
        self.env_steps += 1
        self.episode_return += float(reward)
        td_reward = p.reward_scale * float(reward) + (p.terminal_reward if terminated else 0.0)
        if terminated:
            deltas.append(td_error(td_reward, value, 0.0, p.gamma, True))
        delta = float(sum(deltas))
        circuit.set_reward("actions", p.actor_lr * delta)
        circuit.set_reward("critic", p.critic_lr * delta)
        self._scale_weights()
        self.trace.append((self._now(), value, delta))
        if terminated or truncated:
            self.curve.episode(self.env_steps, self.episode_return)
            self.episodes += 1
            self.pending = None
            circuit.set_rates(0.0)
            circuit.set_drive("actions", 0.0)
            self.phase = "gap"
        elif self.env_steps >= self.budget:
            self._stop("done")
        else:
            self.pending = (td_reward, value)
            self.observation = observation
            self._present(observation)

    def _end_episode(self) -> None:
        circuit = self.circuit
        circuit.set_reward("actions", 0.0)
        circuit.set_reward("critic", 0.0)
        self._scale_weights()
        if self.episodes % self.p.snapshot_every == 0:
            self.snapshot()
        self.last_trace, self.trace = self.trace, []
        self.episode_return = 0.0
        circuit.reset_state()
        self.observation, _ = self.env.reset()
        self._present(self.observation)
        self.phase = "act"
        if self.episodes >= self.p.episodes or self.env_steps >= self.budget:
            self._stop("done")
        elif self.curve.due(self.env_steps):
            self._stop("eval")
        elif self.recording_next_episode():
            self._stop("record")

    def recording_next_episode(self) -> bool:
        """The last training episode is recorded (spike monitors cost time every step)."""
        return self.agent.recording_ and self.episodes == self.p.episodes - 1

    # -- pieces ------------------------------------------------------------------------------
    def _present(self, observation: np.ndarray) -> None:
        """Show the observation for the next window; with the exploration probability, kick
        one random action population so that it wins (its synapses then carry the eligibility
        of the action actually taken)."""
        p, circuit = self.p, self.circuit
        circuit.set_rates(self.agent.code_.rates(observation))
        circuit.restart_race()
        drive = np.zeros(self.agent.config_.n_action_neurons)
        epsilon = p.explore_start * max(0.0, 1.0 - self.episodes / p.explore_episodes)
        if self.rng.random() < epsilon:
            chosen = self.rng.integers(self.agent.config_.n_actions)
            per = self.agent.config_.n_per_action
            drive[chosen * per : (chosen + 1) * per] = p.explore_drive
        circuit.set_drive("actions", drive)

    def _scale_weights(self) -> None:
        total = self.agent.code_.n_inputs * self.p.w_init
        for population in ("actions", "critic"):
            if population in self.circuit.synapses:
                self.circuit.normalise(population, total)

    def _stop(self, reason: str) -> None:
        self.stop_for = reason
        self.circuit.net.stop()

    def _now(self) -> float:
        return float(self.circuit.net.t / b2.second)

    def snapshot(self) -> None:
        self.snapshots["episodes"].append(self.episodes)
        self.snapshots["actor"].append(self.circuit.weights("actions").copy())
        self.snapshots["critic"].append(self.circuit.weights("critic").copy())


@LEARNERS.register("rstdp-agent")
class RSTDPAgent(ControlAgent):
    """The spiking actor-critic, trained in one long Brian2 run with the environment inside."""

    name = "rstdp-agent"
    Params = RSTDPAgentParams
    artifacts = ("json", "weight_snapshots", "activity")
    default_env_steps = 10_000_000
    default_eval_every = 20_000

    def train(
        self, task: ControlTask, env_steps: int, curve: LearningCurve, recorder: Recorder
    ) -> None:
        p = self.params
        rule = p.resolved_rule()
        ranges = OBSERVATION_RANGES.get(task.env_id)
        if ranges is None:
            raise ParameterError(f"learner '{self.name}': no observation ranges for {task.env_id}")
        self.env_id_ = task.env_id
        self.code_ = PopulationCode(ranges, p.n_per_dim, p.max_rate_hz, p.tuning_width)
        self.config_ = CircuitConfig(
            n_inputs=self.code_.n_inputs,
            n_actions=task.n_actions,
            n_per_action=p.n_per_action,
            n_critic=p.n_critic,
            dt_ms=p.dt_ms,
            window_ms=p.window_ms,
            tau_m_ms=p.tau_m_ms,
            input_gain=p.input_gain,
            inhibition=p.inhibition,
            critic_drive=p.critic_drive,
        )
        self.recording_ = recorder.enabled
        b2.seed(task.seed)
        rng = np.random.default_rng(task.seed)
        n_in = self.code_.n_inputs
        actor = rng.uniform(0, 2 * p.w_init, (self.config_.n_action_neurons, n_in))
        critic = rng.uniform(0, 2 * p.w_init, (max(self.config_.n_critic, 1), n_in))
        loop = _Training(self, task, env_steps, curve)
        with codegen_target(p.codegen):
            start = time.perf_counter()
            circuit = Circuit(self.config_, rule, loop.on_window, "train", actor, critic)
            loop.circuit = circuit
            circuit.net.run(0 * ms, namespace=circuit.namespace)  # generates and compiles
            self.policy_ = PolicyServer(
                self.config_, rule, self.code_.rates, actor, task.seed, "policy"
            )
            self.policy_.circuit.net.run(0 * ms, namespace=self.policy_.circuit.namespace)
            build_s = time.perf_counter() - start
            loop.snapshot()
            self.kept_weights_ = circuit.weights("actions").copy()
            best = -np.inf
            run_s, monitors = 0.0, {}
            while True:
                start = time.perf_counter()
                circuit.net.run(1e7 * b2.second, namespace=circuit.namespace)
                run_s += time.perf_counter() - start
                if loop.stop_for == "done":
                    break
                if loop.stop_for == "eval":
                    self.policy_.load(circuit.weights("actions"))
                    mean = curve.evaluate(loop.env_steps, self.policy_.act)
                    if mean >= best:  # ties keep the later, longer-trained weights
                        best, self.kept_weights_ = mean, circuit.weights("actions").copy()
                if loop.recording_next_episode() and not monitors:
                    monitors = self._add_monitors(circuit)
                loop.stop_for = None
        if loop.snapshots["episodes"][-1] != loop.episodes:
            loop.snapshot()
        if best == -np.inf:  # never evaluated: keep the final weights
            self.kept_weights_ = circuit.weights("actions").copy()
        self.policy_.load(self.kept_weights_)
        loop.env.close()
        self.stats_ = {
            "build_s": build_s,
            "train_run_s": run_s,
            "env_steps": loop.env_steps,
            "episodes": loop.episodes,
            "ms_per_env_step": 1000 * run_s / max(loop.env_steps, 1),
        }
        self.training_ = loop
        self._record(recorder, loop, monitors)

    def act(self, observation: np.ndarray) -> int:
        return self.policy_.act(observation)

    def _add_monitors(self, circuit: Circuit) -> dict[str, b2.SpikeMonitor]:
        """Spike monitors for the last training episode only (they cost time every step)."""
        monitors = {
            population: b2.SpikeMonitor(group, name=f"train_{population}_spikes")
            for population, group in circuit.groups.items()
        }
        circuit.net.add(*monitors.values())
        return monitors

    def _record(self, recorder: Recorder, loop: _Training, monitors: dict) -> None:
        if not recorder.enabled:
            return
        recorder.json("closed_loop", self.stats_)
        snapshots = loop.snapshots
        recorder.weight_snapshots(
            "weights",
            episodes=np.array(snapshots["episodes"]),
            actor=np.stack(snapshots["actor"]),  # (snapshot, action neuron, input)
            critic=np.stack(snapshots["critic"]),  # (snapshot, critic neuron, input)
            n_per_action=np.array(self.params.n_per_action),
            n_critic=np.array(self.config_.n_critic),
            n_per_dim=np.array(self.params.n_per_dim),
            dimension_names=np.array(OBSERVATION_NAMES[self.env_id_]),
        )
        if not monitors or not loop.last_trace:
            return
        t0 = loop.last_trace[0][0] - self.params.window_ms / 1000
        trace = np.array(loop.last_trace)
        spikes = {}
        for population in POPULATIONS:
            if population in monitors:
                monitor = monitors[population]
                times = np.array(monitor.t / b2.second) - t0
                n_units = len(self.training_.circuit.groups[population])
                spikes[population] = SpikeTrains(times, np.array(monitor.i[:]), n_units).window(
                    0, trace[-1, 0] - t0
                )
        activity = Activity(
            spikes=spikes,
            signals={
                "value": Signal(trace[:, 0] - t0, trace[:, 1]),
                "td_error": Signal(trace[:, 0] - t0, trace[:, 2]),
            },
            meta={
                "episode": loop.episodes,
                "window_s": self.params.window_ms / 1000,
                "n_per_action": self.params.n_per_action,
                "time_offset_s": t0,
            },
        )
        recorder.activity(activity, probe="last training episode", name="episode")
