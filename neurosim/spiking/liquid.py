"""The liquid of a liquid state machine (Maass, Natschläger & Markram 2002), many copies at once.

A recurrent network of leaky integrate-and-fire neurons, 80 % excitatory and 20 % inhibitory,
wired on a given directed graph, driven by Poisson spike trains whose rates follow the inputs
of a sequence, one rate vector per step of `step_ms`. Its state at the end of each step is the
vector of exponentially filtered spike counts (the readout's low-pass filter of Maass et al.).

Why copies: one short sequence drives a few hundred neurons, far too few to amortise Brian2's
per-time-step overhead. So `copies` independent liquids share one NeuronGroup (block-diagonal
synapses: the same graph, weights and input wiring in every copy), each copy reads its own
sequence, and a batch of sequences costs one `run()`. Between batches `restore()` returns every
copy to the same initial state.

Constants follow Maass et al. 2002, dynamic synapses included: each recurrent synapse is a
Markram-Tsodyks synapse (Markram, Wang & Tsodyks 1998) whose use u and available resources R
evolve with its own spike train, with the paper's mean amplitude A, use U and time constants of
depression D and facilitation F per pair of types (E->E depressing, E->I facilitating), each drawn
per synapse from a Gamma distribution around its mean. A first spike after a long pause has the
amplitude A x U (through the 1 MOhm input resistance, as a jump of a current in mV); later ones
depend on the synapse's recent history: the liquid's memory outlasts its 30 ms membranes.
`weight_scale` multiplies all recurrent amplitudes (swept to draw the fading memory).
"""

from __future__ import annotations

import dataclasses

import brian2 as b2
import numpy as np
from brian2 import ms, mV

from neurosim.spiking.backend import codegen_target
from neurosim.spiking.integration import stored_exact

INHIBITORY_FRACTION = 0.2

LIF = """
dv/dt = (i_background - v + ie - ii) / tau_m : volt (unless refractory)
die/dt = -ie / tau_e : volt
dii/dt = -ii / tau_i : volt
dfeature/dt = -feature / tau_feature : 1
refractory_period : second (constant)
"""
RESET = """
v = v_reset
feature += 1
"""
INPUT = "rate : Hz"

# Markram-Tsodyks synapse: u decays to 0 between spikes and jumps by U (1 - u) at each one, which
# releases u R of the available resources R; R recovers towards 1
DYNAMIC = """
w : volt (constant)
U : 1 (constant)
tau_rec : second (constant)
tau_fac : second (constant)
du/dt = -u / tau_fac : 1 (event-driven)
dR/dt = (1 - R) / tau_rec : 1 (event-driven)
"""
RELEASE = """
u += U * (1 - u)
{current}_post += w * u * R
R -= u * R
"""

# (excitatory source, excitatory target) -> amplitude A (mV across 1 MOhm), use U, depression D
# (s), facilitation F (s), delay (ms) of Maass et al. 2002
SYNAPSES = {
    (True, True): (30.0, 0.5, 1.1, 0.05, 1.5),
    (True, False): (60.0, 0.05, 0.125, 1.2, 0.8),
    (False, True): (19.0, 0.25, 0.7, 0.02, 0.8),
    (False, False): (19.0, 0.32, 0.144, 0.06, 0.8),
}
SPREAD_CV = 0.5  # heterogeneous synapses: A, U, D, F Gamma distributed around their means


@dataclasses.dataclass(frozen=True)
class LiquidConfig:
    """Sizes and constants of one liquid (all copies alike)."""

    n_units: int
    n_channels: int
    copies: int
    weight_scale: float = 16.0
    step_ms: float = 20.0
    dt_ms: float = 1.0
    max_rate_hz: float = 200.0  # input rate of a channel at value 1
    inputs_per_channel: int = 20
    input_fraction: float = 0.3  # of the liquid's neurons each input neuron reaches
    input_weight_mv: float = 2.0
    tau_feature_ms: float = 60.0
    tau_m_ms: float = 30.0
    v_thresh_mv: float = 15.0
    v_reset_mv: float = 13.5
    i_background_mv: float = 13.5
    refractory_exc_ms: float = 3.0
    refractory_inh_ms: float = 2.0
    tau_e_ms: float = 3.0
    tau_i_ms: float = 6.0

    @property
    def n_exc(self) -> int:
        return self.n_units - round(INHIBITORY_FRACTION * self.n_units)


