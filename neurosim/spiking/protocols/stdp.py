"""Spike-timing protocols: the STDP window and the pairing-frequency dependence.

Both drive every synapse from its own pair of `SpikeGeneratorGroup` neurons, so all timing
differences (or both signs of the offset) are measured side by side in one run. The synapses are
independent: synapse k only ever sees pre neuron k and post neuron k.
"""

from __future__ import annotations

from fractions import Fraction

import brian2 as b2
import numpy as np

from neurosim.plasticity import PlasticityRule
from neurosim.spiking.protocols.hosting import (
    at_bound,
    clock_driven,
    grid_dt,
    host_namespace,
    release_previous_networks,
    rule_synapses,
    weight_scale,
)

WINDOW_OFFSETS_MS = [d for d in range(-100, 101, 2) if d != 0]  # t_post - t_pre; 0 is ambiguous
FREQUENCIES_HZ = ["0.1", "1", "5", "10", "20", "30", "40", "50"]  # as Sjostrom et al. 2001
PAIRING_OFFSET_MS = 10
PAIRINGS = 60
_START = Fraction(1, 10)  # first pre spike at 100 ms, so a post spike 10 ms earlier still fits
_WINDOW_PRE = Fraction(2, 10)  # the window's pre spikes at 200 ms: a -100 ms post spike fits
_CAP_EVENT_DRIVEN = Fraction(1, 100)  # 10 ms: exact anyway, see grid_dt
_CAP_CLOCK_DRIVEN = Fraction(1, 1000)  # 1 ms where something is integrated every step


def stdp_window(rule: PlasticityRule, w0_fraction: float = 0.5) -> dict[str, object]:
    """Weight change after one pre/post pairing, for t_post - t_pre from -100 to +100 ms.

    One pairing per synapse, starting at w0_fraction * wmax (by default mid-range, so no bound
    clips a change; other starts show how the change depends on the weight).
    """
    offsets = [Fraction(d, 1000) for d in WINDOW_OFFSETS_MS]
    pre = [_WINDOW_PRE] * len(offsets)
    post = [t + d for t, d in zip(pre, offsets, strict=True)]
    w0, w, clipped = _run_pairs(rule, [[t] for t in pre], [[t] for t in post], w0_fraction)
    return {
        "dt_ms": [float(d * 1000) for d in offsets],
        "dw": (w - w0).tolist(),
        "w0": w0,
        "clipped": clipped,
    }


def frequency_dependence(rule: PlasticityRule) -> dict[str, object]:
    """Weight change after 60 pairings at +10 ms and at -10 ms, for pairing rates 0.1-50 Hz.

    The protocol of Sjostrom, Turrigiano & Nelson 2001 (Neuron 32:1149) as simplified by Pfister
    & Gerstner 2006 (Fig. 5): 60 pre/post pairs at a constant rate. Each rate is one run (their
    durations differ 500-fold: 600 s at 0.1 Hz, 1.2 s at 50 Hz), with both offsets in parallel.
    """
    plus, minus, w0, clipped = [], [], 0.0, False
    for text in FREQUENCIES_HZ:
        period = 1 / Fraction(text)
        offset = Fraction(PAIRING_OFFSET_MS, 1000)
        pre = [_START + k * period for k in range(PAIRINGS)]
        post = [[t + offset for t in pre], [t - offset for t in pre]]
        w0, w, cut = _run_pairs(rule, [pre, pre], post)
        plus.append(float(w[0] - w0))
        minus.append(float(w[1] - w0))
        clipped = clipped or cut
    return {
        "hz": [float(Fraction(f)) for f in FREQUENCIES_HZ],
        "dw_plus10": plus,
        "dw_minus10": minus,
        "pairings": PAIRINGS,
        "w0": w0,
        "clipped": clipped,
    }


def fit_window(dt_ms: list[float], dw: list[float]) -> dict[str, float | None]:
    """Fit A exp(-|dt| / tau) to each side of a window (least squares on log |dw|).

    A side whose changes are not all of one sign (not a single exponential) gets None. The
    returned `max_rel_error` is the largest |fit - dw| / |dw| over both sides.
    """
    dt, change = np.asarray(dt_ms), np.asarray(dw)
    fit: dict[str, float | None] = {}
    errors = []
    for side, mask in (("plus", dt > 0), ("minus", dt < 0)):
        x, y = np.abs(dt[mask]), change[mask]
        if len(y) < 2 or not (np.all(y > 0) or np.all(y < 0)):
            fit[f"a_{side}"] = fit[f"tau_{side}_ms"] = None
            continue
        slope, intercept = np.polyfit(x, np.log(np.abs(y)), 1)
        amplitude = float(np.sign(y[0]) * np.exp(intercept))
        tau = float(-1 / slope) if slope < 0 else None
        fit[f"a_{side}"], fit[f"tau_{side}_ms"] = amplitude, tau
        predicted = amplitude * np.exp(slope * x)
        errors.append(np.max(np.abs(predicted - y) / np.abs(y)))
    fit["max_rel_error"] = float(max(errors)) if errors else None
    return fit


def _run_pairs(
    rule: PlasticityRule,
    pre_times: list[list[Fraction]],
    post_times: list[list[Fraction]],
    w0_fraction: float = 0.5,
) -> tuple[float, np.ndarray, bool]:
    """Synapse k sees pre spikes pre_times[k] and post spikes post_times[k], starting at
    w0_fraction * wmax; returns that start, the final weights, and whether one ended on a bound."""
    release_previous_networks()
    namespace = host_namespace(rule)
    every = [t for times in (*pre_times, *post_times) for t in times]
    cap = _CAP_CLOCK_DRIVEN if clock_driven(rule) else _CAP_EVENT_DRIVEN
    dt = grid_dt(every, cap)
    n = len(pre_times)
    pre = _generator(pre_times, dt, "rule_pre")
    post = _generator(post_times, dt, "rule_post")
    syn = rule_synapses(rule, pre, post, namespace, dt=dt)
    syn.connect(j="i")
    w0 = w0_fraction * weight_scale(namespace)
    syn.w = w0
    net = b2.Network(pre, post, syn)
    net.run(float(max(every)) * b2.second + 2 * dt, namespace=namespace)
    w = np.empty(n)
    w[np.asarray(syn.i[:])] = np.asarray(syn.w[:])
    return w0, w, at_bound(namespace, w)


def _generator(times: list[list[Fraction]], dt: b2.Quantity, name: str) -> b2.SpikeGeneratorGroup:
    indices = np.concatenate([np.full(len(ts), k) for k, ts in enumerate(times)])
    seconds = np.array([float(t) for ts in times for t in ts])
    return b2.SpikeGeneratorGroup(len(times), indices, seconds * b2.second, dt=dt, name=name)
