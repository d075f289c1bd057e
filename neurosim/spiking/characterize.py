"""Characterize a plasticity rule: the canonical experiments for its kind, as numbers and figures.

`characterize(rule, out_dir)` picks protocols from what the rule is and reads:

- a spike rule reading no signal: the STDP window (Bi & Poo 1998), the pairing-frequency
  dependence (Sjostrom, Turrigiano & Nelson 2001), the window at three start weights, and the
  weight distribution under uncorrelated input (Song et al. 2000; van Rossum et al. 2000);
- a rate rule reading x_pre / y_post: convergence (principal component, homeostasis, a clamped
  teacher output) and selectivity for one of several patterns (BCM);
- a rule reading `reward`: the distal reward experiment (Izhikevich 2007).

It returns plain JSON types (lists, floats, None for a diverged value) plus `summary`, one line
of text per finding, and saves one PNG per figure into `out_dir`. The protocols themselves live
in `neurosim.spiking.protocols`; `build_check` is the cheapest proof that Brian2 can host a rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import brian2 as b2
import numpy as np
from matplotlib.figure import Figure

from neurosim.plasticity import PlasticityRule
from neurosim.plotting.plasticity import (
    plot_convergence,
    plot_distal_reward,
    plot_frequency_dependence,
    plot_selectivity,
    plot_stationary_weights,
    plot_stdp_window,
    plot_weight_dependence,
)
from neurosim.spiking.backend import codegen_target
from neurosim.spiking.protocols import rate, reward, stdp, weight_dependence
from neurosim.spiking.protocols.hosting import SIGNAL_DECLARATIONS, host_namespace, rule_synapses

# The signals each family of protocols can provide, by rule kind.
SERVED = {"spike": set(), "rate": {"x_pre", "y_post"}}
# Measured on a 2-core machine: the pairing protocols are dominated by Brian2's per-step Python
# overhead (numpy and Cython equal, and numpy compiles nothing); the rate and reward protocols
# evaluate expressions every step, where compiled Cython code is 2-4x faster once built (the
# build is cached by Brian2 across processes).
PAIRING_TARGET, CONTINUOUS_TARGET = "numpy", "cython"

PCA_COSINE = "zero-mean correlated input: cosine(w, first principal component)"
PCA_NORM = "zero-mean correlated input: |w|"
CLAMPED_COSINE = "y clamped to u . x by a teacher: cosine(w, <x y>)"

Outcome = tuple[dict[str, object], dict[str, Figure], list[str]]  # data, figures by stem, summary


def characterize(rule: PlasticityRule, out_dir: Path, seed: int = 0) -> dict[str, object]:
    """Run the rule's protocols; return their numbers and a summary, save figures to out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result: dict[str, object] = {
        "rule": rule.name,
        "kind": rule.kind,
        "signals": list(rule.signals),
        "protocols": [],
        "figures": [],
        "wall_s": {},
        "summary": [],
    }
    plan, missing = _plan(rule)
    if not plan:
        result["summary"] = [
            f"no characterization protocol provides {', '.join(sorted(missing))} "
            f"to {rule.kind} rules"
        ]
        return result
    b2.seed(seed)
    rng = np.random.default_rng(seed)
    for name, target, protocol in plan:
        start = time.perf_counter()
        with codegen_target(target):
            data, figures, summary = protocol(rule, rng)
        result["wall_s"][name] = round(time.perf_counter() - start, 2)
        result["protocols"].append(name)
        result.update(data)
        for stem, figure in figures.items():
            path = out_dir / f"{stem}-{rule.name}.png"
            figure.savefig(path, dpi=110)
            result["figures"].append(str(path))
        result["summary"] += summary
    timings = ", ".join(f"{name} {wall:.1f} s" for name, wall in result["wall_s"].items())
    result["summary"].append(f"wall time: {timings}")
    return result


def build_check(rule: PlasticityRule) -> None:
    """Host the rule between two 2-neuron groups that provide every signal, and run one step.

    Brian2 resolves every name and checks every unit when it builds the code, so a rule that
    gets through this can be hosted by any circuit providing its signals (the numpy target
    compiles nothing, so this costs well under a second). Raises Brian2's own error otherwise;
    `neurosim.spiking.rule_check.validate_rule` is the user-facing check with friendly messages.
    """
    declarations = "\n".join(SIGNAL_DECLARATIONS.values())
    namespace = host_namespace(rule)
    with codegen_target("numpy"):
        pre, post = (
            b2.NeuronGroup(2, declarations, threshold="False", reset="", namespace=namespace)
            for _ in range(2)
        )
        syn = rule_synapses(rule, pre, post, namespace, dt=0.1 * b2.ms)
        syn.connect()
        b2.Network(pre, post, syn).run(0.1 * b2.ms, namespace=namespace)


