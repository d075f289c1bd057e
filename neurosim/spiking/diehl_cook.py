"""The Diehl & Cook (2015) circuit, compiled once and driven by an in-network controller.

Diehl P.U. & Cook M. (2015) "Unsupervised learning of digit recognition using spike-timing-
dependent plasticity", Front. Comput. Neurosci. 9:99.

Poisson inputs (one per pixel) project with plastic synapses onto N conductance-based LIF
excitatory neurons with an adaptive threshold; each excitatory neuron drives one inhibitory neuron
that inhibits all the other excitatory ones (soft winner-take-all).

Why a controller group: the textbook loop calls `run()` once per image, and every `run()` costs
150-300 ms of code preparation. Here a one-neuron `ctrl` group runs the presentation schedule as a
state machine inside one `run()`: it picks the image (as a row of a 2-D TimedArray), switches input
on for `presentation` and off for `rest`, counts output spikes, re-presents a silent image at a
higher rate, and gates plasticity. The whole schedule therefore compiles to one C++ binary
(cpp_standalone), and seeds, weights and images reach it as run arguments, so one compiled network
serves every seed of a task.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path

import brian2 as b2
import numpy as np
from brian2 import Hz, ms, mV

from neurosim.errors import RuleError, UserError
from neurosim.plasticity import PlasticityRule
from neurosim.spiking.backend import (
    SEED_FROM_ENVIRONMENT,
    build_lock,
    cache_root,
    private_copy,
    standalone_device,
)
from neurosim.spiking.encoding import RATE_EQUATION
from neurosim.spiking.rules import rule_namespace, synapse_model

EXCITATORY = """
dv/dt = ((v_rest_e - v) + ge * (E_exc - v) + gi * (E_inh_e - v)) / tau_e : volt (unless refractory)
dge/dt = -ge / tau_ge : 1
dgi/dt = -gi / tau_gi : 1
theta : volt
wsum : 1
plastic : 1
resting : 1
plastic_link : 1 (linked)
resting_link : 1 (linked)
"""

INHIBITORY = """
dv/dt = ((v_rest_i - v) + ge * (E_exc - v) + gi * (E_inh_i - v)) / tau_i : volt (unless refractory)
dge/dt = -ge / tau_ge : 1
dgi/dt = -gi / tau_gi : 1
"""

INPUT = f"""
row : 1 (linked)
intensity : 1 (linked)
presenting : 1 (linked)
{RATE_EQUATION}
"""

CONTROLLER = """
row : 1
steps : 1
presenting : 1
intensity : 1
count : 1
advance : 1
accepted : 1
accepted_row : 1
accepted_intensity : 1
accepted_count : 1
n_plastic : 1
n_rows : 1
active : 1
plastic : 1
resting : 1
"""

# One step of the schedule, written as arithmetic because Brian2 statements have no `if`.
CONTROLLER_STEP = """
steps += 1
end_present = presenting * int(steps >= present_steps)
end_rest = (1 - presenting) * int(steps >= rest_steps)
retry = end_present * int(count < min_spikes) * int(intensity < max_intensity)
accept = (end_present - retry) * active
accepted = accept
accepted_row += accept * (row - accepted_row)
accepted_intensity += accept * (intensity - accepted_intensity)
accepted_count += accept * (count - accepted_count)
advance += accept
intensity += retry + accept * (start_intensity - intensity)
row += end_rest * advance
advance *= 1 - end_rest
count *= 1 - end_rest
steps *= 1 - end_present - end_rest
presenting += end_rest - end_present
active = int(row < n_rows)
plastic = int(row < n_plastic) * active
resting = 1 - presenting
"""

INITIAL_THETA_MV = 20.0  # Diehl & Cook start theta at the threshold offset

# Per-neuron L1 normalisation of incoming weights, applied while resting between training
# images. It is idempotent (wsum equals the target afterwards), so running it several times in
# one rest is harmless and it needs no edge detection.
NORMALISE_WEIGHTS = "w = w * (1 + plastic_post * resting_post * (weight_norm / wsum_post - 1))"
RESET_WSUM = "wsum += plastic * resting * (weight_norm - wsum)"


@dataclasses.dataclass(frozen=True)
class CircuitConfig:
    """Everything that changes the generated code (and so the compiled binary)."""

    n_inputs: int
    n_neurons: int
    n_rows: int
    duration_s: float
    dt_ms: float = 0.5
    presentation_ms: float = 350.0
    rest_ms: float = 150.0
    max_rate_hz: float = 100.0
    start_intensity: float = 2.0
    max_intensity: float = 10.0
    min_spikes: int = 5
    input_gain: float = 2.0
    theta_plus_mv: float = 0.1
    weight_norm: float = 12.0
    w_exc_inh: float = 10.4
    w_inh_exc: float = 17.0
    normalise_every_ms: float = 25.0
    rate_trace_ms: float = 20.0
    rate_rule_dt_ms: float = 5.0

    def key(self, rule: PlasticityRule) -> str:
        payload = json.dumps([dataclasses.asdict(self), rule.fingerprint(), b2.__version__])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclasses.dataclass
class SimulationResult:
    """What one run of the binary produced, units stripped (seconds, mV, plain weights)."""

    exc_times: np.ndarray
    exc_units: np.ndarray
    inh_times: np.ndarray
    inh_units: np.ndarray
    accepted_times: np.ndarray  # end of the accepted presentation of each row
    accepted_rows: np.ndarray
    accepted_intensity: np.ndarray
    weights: np.ndarray  # (n_neurons, n_inputs)
    theta_mv: np.ndarray
    wall_time_s: float
    compile_time_s: float
    rounds: int = 1  # runs of the binary it took (more when re-presentations overran one)

    def then(self, later: SimulationResult, offset_s: float, row_offset: int) -> SimulationResult:
        """This result followed by one that started `offset_s` later at row `row_offset`."""
        return SimulationResult(
            exc_times=np.concatenate([self.exc_times, later.exc_times + offset_s]),
            exc_units=np.concatenate([self.exc_units, later.exc_units]),
            inh_times=np.concatenate([self.inh_times, later.inh_times + offset_s]),
            inh_units=np.concatenate([self.inh_units, later.inh_units]),
            accepted_times=np.concatenate([self.accepted_times, later.accepted_times + offset_s]),
            accepted_rows=np.concatenate([self.accepted_rows, later.accepted_rows + row_offset]),
            accepted_intensity=np.concatenate([self.accepted_intensity, later.accepted_intensity]),
            weights=later.weights,
            theta_mv=later.theta_mv,
            wall_time_s=self.wall_time_s + later.wall_time_s,
            compile_time_s=self.compile_time_s + later.compile_time_s,
            rounds=self.rounds + later.rounds,
        )


def _constants(config: CircuitConfig) -> dict[str, object]:
    return {
        "v_rest_e": -65 * mV,
        "v_reset_e": -65 * mV,
        "v_thresh_e": -52 * mV,
        "theta_offset": 20 * mV,
        "tau_e": 100 * ms,
        "E_exc": 0 * mV,
        "E_inh_e": -100 * mV,
        "v_rest_i": -60 * mV,
        "v_reset_i": -45 * mV,
        "v_thresh_i": -40 * mV,
        "tau_i": 10 * ms,
        "E_inh_i": -85 * mV,
        "tau_ge": 1 * ms,
        "tau_gi": 2 * ms,
        "theta_plus": config.theta_plus_mv * mV,
        "max_rate": config.max_rate_hz * Hz,
        "present_steps": round(config.presentation_ms / config.dt_ms),
        "rest_steps": round(config.rest_ms / config.dt_ms),
        "min_spikes": config.min_spikes,
        "max_intensity": config.max_intensity,
        "start_intensity": config.start_intensity,
        "input_gain": config.input_gain,
        "weight_norm": config.weight_norm,
        "w_exc_inh": config.w_exc_inh,
        "w_inh_exc": config.w_inh_exc,
        "tau_rate": config.rate_trace_ms * ms,
        "rate_rule_dt": config.rate_rule_dt_ms * ms,
    }


# Names the circuit itself uses in the synapses' code: a rule must not reuse them.
_HOST_NAMES = {"w_before", "w_step", "plastic_post", "resting_post", "wsum_post"}


def check_rule_fits(rule: PlasticityRule) -> None:
    """A rule hosted here must not redefine the circuit's constants or variables."""
    names = set(rule.parameters)
    text = " ".join((rule.model, rule.on_pre, rule.on_post))
    used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    constants = set(_constants(CircuitConfig(n_inputs=1, n_neurons=1, n_rows=1, duration_s=1)))
    for name in sorted(names & constants):
        raise RuleError(
            f"the parameter '{name}' would replace the Diehl & Cook circuit's own constant",
            source=rule.source,
            field=f"parameters.{name}",
        )
    for name in sorted(used & _HOST_NAMES):
        raise RuleError(f"'{name}' is reserved by the circuit hosting the rule", source=rule.source)


