"""How a spike rule's changes depend on the weight: windows at three weights, and the weight
distribution the rule settles to under uncorrelated input.

The window at w0 = 0.1, 0.5 and 0.9 of wmax shows the weight dependence directly (a soft-bound
rule potentiates less and depresses more as w grows). The stationary distribution is its
consequence at the population level: additive STDP splits the weights of a neuron's inputs
towards the two bounds (Song, Miller & Abbott 2000), multiplicative STDP gathers them around one
value (van Rossum, Bi & Turrigiano 2000).
"""

from __future__ import annotations

import json
import time

import brian2 as b2
import numpy as np

from neurosim.cache import cache_root
from neurosim.plasticity import PlasticityRule
from neurosim.spiking.backend import codegen_target
from neurosim.spiking.protocols import stdp
from neurosim.spiking.protocols.hosting import (
    host_namespace,
    release_previous_networks,
    rule_synapses,
    weight_scale,
)

W0_FRACTIONS = (0.1, 0.5, 0.9)
VERSION = 1  # part of the summary's cache key: bump it when a protocol here changes its numbers
# Stationary protocol. Song et al. drive a conductance-based integrate-and-fire neuron with 1000
# excitatory inputs at 10-40 Hz (peak conductance 0.015 of the leak) and 200 inhibitory ones at
# 10 Hz; with the rules' own step (0.005 of wmax) that takes many minutes of simulated time.
# Here 200 inputs at 30 Hz with 0.025 carry the drive of Song's 10 Hz case (1000 x 10 x 0.015 =
# 200 x 30 x 0.025 per second): the neuron is driven by fluctuations, as there. Each input has
# a larger causal share of the output spikes (so the competition that splits additive weights
# is faster) and sees three times the pairings per second, so the distribution settles within
# 1-3 simulated minutes: 5-15 s of wall time with Cython (measured on 2 cores).
N_SYNAPSES = 200
INPUT_RATE_HZ = 30.0
G_MAX = 0.025  # peak excitatory conductance of a synapse at wmax, in units of the leak
CHUNK_S = 10.0  # the histogram is compared between consecutive chunks
MAX_S = 180.0
# Settled: the 10-bin histogram moved by less than this total variation over the last
# SETTLED_CHUNKS chunks (20 s: a 10 s span lets a slow drift pass as sampling noise).
SETTLED_TV = 0.05
SETTLED_CHUNKS = 2
STEP = 0.5 * b2.ms  # spikes on a 0.5 ms grid; the traces are exact (event-driven)
NEURON = """
dv/dt = (host_v_rest - v + ge * (host_e_ex - v) + gi * (host_e_in - v)) / host_tau_m : volt
dge/dt = -ge / host_tau_syn : 1
dgi/dt = -gi / host_tau_syn : 1
"""
# The verdict: Sarle's bimodality coefficient above 5/9 marks a bimodal distribution, but 5/9 is
# exactly the uniform start's value, so a rule that barely moves the weights would flip a coin;
# BIMODAL_ABOVE adds a margin. And a coefficient near 1 also comes from all weights on one bound
# but a handful (a two-point distribution with a tiny second point, or a hair's spread), so each
# side of the mean must hold at least MINOR_SHARE of the weights and the weights must spread
# over at least MIN_SPREAD (standard deviation, in units of wmax).
BIMODAL_ABOVE = 0.65
MINOR_SHARE = 0.05
MIN_SPREAD = 0.1
MEASURE = (
    "Sarle's bimodality coefficient (skew^2 + 1) / kurtosis, sample-corrected (5/9 uniform, "
    "1/3 normal, 1 two spikes); bimodal above 0.65 with at least 5 % of the weights on each "
    "side of the mean and a standard deviation of at least 0.1 wmax"
)


def window_by_weight(rule: PlasticityRule) -> dict[str, object]:
    """The STDP window from each start weight in W0_FRACTIONS, with the fitted amplitudes.

    Each side is fitted with A exp(-|dt| / tau) (`stdp.fit_window`); the amplitude is |A| at
    dt -> 0, the change of one pairing at coincidence. A side that is not a single exponential
    (no change, or changes of both signs) has None. dw is in units of wmax.
    """
    scale = weight_scale(host_namespace(rule))
    dt_ms: list[float] = []
    windows, ltp, ltd = [], [], []
    for fraction in W0_FRACTIONS:
        data = stdp.stdp_window(rule, w0_fraction=fraction)
        dt_ms = data["dt_ms"]
        dw = [change / scale for change in data["dw"]]
        fit = stdp.fit_window(dt_ms, dw)
        windows.append(dw)
        ltp.append(None if fit["a_plus"] is None else abs(fit["a_plus"]))
        ltd.append(None if fit["a_minus"] is None else abs(fit["a_minus"]))
    return {
        "w0": list(W0_FRACTIONS),
        "dt_ms": dt_ms,
        "dw": windows,
        "ltp_amplitude": ltp,
        "ltd_amplitude": ltd,
    }