@dataclasses.dataclass(frozen=True)
class Wiring:
    """One copy's connectivity: recurrent edges with signed weights (mV) and delays (ms), unit
    types, and the input neurons' targets. Unit indices are the graph's node numbers."""

    sources: np.ndarray
    targets: np.ndarray
    weights: np.ndarray  # signed amplitude x use (a first spike's jump): negative from inhibitory
    use: np.ndarray
    depression_s: np.ndarray
    facilitation_s: np.ndarray
    delays: np.ndarray
    excitatory: np.ndarray  # bool per unit
    input_sources: np.ndarray  # input neuron (channel * inputs_per_channel + k)
    input_targets: np.ndarray

    def matrix(self, n_units: int) -> np.ndarray:
        """Signed recurrent weights (of a first spike), target x source."""
        w = np.zeros((n_units, n_units))
        np.add.at(w, (self.targets, self.sources), self.weights)
        return w


def draw_wiring(
    config: LiquidConfig, sources: np.ndarray, targets: np.ndarray, rng: np.random.Generator
) -> Wiring:
    """Types, weights and input wiring on a graph's edges, drawn from `rng`."""
    n = config.n_units
    excitatory = np.zeros(n, dtype=bool)
    excitatory[rng.permutation(n)[: config.n_exc]] = True
    pre, post = excitatory[sources], excitatory[targets]
    table = np.array([SYNAPSES[(bool(a), bool(b))] for a, b in zip(pre, post, strict=True)])
    amplitude, use, depression, facilitation, delays = table.reshape(-1, 5).T
    shape = 1 / SPREAD_CV**2

    def spread(mean: np.ndarray) -> np.ndarray:
        return rng.gamma(shape, mean / shape)

    use = np.clip(spread(use), 1e-3, 1.0)
    weights = config.weight_scale * spread(amplitude) * use * np.where(pre, 1.0, -1.0)
    n_inputs = config.n_channels * config.inputs_per_channel
    reach = rng.random((n_inputs, n)) < config.input_fraction
    input_sources, input_targets = np.nonzero(reach)
    return Wiring(
        sources.astype(np.int64),
        targets.astype(np.int64),
        weights,
        use,
        spread(depression),
        spread(facilitation),
        delays,
        excitatory,
        input_sources,
        input_targets,
    )