def _namespace(config: CircuitConfig, rule: PlasticityRule) -> dict[str, object]:
    return {**_constants(config), **rule_namespace(rule)}


# Rate rules read presynaptic and postsynaptic activity as spike traces (x, y): exponentially
# filtered spike trains whose mean is rate * rate_trace_ms.
RATE_TRACE = "\nd{var}/dt = -{var} / tau_rate : 1"
_WEIGHT_ODE = re.compile(r"^(\s*dw\s*/\s*dt\s*=\s*)(.+?)(\s*:[^:]*)$", flags=re.MULTILINE)


def _rate_rule_step(model: str) -> tuple[str, str]:
    """Split a rate rule into its synapse model (w becomes a plain variable) and one explicit
    Euler step of its weight ODE, gated by the controller and tracked in wsum.

    Why not leave the ODE to Brian2: a summed variable keeping wsum would cost a pass over all
    synapses at every 0.5 ms step (4x the whole simulation), and Brian2's exact solution of
    Oja's rule divides by the activity, NaN for a silent neuron.
    """
    match = _WEIGHT_ODE.search(model)
    if match is None:
        raise ValueError("a rate rule needs a 'dw/dt = ...' equation")
    rest = _WEIGHT_ODE.sub("w : 1", model.strip(), count=1)
    step = (
        f"w_step = plastic_post * ({match.group(2)}) * rate_rule_dt\n"
        "w += w_step\nwsum_post += w_step"
    )
    return rest, step