Protocol = Callable[[PlasticityRule, np.random.Generator], Outcome]


def _plan(rule: PlasticityRule) -> tuple[list[tuple[str, str, Protocol]], set[str]]:
    """The protocols for this rule, or the signals no protocol can provide to it."""
    signals = set(rule.signals)
    if "reward" in signals:
        missing = signals - {"reward"}
        return ([] if missing else [("distal-reward", CONTINUOUS_TARGET, _distal_reward)]), missing
    missing = signals - SERVED[rule.kind]
    if missing:
        return [], missing
    if rule.kind == "spike":
        return [
            ("stdp-window", PAIRING_TARGET, _window),
            ("frequency", PAIRING_TARGET, _frequency),
            ("weight-dependence", PAIRING_TARGET, _weight_dependence),
            ("stationary", CONTINUOUS_TARGET, _stationary),
        ], set()
    return [
        ("convergence", CONTINUOUS_TARGET, _convergence),
        ("selectivity", CONTINUOUS_TARGET, _selectivity),
    ], set()


def _window(rule: PlasticityRule, rng: np.random.Generator) -> Outcome:
    data = stdp.stdp_window(rule)
    data["fit"] = fit = stdp.fit_window(data["dt_ms"], data["dw"])
    by_dt = dict(zip(data["dt_ms"], data["dw"], strict=True))
    line = (
        f"STDP window (one pairing from w = {data['w0']:g}): dw(+10 ms) = {by_dt[10.0]:+.3g}, "
        f"dw(-10 ms) = {by_dt[-10.0]:+.3g}"
    )
    sides = [
        f"{side}: {fit[f'a_{key}']:+.3g} exp(-|dt| / {fit[f'tau_{key}_ms']:.3g} ms)"
        for side, key in (("dt > 0", "plus"), ("dt < 0", "minus"))
        if fit[f"a_{key}"] is not None and fit[f"tau_{key}_ms"] is not None
    ]
    if sides:
        line += f"; fit {', '.join(sides)} (max error {100 * fit['max_rel_error']:.2g} %)"
    else:
        line += "; not a single exponential on either side"
    figure = plot_stdp_window(data["dt_ms"], data["dw"], fit, title=f"{rule.name}: STDP window")
    return {"window": data}, {"stdp-window": figure}, [line + _clip_note(data)]


def _frequency(rule: PlasticityRule, rng: np.random.Generator) -> Outcome:
    data = stdp.frequency_dependence(rule)
    lines = [
        f"{data['pairings']} pairings at {sign}{stdp.PAIRING_OFFSET_MS} ms: "
        + ", ".join(f"{hz:g} Hz {dw:+.3g}" for hz, dw in zip(data["hz"], values, strict=True))
        for sign, values in (("+", data["dw_plus10"]), ("-", data["dw_minus10"]))
    ]
    figure = plot_frequency_dependence(
        data["hz"],
        data["dw_plus10"],
        data["dw_minus10"],
        offset_ms=stdp.PAIRING_OFFSET_MS,
        pairings=data["pairings"],
        title=f"{rule.name}: frequency dependence",
    )
    lines[-1] += _clip_note(data)
    return {"frequency": data}, {"frequency": figure}, lines


def _weight_dependence(rule: PlasticityRule, rng: np.random.Generator) -> Outcome:
    data = weight_dependence.window_by_weight(rule)
    sides = []
    for side, amplitudes in (("LTP", data["ltp_amplitude"]), ("LTD", data["ltd_amplitude"])):
        values = ", ".join(_number_text(a, ".3g") for a in amplitudes)
        sides.append(f"{side} {values}")
    starts = "/".join(f"{w:g}" for w in data["w0"])
    line = f"window amplitude at w0 = {starts} wmax (fit A exp(-|dt|/tau), / wmax): "
    figure = plot_weight_dependence(
        data["dt_ms"],
        data["w0"],
        data["dw"],
        data["ltp_amplitude"],
        data["ltd_amplitude"],
        title=f"{rule.name}: window by start weight",
    )
    return {"weight_dependence": data}, {"weight-dependence": figure}, [line + "; ".join(sides)]


