"""The distal reward experiment of Izhikevich 2007 (Cereb. Cortex 17:2443, Fig. 1), simplified.

Forty Poisson presynaptic neurons (2 Hz) project all-to-all, through the rule's plastic synapses,
onto ten postsynaptic neurons. A postsynaptic neuron fires as a Poisson process at 1 Hz, plus a
short-lived drive from its inputs: each presynaptic spike through a synapse of weight w adds
0.08 * w / wmax expected postsynaptic spikes (within ~5 ms). That is the role the recurrent
network plays in the paper: a strong synapse makes its postsynaptic neuron fire after its
presynaptic one. One synapse is chosen. Every time its presynaptic neuron fires and its
postsynaptic neuron follows within 10 ms, a reward is delivered 1-3 s later (uniformly at
random): a dopamine pulse of 0.5 that decays with 200 ms, written into the synapses' shared
`reward`. All weights start at wmax / 8. Hundreds of other pairings happen in between, so only
an eligibility trace that outlives the delay can credit the right synapse.

The host sets `reward` every 10 ms from Python (the dopamine value at the middle of that
interval), because the coincidence test needs the spike history. The weights still integrate at
every 1 ms step.
"""

from __future__ import annotations

import brian2 as b2
import numpy as np

from neurosim.plasticity import PlasticityRule
from neurosim.spiking.integration import stored_exact
from neurosim.spiking.protocols.hosting import (
    host_namespace,
    release_previous_networks,
    rule_synapses,
    weight_scale,
)

N_PRE, N_POST = 40, 10
PRE_RATE, POST_RATE = 2 * b2.Hz, 1 * b2.Hz
CAUSAL = 0.08  # expected extra postsynaptic spikes per presynaptic spike at w = wmax
TAU_DRIVE = 5 * b2.ms
COINCIDENCE_S = 0.010
DELAY_S = (1.0, 3.0)
PULSE = 0.5
TAU_DOPAMINE_S = 0.2
DURATION = 400 * b2.second
STEP = 1 * b2.ms
REWARD_EVERY = 10 * b2.ms
RECORD_EVERY = 1 * b2.second


def distal_reward(rule: PlasticityRule, rng: np.random.Generator) -> dict[str, object]:
    """The rewarded synapse's weight against the mean of all others, over `DURATION`."""
    release_previous_networks()
    wmax = weight_scale(host_namespace(rule))
    namespace = host_namespace(
        rule, host_gain=CAUSAL / (wmax * TAU_DRIVE), host_tau_drive=TAU_DRIVE
    )
    neurons = b2.NeuronGroup(
        N_PRE + N_POST,
        "dhost_drive/dt = -host_drive / host_tau_drive : 1\nhost_rate : Hz (constant)",
        threshold="rand() < (host_rate + host_gain * host_drive) * dt",
        reset="",
        method=stored_exact,
        namespace=namespace,
        dt=STEP,
        name="rule_neurons",
    )
    neurons.host_rate_ = np.r_[np.full(N_PRE, float(PRE_RATE)), np.full(N_POST, float(POST_RATE))]
    pre, post = neurons[:N_PRE], neurons[N_PRE:]
    syn = rule_synapses(rule, pre, post, namespace, dt=STEP, on_pre_prefix="host_drive_post += w")
    syn.connect()
    syn.w = wmax / 8
    chosen = int(np.flatnonzero((syn.i[:] == N_PRE - 1) & (syn.j[:] == 0))[0])
    # the chosen pre (0) and post (1) neurons are neighbours in the group: one monitor sees both
    pair = b2.SpikeMonitor(neurons[N_PRE - 1 : N_PRE + 1], name="rule_pair_spikes")
    weights = b2.StateMonitor(syn, "w", record=True, dt=RECORD_EVERY, name="rule_weights")
    dopamine = _Dopamine(rng)

    @b2.network_operation(dt=REWARD_EVERY, when="start", name="rule_dopamine")
    def deliver() -> None:
        syn.reward = dopamine.update(net.t_, pair)

    net = b2.Network(neurons, syn, pair, weights, deliver)
    b2.seed(int(rng.integers(2**31)))
    net.run(DURATION, namespace=namespace)

    w = np.asarray(weights.w)
    others = np.delete(w, chosen, axis=0).mean(axis=0)
    return {
        "t_s": np.asarray(weights.t / b2.second).tolist(),
        "w_rewarded": w[chosen].tolist(),
        "w_others_mean": others.tolist(),
        "w_final_others": np.delete(w[:, -1], chosen).tolist(),
        "ratio": float(w[chosen, -1] / others[-1]) if others[-1] > 0 else None,
        "rewards": len(dopamine.delivered),
        "reward_times_s": [float(t) for t in dopamine.delivered],
        "duration_s": float(DURATION / b2.second),
        "w0": float(w[chosen, 0]),
    }


class _Dopamine:
    """Finds the chosen pair's pre->post coincidences and turns them into delayed pulses."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.seen = 0  # spikes of the pair monitor already examined
        self.last_pre = -np.inf
        self.pending: list[float] = []
        self.delivered: list[float] = []

    def update(self, t: float, pair: b2.SpikeMonitor) -> float:
        """The dopamine level for the next interval; schedules rewards for new coincidences."""
        neuron, times = pair.it_
        for k, spike in zip(neuron[self.seen :], times[self.seen :], strict=True):
            if k == 0:
                self.last_pre = spike
            elif 0 < spike - self.last_pre <= COINCIDENCE_S + 1e-9:
                self.pending.append(spike + self.rng.uniform(*DELAY_S))
        self.seen = len(neuron)
        middle = t + float(REWARD_EVERY) / 2
        self.delivered += [due for due in self.pending if due <= middle]
        self.pending = [due for due in self.pending if due > middle]
        ages = middle - np.asarray(self.delivered)
        recent = ages < 10 * TAU_DOPAMINE_S  # older pulses have decayed below 1e-4
        return float(PULSE * np.exp(-ages[recent] / TAU_DOPAMINE_S).sum())