def _gated(statements: str) -> str:
    """Wrap a rule's statements so plasticity obeys the controller and wsum tracks the weights."""
    return (
        "w_before = w\n"
        + statements.strip()
        + "\nw = w_before + plastic_post * (w - w_before)\nwsum_post += w - w_before\n"
    )


class DiehlCookCircuit:
    """Builds (or reuses) the compiled network and runs it for one seed."""

    def __init__(self, config: CircuitConfig, rule: PlasticityRule):
        self.config = config
        self.rule = rule
        self.directory = cache_root() / "standalone" / f"diehl-cook-{config.key(rule)}"

    def present(
        self,
        images: np.ndarray,
        initial_weights: np.ndarray,
        n_plastic: int,
        seed: int,
        initial_theta_mv: np.ndarray | None = None,
    ) -> SimulationResult:
        """Present every row of `images` in order, the first `n_plastic` with plasticity on.

        Thresholds start at Diehl & Cook's initial value unless `initial_theta_mv` gives learned
        ones (a replay of a trained network). `images` may have fewer rows than the compiled
        schedule, so replays of different lengths share one binary. The compiled schedule has a
        fixed duration; when re-presentations of silent images overrun it, the same binary
        continues from the rows left, with the learned weights and thresholds, instead of
        compiling a longer schedule.
        """
        config = self.config
        n_rows = len(images)
        if images.ndim != 2 or images.shape[1] != config.n_inputs or n_rows > config.n_rows:
            raise ValueError(f"images must have at most {config.n_rows} rows of {config.n_inputs}")
        with standalone_device(self.directory) as device, contextlib.ExitStack() as stack:
            with build_lock(self.directory):
                objects = self._build(device)
                start = time.perf_counter()
                device.build(directory=str(self.directory), compile=True, run=False, clean=False)
                build_time = time.perf_counter() - start
                run_dir = stack.enter_context(private_copy(self.directory, device))
            weights = initial_weights
            theta = (
                np.full(len(initial_weights), INITIAL_THETA_MV)
                if initial_theta_mv is None
                else initial_theta_mv
            )
            result: SimulationResult | None = None
            done = 0
            while done < n_rows:
                rows = np.zeros((config.n_rows, config.n_inputs))
                rows[: n_rows - done] = images[done:]
                run_args = {
                    objects["images"]: rows,
                    objects["syn"].w: weights.ravel().astype(np.float64),
                    objects["exc"].wsum: weights.sum(axis=1).astype(np.float64),
                    objects["exc"].theta: np.asarray(theta, dtype=np.float64) * mV,
                    objects["ctrl"].n_plastic: float(max(0, n_plastic - done)),
                    objects["ctrl"].n_rows: float(n_rows - done),
                }
                part = self._run_binary(device, objects, run_args, seed, run_dir)
                if len(part.accepted_rows) == 0:
                    raise UserError(
                        "learner 'stdp-wta': the network stays silent even at the highest input "
                        "rate, so no image can be presented; raise 'input_gain' or 'max_rate_hz'"
                    )
                offset = (result.rounds if result else 0) * config.duration_s
                result = part if result is None else result.then(part, offset, done)
                done += len(part.accepted_rows)
                weights, theta = part.weights, part.theta_mv
                seed += 1  # a fresh random stream for the continuation
        result.compile_time_s = build_time
        return result

    def _run_binary(
        self, device: object, objects: dict, run_args: dict, seed: int, run_dir: Path
    ) -> SimulationResult:
        """One run of the compiled binary with these initial values, in its own results folder."""
        results = f"results-{uuid.uuid4().hex[:12]}"
        os.environ["NEUROSIM_BRIAN_SEED"] = str(int(seed) % (2**32))
        start = time.perf_counter()
        device.run(
            directory=str(run_dir),
            results_directory=results,
            with_output=False,
            run_args=run_args,
        )
        wall = time.perf_counter() - start
        try:
            return self._collect(objects, wall, 0.0)
        finally:
            shutil.rmtree(run_dir / results, ignore_errors=True)

    def _build(self, device: object) -> dict[str, object]:
        # Objects of an earlier build in this process must be gone, or Brian2 suffixes the new
        # names ("_1") and the changed code is compiled again.
        gc.collect()
        config, rule = self.config, self.rule
        b2.defaultclock.dt = config.dt_ms * ms
        namespace = _namespace(config, rule)
        images = b2.TimedArray(np.zeros((config.n_rows, config.n_inputs)), dt=1 * ms, name="images")
        namespace["images"] = images

        ctrl = b2.NeuronGroup(
            1, CONTROLLER, events={"accepted": "accepted > 0.5"}, name="ctrl", namespace=namespace
        )
        ctrl.intensity = config.start_intensity
        ctrl.run_regularly(CONTROLLER_STEP, when="end", order=0, name="ctrl_step")
        rate_rule = rule.kind == "rate"
        inputs = b2.NeuronGroup(
            config.n_inputs,
            INPUT + (RATE_TRACE.format(var="x") if rate_rule else ""),
            threshold="rand() < rate * dt",
            reset="x += 1" if rate_rule else None,
            name="inputs",
            namespace=namespace,
        )
        to_ctrl = np.zeros(config.n_inputs, dtype=int)
        inputs.row = b2.linked_var(ctrl, "row", index=to_ctrl)
        inputs.intensity = b2.linked_var(ctrl, "intensity", index=to_ctrl)
        inputs.presenting = b2.linked_var(ctrl, "presenting", index=to_ctrl)

        exc = b2.NeuronGroup(
            config.n_neurons,
            EXCITATORY + (RATE_TRACE.format(var="y") if rate_rule else ""),
            threshold="v > theta - theta_offset + v_thresh_e",
            reset="v = v_reset_e\ntheta += theta_plus * plastic"
            + ("\ny += 1" if rate_rule else ""),
            refractory=5 * ms,
            method="euler",
            name="exc",
            namespace=namespace,
        )
        to_ctrl = np.zeros(config.n_neurons, dtype=int)
        exc.plastic_link = b2.linked_var(ctrl, "plastic", index=to_ctrl)
        exc.resting_link = b2.linked_var(ctrl, "resting", index=to_ctrl)
        exc.run_regularly(
            "plastic = plastic_link\nresting = resting_link",
            when="end",
            order=1,
            name="exc_gates",
        )
        exc.v = -105 * mV
        exc.theta = INITIAL_THETA_MV * mV
        inh = b2.NeuronGroup(
            config.n_neurons,
            INHIBITORY,
            threshold="v > v_thresh_i",
            reset="v = v_reset_i",
            refractory=2 * ms,
            method="euler",
            name="inh",
            namespace=namespace,
        )
        inh.v = -100 * mV

        if rate_rule:
            model, rate_step = _rate_rule_step(synapse_model(rule))
            on_pre = on_post = ""
        else:
            model, on_pre, on_post = synapse_model(rule), _gated(rule.on_pre), _gated(rule.on_post)
        syn = b2.Synapses(
            inputs,
            exc,
            model,
            on_pre="ge_post += input_gain * w\n" + on_pre,
            on_post=on_post or None,
            # the rule's other clock-driven variables (BCM's threshold) on the rule's clock
            method="euler" if rate_rule else None,
            dt=config.rate_rule_dt_ms * ms if rate_rule else None,
            name="syn",
            namespace=namespace,
        )
        pre, post = np.meshgrid(np.arange(config.n_inputs), np.arange(config.n_neurons))
        syn.connect(i=pre.ravel(), j=post.ravel())  # row-major (post, pre): reshape to (N, inputs)
        if rate_rule:
            syn.run_regularly(rate_step, dt=config.rate_rule_dt_ms * ms, name="syn_rate_rule")
        every = config.normalise_every_ms * ms
        syn.run_regularly(NORMALISE_WEIGHTS, dt=every, when="end", order=2, name="syn_normalise")
        exc.run_regularly(RESET_WSUM, dt=every, when="end", order=3, name="exc_wsum")

        exc_inh = b2.Synapses(
            exc, inh, on_pre="ge_post += w_exc_inh", name="exc_inh", namespace=namespace
        )
        exc_inh.connect(j="i")
        inh_exc = b2.Synapses(
            inh, exc, on_pre="gi_post += w_inh_exc", name="inh_exc", namespace=namespace
        )
        inh_exc.connect(condition="i != j")
        counter = b2.Synapses(
            exc, ctrl, on_pre="count_post += 1", name="exc_count", namespace=namespace
        )
        counter.connect()

        exc_spikes = b2.SpikeMonitor(exc, name="exc_spikes")
        inh_spikes = b2.SpikeMonitor(inh, name="inh_spikes")
        accepted = b2.EventMonitor(
            ctrl,
            "accepted",
            variables=["accepted_row", "accepted_intensity", "accepted_count"],
            name="accepted_events",
        )
        net = b2.Network(
            ctrl,
            inputs,
            exc,
            inh,
            syn,
            exc_inh,
            inh_exc,
            counter,
            exc_spikes,
            inh_spikes,
            accepted,
            name="diehl_cook",
        )
        device.insert_code("main", SEED_FROM_ENVIRONMENT)
        net.run(config.duration_s * b2.second, namespace=namespace)
        return {
            "images": images,
            "ctrl": ctrl,
            "exc": exc,
            "syn": syn,
            "exc_spikes": exc_spikes,
            "inh_spikes": inh_spikes,
            "accepted": accepted,
        }

    def _collect(self, objects: dict, wall: float, compile_time: float) -> SimulationResult:
        config = self.config
        exc_spikes, inh_spikes = objects["exc_spikes"], objects["inh_spikes"]
        accepted = objects["accepted"]
        weights = np.array(objects["syn"].w[:]).reshape(config.n_neurons, config.n_inputs)
        return SimulationResult(
            exc_times=np.array(exc_spikes.t / b2.second),
            exc_units=np.array(exc_spikes.i[:]),
            inh_times=np.array(inh_spikes.t / b2.second),
            inh_units=np.array(inh_spikes.i[:]),
            accepted_times=np.array(accepted.t / b2.second),
            accepted_rows=np.rint(np.array(accepted.accepted_row[:])).astype(int),
            accepted_intensity=np.array(accepted.accepted_intensity[:]),
            weights=weights,
            theta_mv=np.array(objects["exc"].theta / mV),
            wall_time_s=wall,
            compile_time_s=compile_time,
        )