def _stationary(rule: PlasticityRule, rng: np.random.Generator) -> Outcome:
    data = weight_dependence.stationary_distribution(rule, rng)
    weights = np.asarray(data["weights"])
    verdict = "bimodal" if data["bimodal"] else "unimodal"
    settled = "settled" if data["settled"] else "still changing"
    line = (
        f"stationary weights ({data['n_synapses']} Poisson inputs at {data['input_rate_hz']:g} Hz, "
        f"{data['duration_s']:g} s, {settled}): {verdict}, bimodality coefficient "
        f"{data['bimodality']:.2f} (5/9 uniform; bimodal > {weight_dependence.BIMODAL_ABOVE:g}), "
        f"mean {weights.mean():.2f} wmax, "
        f"{np.mean(weights < 0.1):.0%} below 0.1 and {np.mean(weights > 0.9):.0%} above 0.9 wmax"
    )
    figure = plot_stationary_weights(
        data["weights"],
        data["bimodality"],
        data["bimodal"],
        data["n_synapses"],
        data["input_rate_hz"],
        data["duration_s"],
        title=f"{rule.name}: stationary weights",
    )
    return {"stationary": data}, {"stationary": figure}, [line]


def _convergence(rule: PlasticityRule, rng: np.random.Generator) -> Outcome:
    pca = rate.principal_component(rule, rng)
    steady = rate.homeostasis(rule, rng)
    teacher = rate.clamped(rule, rng)
    pca_cosine = _number_text(pca["final_cosine"], ".3f")
    if pca["diverged"]:
        pca_line = f"diverged (|w| {_number_text(pca['final_norm'], '.2g')}) along PC1 "
        pca_line += f"(cosine {pca_cosine})"
    else:
        pca_line = f"cosine with PC1 {pca_cosine}, |w| {pca['final_norm']:.3g}"
    lines = [
        f"principal component (20 s): {pca_line}",
        "homeostasis (60 s, positive input): "
        + (
            "diverged"
            if steady["diverged"]
            else f"mean y settles at {steady['final_mean_y']:.3g} (last 6 s)"
        ),
        "teacher-clamped y (20 s): "
        + (
            "diverged"
            if teacher["diverged"]
            else f"cosine(w, <x y>) {teacher['final_cosine']:.3f}, "
            f"|w| / |<x y>| {teacher['gain']:.3g}"
        ),
    ]
    figure = plot_convergence(
        {
            PCA_COSINE: (pca["t_s"], pca["cosine_pc1"]),
            PCA_NORM: (pca["t_s"], pca["norm"]),
            "homeostasis, positive input: mean y over 100 ms": (steady["t_s"], steady["mean_y"]),
            CLAMPED_COSINE: (teacher["t_s"], teacher["cosine_target"]),
        },
        references={PCA_COSINE: 1.0, PCA_NORM: 1.0, CLAMPED_COSINE: 1.0},
        title=f"{rule.name}: convergence",
    )
    data = {"principal_component": pca, "homeostasis": steady, "clamped": teacher}
    return {"convergence": data}, {"convergence": figure}, lines


def _selectivity(rule: PlasticityRule, rng: np.random.Generator) -> Outcome:
    data = rate.selectivity(rule, rng)
    if data["index"] is None:
        line = "selectivity (3 patterns, 30 s): no response to any pattern"
    else:
        responses = ", ".join(f"{r:.2g}" for r in data["final_responses"])
        line = (
            f"selectivity (3 patterns, 30 s): index {data['index']:.2f}, prefers pattern "
            f"{data['preferred'] + 1} (responses {responses})"
        )
    figure = plot_selectivity(data["t_s"], data["responses"], data["index"], title=f"{rule.name}")
    return {"selectivity": data}, {"selectivity": figure}, [line]


def _distal_reward(rule: PlasticityRule, rng: np.random.Generator) -> Outcome:
    data = reward.distal_reward(rule, rng)
    ratio = "n/a" if data["ratio"] is None else f"{data['ratio']:.2f}"
    line = (
        f"distal reward ({data['duration_s']:g} s, {data['rewards']} rewards): rewarded synapse "
        f"{data['w0']:.3g} -> {data['w_rewarded'][-1]:.3g}, others' mean "
        f"{data['w_others_mean'][-1]:.3g} (ratio {ratio})"
    )
    figure = plot_distal_reward(
        data["t_s"],
        data["w_rewarded"],
        data["w_others_mean"],
        data["reward_times_s"],
        data["w_final_others"],
        title=f"{rule.name}: distal reward",
    )
    return {"distal_reward": data}, {"distal-reward": figure}, [line]


def _number_text(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _clip_note(data: dict[str, object]) -> str:
    return " (a weight reached a bound: changes there are cut short)" if data["clipped"] else ""