def stationary_distribution(
    rule: PlasticityRule, rng: np.random.Generator, max_s: float | None = None
) -> dict[str, object]:
    """Final weights (fractions of wmax) of N_SYNAPSES Poisson inputs onto one neuron.

    Weights start uniform on [0, wmax]; the network runs in CHUNK_S pieces until the weight
    histogram (10 bins) changed by less than SETTLED_TV over the last SETTLED_CHUNKS pieces, or
    for max_s (MAX_S by default).
    """
    max_s = MAX_S if max_s is None else max_s
    release_previous_networks()
    b2.seed(int(rng.integers(2**31)))  # the Poisson inputs: the same rng gives the same run
    scale = weight_scale(host_namespace(rule))
    namespace = host_namespace(
        rule,
        host_v_rest=-70 * b2.mV,
        host_e_ex=0 * b2.mV,
        host_e_in=-70 * b2.mV,
        host_tau_m=20 * b2.ms,
        host_tau_syn=5 * b2.ms,
        host_gain=G_MAX / scale,
    )
    neuron = b2.NeuronGroup(
        1,
        NEURON,
        threshold="v > -54*mV",
        reset="v = -60*mV",
        method="exponential_euler",
        namespace=namespace,
        dt=STEP,
        name="stationary_neuron",
    )
    neuron.v = -70 * b2.mV
    inputs = b2.PoissonGroup(N_SYNAPSES, INPUT_RATE_HZ * b2.Hz, dt=STEP, name="stationary_inputs")
    inhibition = b2.PoissonInput(neuron, "gi", 200, 10 * b2.Hz, weight=0.05)
    syn = rule_synapses(
        rule, inputs, neuron, namespace, dt=STEP, on_pre_prefix="ge_post += host_gain * w"
    )
    syn.connect()
    syn.w = rng.uniform(0, scale, N_SYNAPSES)
    spikes = b2.SpikeMonitor(neuron, record=False, name="stationary_spikes")
    net = b2.Network(neuron, inputs, inhibition, syn, spikes)
    edges = np.linspace(0, 1, 11)
    histograms = [np.histogram(np.asarray(syn.w[:]) / scale, edges)[0] / N_SYNAPSES]
    elapsed, settled = 0.0, False
    while elapsed < max_s and not settled:
        net.run(CHUNK_S * b2.second, namespace=namespace)
        elapsed += CHUNK_S
        weights = np.asarray(syn.w[:]) / scale
        histogram = np.histogram(np.clip(weights, 0, 1), edges)[0] / N_SYNAPSES
        histograms.append(histogram)
        if len(histograms) > SETTLED_CHUNKS:
            change = 0.5 * np.abs(histogram - histograms[-1 - SETTLED_CHUNKS]).sum()
            settled = change < SETTLED_TV
    coefficient = bimodality_coefficient(weights)
    return {
        "weights": weights.tolist(),
        "bimodality": coefficient,
        "measure": MEASURE,
        "bimodal": is_bimodal(weights),
        "n_synapses": N_SYNAPSES,
        "input_rate_hz": INPUT_RATE_HZ,
        "duration_s": elapsed,
        "settled": bool(settled),
        "output_rate_hz": float(spikes.num_spikes / elapsed),
    }


def bimodality_coefficient(values: np.ndarray) -> float:
    """Sarle's bimodality coefficient with the small-sample corrections (SAS; Pfister et al.
    2013, Front. Psychol. 4:700): (g^2 + 1) / (k + 3 (n - 1)^2 / ((n - 2) (n - 3))), g the
    sample skewness and k the excess kurtosis. 1 for two equal spikes, 5/9 for a uniform
    distribution, 1/3 for a normal one. A distribution with no spread counts as unimodal (0)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    centred = x - x.mean()
    m2 = np.mean(centred**2)
    if n < 4 or m2 <= 1e-12 * max(1.0, float(np.max(np.abs(x)))) ** 2:
        return 0.0
    g1 = np.mean(centred**3) / m2**1.5
    g2 = np.mean(centred**4) / m2**2 - 3
    skew = g1 * np.sqrt(n * (n - 1)) / (n - 2)
    excess = (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * g2 + 6)
    return float((skew**2 + 1) / (excess + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))))


def is_bimodal(values: np.ndarray) -> bool:
    """The protocol's verdict on weights in units of wmax (see BIMODAL_ABOVE)."""
    x = np.asarray(values, dtype=float)
    above = np.mean(x > x.mean())
    spread = min(above, 1 - above) >= MINOR_SHARE and x.std() >= MIN_SPREAD
    return bool(spread and bimodality_coefficient(x) > BIMODAL_ABOVE)


def weight_dependence_summary(rule: PlasticityRule, seed: int = 0) -> dict[str, object]:
    """{"weight_dependence": window_by_weight, "stationary": stationary_distribution} of a spike
    rule, cached on disk by the rule's fingerprint, the seed and VERSION (a learner records it
    per run for the price of a file read)."""
    name = f"{rule.fingerprint()}-seed{seed}-v{VERSION}.json"
    path = cache_root() / "rule-characterisation" / name
    if path.exists():
        return json.loads(path.read_text())
    b2.seed(seed)
    with codegen_target("numpy"):
        window = window_by_weight(rule)
    with codegen_target("cython"):
        stationary = stationary_distribution(rule, np.random.default_rng(seed))
    summary = {"weight_dependence": window, "stationary": stationary}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{time.time_ns()}.tmp")
    partial.write_text(json.dumps(summary))
    partial.replace(path)
    return summary