class Liquid:
    """`copies` liquids in one Brian2 network; `simulate` turns sequences into states.

    Neurons are laid out as [excitatory of every copy | inhibitory of every copy], so each kind
    is one contiguous subgroup and copy 0's neurons of each kind can be monitored on their own.
    """

    def __init__(
        self, config: LiquidConfig, wiring: Wiring, seed: int, codegen: str, name: str = "liquid"
    ):
        self.config, self.wiring, self.codegen, self.name = config, wiring, codegen, name
        c = config
        n_exc, n_inh = c.n_exc, c.n_units - c.n_exc
        rank = np.empty(c.n_units, dtype=np.int64)  # index of each unit among its kind
        rank[wiring.excitatory] = np.arange(n_exc)
        rank[~wiring.excitatory] = np.arange(n_inh)
        copy = np.arange(c.copies)[:, None]
        # global neuron index of (copy, unit)
        self.index = np.where(
            wiring.excitatory, copy * n_exc + rank, c.copies * n_exc + copy * n_inh + rank
        )
        self.namespace = {
            "tau_m": c.tau_m_ms * ms,
            "tau_e": c.tau_e_ms * ms,
            "tau_i": c.tau_i_ms * ms,
            "tau_feature": c.tau_feature_ms * ms,
            "i_background": c.i_background_mv * mV,
            "v_thresh": c.v_thresh_mv * mV,
            "v_reset": c.v_reset_mv * mV,
        }
        rng = np.random.default_rng(seed)
        b2.seed(seed)
        with codegen_target(codegen):
            self._build(rng)
            self.net.store("initial")
        self._x: np.ndarray | None = None
        self._features: np.ndarray | None = None

    def _build(self, rng: np.random.Generator) -> None:
        c, w = self.config, self.wiring
        clock = b2.Clock(dt=c.dt_ms * ms, name=f"{self.name}_clock")
        n_in = c.n_channels * c.inputs_per_channel
        self.inputs = b2.NeuronGroup(
            c.copies * n_in,
            INPUT,
            threshold="rand() < rate * dt",
            clock=clock,
            name=f"{self.name}_inputs",
            namespace=self.namespace,
        )
        self.neurons = b2.NeuronGroup(
            c.copies * c.n_units,
            LIF,
            threshold="v > v_thresh",
            reset=RESET,
            refractory="refractory_period",
            method=stored_exact,
            clock=clock,
            name=f"{self.name}_neurons",
            namespace=self.namespace,
        )
        n_exc_all = c.copies * c.n_exc
        refractory = np.full(c.copies * c.n_units, c.refractory_inh_ms)
        refractory[:n_exc_all] = c.refractory_exc_ms
        self.neurons.refractory_period = refractory * ms
        # Maass et al.: initial potentials uniform between reset and threshold
        self.neurons.v = rng.uniform(c.v_reset_mv, c.v_thresh_mv, c.copies * c.n_units) * mV
        offsets = np.arange(c.copies)[:, None]
        feed = b2.Synapses(
            self.inputs,
            self.neurons,
            "w : volt (constant)",
            on_pre="ie_post += w",
            clock=clock,
            name=f"{self.name}_feed",
            namespace=self.namespace,
        )
        feed.connect(
            i=(offsets * n_in + w.input_sources).ravel(),
            j=self.index[:, w.input_targets].ravel(),
        )
        feed.w = c.input_weight_mv * mV
        objects: list[object] = [self.inputs, self.neurons, feed]
        for kind, current in (("exc", "ie"), ("inh", "ii")):
            keep = w.excitatory[w.sources] == (kind == "exc")
            if not keep.any():
                continue
            syn = b2.Synapses(
                self.neurons,
                self.neurons,
                DYNAMIC,
                on_pre=RELEASE.format(current=current),
                clock=clock,
                name=f"{self.name}_{kind}",
                namespace=self.namespace,
            )
            syn.connect(
                i=self.index[:, w.sources[keep]].ravel(), j=self.index[:, w.targets[keep]].ravel()
            )
            syn.w = np.tile(np.abs(w.weights[keep]) / w.use[keep], c.copies) * mV
            syn.U = np.tile(w.use[keep], c.copies)
            syn.tau_rec = np.tile(w.depression_s[keep], c.copies) * b2.second
            syn.tau_fac = np.tile(w.facilitation_s[keep], c.copies) * b2.second
            syn.R = 1
            syn.delay = np.tile(w.delays[keep], c.copies) * ms
            objects.append(syn)
        n_inh = c.n_units - c.n_exc
        self.monitors = {
            "exc": b2.SpikeMonitor(self.neurons[: c.n_exc], name=f"{self.name}_exc_spikes"),
            "inh": b2.SpikeMonitor(
                self.neurons[n_exc_all : n_exc_all + n_inh], name=f"{self.name}_inh_spikes"
            ),
        }
        for monitor in self.monitors.values():
            monitor.active = False
        step = b2.NetworkOperation(
            self._step, dt=c.step_ms * ms, when="start", name=f"{self.name}_step"
        )
        self.net = b2.Network(*objects, *self.monitors.values(), step, name=self.name)

    def _step(self) -> None:
        """At the start of sequence step k: keep the state after step k - 1, set step k's rates."""
        k = round(float(self.net.t / ms) / self.config.step_ms)
        if k > 0:
            self._keep(k - 1)
        if k < self._x.shape[1]:
            rates = np.repeat(self._x[:, k, :], self.config.inputs_per_channel, axis=1)
            self.inputs.rate_[:] = rates.ravel() * self.config.max_rate_hz

    def _keep(self, step: int) -> None:
        if self._every_step:
            self._features[:, step] = self.neurons.feature_[self.index]
        elif step == self._x.shape[1] - 1:
            self._features[:] = self.neurons.feature_[self.index]

    def simulate(
        self, x: np.ndarray, every_step: bool, raster: bool = False
    ) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]] | None]:
        """States of sequences x (n, steps, channels): (n, steps, units) or (n, units) after
        the last step; with `raster`, the spikes (times s, units) of sequence 0 by kind."""
        c = self.config
        n, steps = x.shape[:2]
        out = np.empty((n, steps, c.n_units) if every_step else (n, c.n_units), np.float32)
        spikes = None
        with codegen_target(self.codegen):
            for start in range(0, n, c.copies):
                batch = np.zeros((c.copies, steps, c.n_channels))
                batch[: min(c.copies, n - start)] = x[start : start + c.copies]
                self.net.restore("initial")
                for monitor in self.monitors.values():
                    monitor.active = raster and start == 0
                self._x, self._every_step = batch, every_step
                self._features = np.empty(
                    (c.copies, steps, c.n_units) if every_step else (c.copies, c.n_units)
                )
                self.net.run(steps * c.step_ms * ms, namespace=self.namespace)
                self._keep(steps - 1)
                out[start : start + c.copies] = self._features[: n - start]
                if raster and start == 0:
                    spikes = {
                        kind: (np.array(m.t / b2.second), np.array(m.i))
                        for kind, m in self.monitors.items()
                    }
        return out, spikes
