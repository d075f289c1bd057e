"""`reservoir`: a liquid state machine (Maass, Natschläger & Markram 2002) on sequence tasks.

A fixed spiking liquid (`spiking/liquid.py`) wired on a networkx graph (by default the
distance-dependent column of Maass et al.) reads each sequence step as Poisson rates; a linear
readout of its filtered spike counts at the end of each step is the only thing trained. It is
the spiking counterpart of `esn`: the same readout, the same graph and memory-capacity records.

The liquid is noisy (Poisson inputs), so a sequence's state is simulated once per fit: the
states of train, validation and test sequences are kept by content and reused by `evaluate`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Literal

import numpy as np

from neurosim.activity import Activity, SpikeTrains
from neurosim.analysis.memory_capacity import MemoryCapacity, measure
from neurosim.families.sequences import N_PROBE_SEQUENCES
from neurosim.graphs import adjacency, make_graph
from neurosim.learner import Recorder
from neurosim.registry import LEARNERS
from neurosim.reservoirs import ReservoirLearner, ReservoirParams, graph_record
from neurosim.spiking.liquid import Liquid, LiquidConfig, draw_wiring
from neurosim.tasks.sequences import SequenceTask


@dataclasses.dataclass
class ReservoirLSMParams(ReservoirParams):
    graph: Literal["erdos-renyi", "watts-strogatz", "distance"] = "distance"
    weight_scale: float = 16.0  # multiplies every recurrent amplitude; MC peaks near 16
    step_ms: float = 20.0  # simulated time per sequence step
    dt_ms: float = 1.0  # exact between spikes; 0.5 ms: 1.4x the time, the same memory capacity
    max_rate_hz: float = 200.0  # Poisson rate of an input neuron at input value 1
    inputs_per_channel: int = 20  # Poisson neurons per input channel: fewer are noisier
    input_fraction: float = 0.3
    input_weight_mv: float = 2.0
    tau_feature_ms: float = 60.0  # low-pass filter of the spike counts the readout sees
    batch_size: int = 500  # sequences simulated at once, as copies of the liquid
    mc_lags: int = 20
    mc_copies: int = 100
    mc_length: int = 60
    codegen: Literal["cython", "numpy"] = "cython"  # numpy: tiny test networks, no compiling

    def checks(self) -> list[tuple[str, bool, str]]:
        return super().checks() + [
            ("weight_scale", self.weight_scale >= 0, "must be >= 0"),
            ("dt_ms", self.dt_ms > 0, "must be > 0"),
            ("step_ms", self.step_ms >= self.dt_ms, "must be >= dt_ms"),
            ("max_rate_hz", self.max_rate_hz > 0, "must be > 0"),
            ("inputs_per_channel", self.inputs_per_channel >= 1, "must be >= 1"),
            ("input_fraction", 0 < self.input_fraction <= 1, "must lie in (0, 1]"),
            ("input_weight_mv", self.input_weight_mv > 0, "must be > 0"),
            ("tau_feature_ms", self.tau_feature_ms > 0, "must be > 0"),
            ("batch_size", self.batch_size >= 1, "must be >= 1"),
        ]


@LEARNERS.register("reservoir")
class ReservoirLearnerLSM(ReservoirLearner):
    """A liquid state machine: Brian2 LIF liquid, linear readout."""

    name = "reservoir"
    Params = ReservoirLSMParams

    def _config(self, n_channels: int, copies: int) -> LiquidConfig:
        p = self.params
        return LiquidConfig(
            n_units=p.n_units,
            n_channels=n_channels,
            copies=copies,
            weight_scale=p.weight_scale,
            step_ms=p.step_ms,
            dt_ms=p.dt_ms,
            max_rate_hz=p.max_rate_hz,
            inputs_per_channel=p.inputs_per_channel,
            input_fraction=p.input_fraction,
            input_weight_mv=p.input_weight_mv,
            tau_feature_ms=p.tau_feature_ms,
        )

    def _build(self, task: SequenceTask, n_train: int) -> None:
        """Draw graph and wiring, then simulate test, training and validation sequences (test
        first, so that the first probe sequence is copy 0 of the first batch: its raster)."""
        p = self.params
        rng = np.random.default_rng(task.seed)
        self.graph_ = make_graph(
            p.graph,
            p.n_units,
            int(rng.integers(2**31)),
            mean_degree=p.mean_degree,
            rewire=p.rewire,
            distance_lambda=p.distance_lambda,
            distance_c=p.distance_c,
        )
        sources, targets = adjacency(self.graph_)
        self.seeds_ = rng.integers(2**31, size=3)  # wiring, liquid, memory probe
        wiring_rng = np.random.default_rng(self.seeds_[0])
        self.wiring_ = draw_wiring(self._config(task.n_inputs, 1), sources, targets, wiring_rng)
        rows = [task.split("test").x, task.split("train").x[:n_train]]
        if "val" in task.splits:
            rows.append(task.split("val").x)
        x = np.concatenate(rows)
        copies = min(p.batch_size, len(x))
        self.liquid_ = Liquid(
            self._config(task.n_inputs, copies), self.wiring_, int(self.seeds_[1]), p.codegen
        )
        self.states_: dict[bytes, np.ndarray] = {}
        states, self.raster_ = self.liquid_.simulate(x, task.per_step, raster=True)
        self.states_.update(zip(_keys(x), states, strict=True))

    def states(self, task: SequenceTask, x: np.ndarray) -> np.ndarray:
        keys = _keys(x)
        missing = [i for i, key in enumerate(keys) if key not in self.states_]
        if missing:
            simulated, _ = self.liquid_.simulate(x[missing], task.per_step)
            self.states_.update(zip([keys[i] for i in missing], simulated, strict=True))
        return np.stack([self.states_[key] for key in keys])

    def cost(self, task: SequenceTask) -> dict:
        """Synaptic events of the one sequence whose spikes the liquid keeps (the first test
        sequence, its raster): each liquid spike counts its unit's recurrent out-degree, each
        input spike the liquid neurons its input neuron reaches, input spikes expected from the
        Poisson rates. Training runs every sequence through the same liquid once, so a
        training sequence is taken to cost the same; the readout's fit is not counted."""
        p, wiring = self.params, self.wiring_
        out_degree = np.bincount(wiring.sources, minlength=p.n_units)
        units = {
            "exc": np.flatnonzero(wiring.excitatory),
            "inh": np.flatnonzero(~wiring.excitatory),
        }
        spikes = {kind: len(self.raster_[kind][1]) for kind in units}
        recurrent = sum(
            int(out_degree[units[kind][i]].sum()) for kind, (_, i) in self.raster_.items()
        )
        n_inputs = task.n_inputs * p.inputs_per_channel
        reach = np.bincount(wiring.input_sources, minlength=n_inputs).reshape(task.n_inputs, -1)
        rates = task.split("test").x[0] * p.max_rate_hz * p.step_ms / 1000  # (steps, channels)
        inputs = float((rates * reach.sum(axis=1)).sum())
        events = inputs + recurrent
        return {
            "op": "synaptic event",
            "train_ops_per_sample": events,
            "inference_ops_per_sample": events,
            "how": f"presynaptic spikes x synapses each reaches, on the first test sequence (the"
            f" only one whose spikes are kept, so a sample of one): {spikes['exc']} excitatory"
            f" and {spikes['inh']} inhibitory spikes x their unit's recurrent out-degree"
            f" ({recurrent} events), input spikes expected from the Poisson rates x the liquid"
            f" neurons each input neuron reaches ({inputs:.0f}); a training sequence runs"
            " through the same liquid once, so it is taken to cost the same; the readout's fit"
            " (MACs), the validation passes and the memory-capacity probe are not counted",
        }

    def graph_record(self) -> dict[str, object]:
        radius = float(np.abs(np.linalg.eigvals(self.wiring_.matrix(self.params.n_units))).max())
        return graph_record(self.params.graph, self.graph_, radius)

    def memory_capacity(self) -> MemoryCapacity:
        """MC of this liquid's graph and weights read through one input channel of its own."""
        p = self.params
        seed = int(self.seeds_[2])
        wiring = draw_wiring(
            self._config(1, 1),
            self.wiring_.sources,
            self.wiring_.targets,
            np.random.default_rng(self.seeds_[0]),
        )
        liquid = Liquid(self._config(1, p.mc_copies), wiring, seed, p.codegen, name="probe")
        return measure(
            lambda u: liquid.simulate(u[:, :, None], every_step=True)[0],
            copies=p.mc_copies,
            length=p.mc_length,
            lags=p.mc_lags,
            seed=seed,
        )

    def record_activity(self, task: SequenceTask, recorder: Recorder) -> None:
        p = self.params
        n_exc = self.liquid_.config.n_exc
        sizes = {"exc": n_exc, "inh": p.n_units - n_exc}
        activity = Activity(
            spikes={
                kind: SpikeTrains(times, units, sizes[kind])
                for kind, (times, units) in self.raster_.items()
            },
            meta={"step_ms": p.step_ms, "steps": task.steps, "sequence": 0},
        )
        probe = task.probe_set(N_PROBE_SEQUENCES)
        recorder.activity(activity, probe=probe.name, name="raster")


def _keys(x: np.ndarray) -> list[bytes]:
    """One key per sequence, from its content."""
    rows = np.ascontiguousarray(x, dtype=np.float32)
    return [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in rows]
