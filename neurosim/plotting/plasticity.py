"""Figures of a plasticity rule's characterization: windows, frequency curves, convergence.

Each takes plain numbers (as `neurosim.spiking.characterize` returns them, JSON-ready lists with
None for a diverged value) and returns a matplotlib `Figure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

Series = Sequence[float | None]


def plot_stdp_window(
    dt_ms: Series,
    dw: Series,
    fit: Mapping[str, float | None] | None = None,
    title: str | None = None,
) -> Figure:
    """Weight change after one pairing against t_post - t_pre, with the exponential fit if any."""
    fig = Figure(figsize=(6.5, 4.2), layout="constrained")
    ax = fig.subplots()
    x, y = _array(dt_ms), _array(dw)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(0, color="0.6", lw=0.8)
    ax.plot(x, y, "o", ms=3.5, color="C0", label="simulated (one pairing)")
    for side, mask in (("plus", x > 0), ("minus", x < 0)):
        amplitude, tau = (fit or {}).get(f"a_{side}"), (fit or {}).get(f"tau_{side}_ms")
        if amplitude is not None and tau is not None:
            grid = np.linspace(x[mask].min(), x[mask].max(), 200)
            label = f"{amplitude:.3g} exp(-|dt|/{tau:.3g} ms)"
            ax.plot(grid, amplitude * np.exp(-np.abs(grid) / tau), color="C3", lw=1.3, label=label)
    ax.set_xlabel("t_post - t_pre (ms)")
    ax.set_ylabel("weight change")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "STDP window")
    return fig


def plot_frequency_dependence(
    hz: Series,
    dw_plus: Series,
    dw_minus: Series,
    offset_ms: float = 10,
    pairings: int = 60,
    title: str | None = None,
) -> Figure:
    """Weight change after `pairings` pairings against the pairing rate (log axis), per offset."""
    fig = Figure(figsize=(6.5, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.axhline(0, color="0.6", lw=0.8)
    ax.plot(_array(hz), _array(dw_plus), "o-", color="C3", label=f"pre->post, +{offset_ms:g} ms")
    ax.plot(_array(hz), _array(dw_minus), "s-", color="C0", label=f"post->pre, -{offset_ms:g} ms")
    ax.set_xscale("log")
    ax.set_xlabel("pairing frequency (Hz)")
    ax.set_ylabel(f"weight change after {pairings} pairings")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    ax.set_title(title or "frequency dependence")
    return fig


def plot_convergence(
    panels: Mapping[str, tuple[Series, Series]],
    references: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Figure:
    """One panel per quantity, {panel title: (t in s, values)}, with optional reference lines.

    A quantity that spans more than three decades (a diverging norm) is drawn on a log axis.
    """
    fig = Figure(figsize=(6.5, 1.0 + 1.9 * len(panels)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(panels), 1))
    for ax, (label, (t, values)) in zip(axes, panels.items(), strict=True):
        y = _array(values)
        ax.plot(_array(t), y, color="C0", lw=1.2)
        reference = (references or {}).get(label)
        if reference is not None:
            ax.axhline(reference, color="C3", ls="--", lw=1)
        finite = y[np.isfinite(y)]
        if len(finite) and finite.min() > 0 and finite.max() / finite.min() > 1e3:
            ax.set_yscale("log")
        ax.set_title(label, fontsize=9, loc="left")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time (s)")
    fig.suptitle(title or "convergence")
    return fig


def plot_selectivity(
    t_s: Series, responses: Sequence[Series], index: float | None = None, title: str | None = None
) -> Figure:
    """Response to each input pattern over time; the selectivity index in the title."""
    fig = Figure(figsize=(6.5, 3.8), layout="constrained")
    ax = fig.subplots()
    for k, values in enumerate(responses):
        ax.plot(_array(t_s), _array(values), lw=1.4, label=f"pattern {k + 1}")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("response  max(0, w . pattern)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    suffix = f"  (selectivity index {index:.2f})" if index is not None else ""
    ax.set_title((title or "response to each pattern") + suffix)
    return fig


def plot_distal_reward(
    t_s: Series,
    w_rewarded: Series,
    w_others_mean: Series,
    reward_times_s: Series = (),
    final_others: Series = (),
    title: str | None = None,
) -> Figure:
    """The rewarded synapse against the others' mean over time (rewards as ticks), and the final
    distribution of the other weights with the rewarded one marked."""
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[2.2, 1])
    left.plot(_array(t_s), _array(w_rewarded), color="C3", lw=1.6, label="rewarded synapse")
    left.plot(_array(t_s), _array(w_others_mean), color="C0", lw=1.6, label="mean of the others")
    top = np.nanmax(np.r_[_array(w_rewarded), _array(w_others_mean)])
    if len(reward_times_s):
        left.plot(
            _array(reward_times_s),
            np.full(len(reward_times_s), 1.04 * top),
            "|",
            color="k",
            ms=6,
            label=f"reward ({len(reward_times_s)})",
        )
    left.set_xlabel("time (s)")
    left.set_ylabel("weight")
    left.grid(alpha=0.3)
    left.legend(fontsize=8, loc="center left")
    left.set_title(title or "distal reward")
    if len(final_others):
        right.hist(_array(final_others), bins=20, color="C0", alpha=0.8)
        right.axvline(_array(w_rewarded)[-1], color="C3", lw=2, label="rewarded")
        right.legend(fontsize=8)
    right.set_xlabel("final weight")
    right.set_ylabel("synapses")
    right.set_title("final weights")
    return fig


def plot_weight_dependence(
    dt_ms: Series,
    w0: Series,
    dw: Sequence[Series],
    ltp_amplitude: Series,
    ltd_amplitude: Series,
    title: str | None = None,
) -> Figure:
    """The STDP window from each start weight (left), and the fitted LTP and LTD amplitudes
    against the start weight (right): how a rule's change depends on the weight it acts on.

    Weights and changes are fractions of wmax; an amplitude of None (no single exponential on
    that side) is left out.
    """
    fig = Figure(figsize=(10, 4.0), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1.5, 1])
    # grey levels by start weight (light = weak), so they do not clash with LTP red / LTD blue
    greys = np.linspace(0.72, 0.0, len(w0)) if len(w0) > 1 else [0.0]
    left.axhline(0, color="0.6", lw=0.8)
    left.axvline(0, color="0.6", lw=0.8)
    for k, (start, window) in enumerate(zip(w0, dw, strict=True)):
        color = str(greys[k])
        x, y = _array(dt_ms), _array(window)
        for side in (x < 0, x > 0):  # no line across dt = 0, where the window jumps
            left.plot(x[side], y[side], "o-", ms=2.5, lw=1, color=color)
        left.plot([], [], "o-", color=color, label=f"w0 = {start:g} wmax")
    left.set_xlabel("t_post - t_pre (ms)")
    left.set_ylabel("weight change after one pairing (/ wmax)")
    left.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    left.set_title(title or "STDP window by start weight")
    starts = _array(w0)
    for values, marker, color, label in (
        (ltp_amplitude, "^-", "C3", "LTP (dt > 0)"),
        (ltd_amplitude, "v-", "C0", "LTD (dt < 0)"),
    ):
        amplitude = _array(values)
        shown = np.isfinite(amplitude)
        if shown.any():
            right.plot(starts[shown], amplitude[shown], marker, color=color, ms=7, label=label)
    right.set_xlim(0, 1)
    right.set_ylim(bottom=0)
    right.set_xlabel("start weight w0 (/ wmax)")
    right.set_ylabel("fitted amplitude |A| (/ wmax)")
    right.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    right.grid(alpha=0.3)
    right.legend(fontsize=8)
    right.set_title("amplitude against weight")
    return fig


def plot_stationary_weights(
    weights: Series,
    bimodality: float,
    bimodal: bool,
    n_synapses: int,
    input_rate_hz: float,
    duration_s: float,
    title: str | None = None,
) -> Figure:
    """Histogram of the final weights (fractions of wmax) of a neuron's inputs under
    uncorrelated Poisson input, with the bimodality coefficient and its verdict."""
    fig = Figure(figsize=(6.5, 4.0), layout="constrained")
    ax = fig.subplots()
    counts, _, _ = ax.hist(_array(weights), bins=np.linspace(0, 1, 21), color="C0", ec="white")
    ax.axhline(n_synapses / 20, color="0.3", ls="--", lw=1, label="start (uniform)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.25 * max(counts.max(), n_synapses / 20))
    ax.legend(fontsize=8, loc="upper right")
    ax.set_xlabel("final weight (/ wmax)")
    ax.set_ylabel("synapses")
    ax.grid(alpha=0.3, axis="y")
    verdict = "bimodal" if bimodal else "unimodal"
    ax.text(
        0.03,
        0.97,
        f"bimodality coefficient {bimodality:.2f}: {verdict}\n"
        "(5/9 uniform, 1/3 normal, 1 two spikes)",
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=9,
        bbox={"facecolor": "white", "edgecolor": "0.7", "alpha": 0.9},
    )
    ax.set_title(
        (title or "stationary weights")
        + f"\n{n_synapses} Poisson inputs at {input_rate_hz:g} Hz, {duration_s:g} s",
        fontsize=10,
    )
    return fig


def _array(values: Series) -> np.ndarray:
    """Floats with None (a diverged value) as NaN, so it leaves a gap instead of failing."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)
