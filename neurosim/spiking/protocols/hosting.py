"""A rule hosted in a tiny Brian2 network: its namespace, its synapses, its time grid.

Every protocol builds its own explicit `Network` from these pieces, so a protocol leaves no
global Brian2 state behind (objects get their `dt` directly; the default clock is never touched).
"""

from __future__ import annotations

import gc
import math
import re
from collections.abc import Iterable
from fractions import Fraction

import brian2 as b2
import numpy as np

from neurosim.plasticity import PlasticityRule
from neurosim.spiking.rules import rule_namespace, synapse_model

# The variable each signal reads, on the group that provides it (see KNOWN_SIGNALS).
SIGNAL_DECLARATIONS = {"x_pre": "x : 1", "y_post": "y : 1", "v_post": "v : volt"}
_CLOCK_DRIVEN = re.compile(r"\(\s*clock-driven\s*\)")


def release_previous_networks() -> None:
    """Collect the objects of an earlier protocol run before building the next one.

    While they live, Brian2 numbers the new code objects' names ("..._codeobject_1"), and the
    changed names make Cython build every code object again (tens of seconds).
    """
    gc.collect()


def host_namespace(rule: PlasticityRule, **host: object) -> dict[str, object]:
    """The rule's parameters plus the protocol's own constants (named `host_*` by convention).

    A clash would let one silently replace the other, so it is refused.
    """
    namespace = rule_namespace(rule)
    clash = set(namespace) & set(host)
    if clash:
        raise ValueError(f"rule '{rule.name}' parameters clash with protocol names: {clash}")
    return {**namespace, **host}


def rule_synapses(
    rule: PlasticityRule,
    source: b2.Group,
    target: b2.Group,
    namespace: dict[str, object],
    *,
    dt: b2.Quantity,
    model_extra: str = "",
    on_pre_prefix: str = "",
    name: str = "rule_synapses",
) -> b2.Synapses:
    """Synapses running the rule, plus what the host adds (a summed input, a conductance kick).

    Clock-driven equations are integrated with forward Euler: rate rules are written as the
    continuous-time form of a per-sample update, and Euler at the protocol's step is exactly that
    update. Event-driven traces are always solved exactly by Brian2.

    Protocols name their objects explicitly: Brian2's generated code carries the names, so fixed
    names let the Cython cache serve the next run (auto-numbered names would force a rebuild).
    Each protocol runs its own `Network`, so equal names in two networks never meet.
    """
    on_pre = "\n".join(part for part in (on_pre_prefix.strip(), rule.on_pre.strip()) if part)
    return b2.Synapses(
        source,
        target,
        synapse_model(rule) + ("\n" + model_extra.strip() if model_extra.strip() else ""),
        on_pre=on_pre or None,
        on_post=rule.on_post.strip() or None,
        method="euler",
        namespace=namespace,
        dt=dt,
        name=name,
    )


def weight_scale(namespace: dict[str, object]) -> float:
    """The rule's `wmax`, the scale its weights live on, or 1 for a rule without one."""
    return float(namespace.get("wmax", 1.0))


def at_bound(namespace: dict[str, object], w: np.ndarray) -> bool:
    """Whether a weight ended on 0 or on `wmax`: a change there may have been cut short."""
    bounds = [0.0] + ([float(namespace["wmax"])] if "wmax" in namespace else [])
    return bool(np.any(np.isclose(w[:, None], bounds)))


def clock_driven(rule: PlasticityRule) -> bool:
    """Whether the rule integrates something at every step (then the step size matters)."""
    return bool(_CLOCK_DRIVEN.search(rule.model))


def grid_dt(times_s: Iterable[Fraction], cap_s: Fraction) -> b2.Quantity:
    """The coarsest step on which every spike time lies exactly, no coarser than `cap_s`.

    Event-driven traces decay exactly between spikes (exp(-(t - lastupdate) / tau)), so a rule
    without clock-driven equations gives exact results at any step that puts the spikes on the
    grid. That lets 60 pairings at 0.1 Hz (600 s) run in 60 000 steps instead of 6 million.
    """
    step = Fraction(0)
    for time in times_s:
        step = _gcd(step, time)
    if step == 0:
        step = cap_s
    step = step / math.ceil(step / cap_s)
    return float(step) * b2.second


def _gcd(a: Fraction, b: Fraction) -> Fraction:
    """Greatest common divisor of two non-negative rationals."""
    return Fraction(
        math.gcd(a.numerator * b.denominator, b.numerator * a.denominator),
        a.denominator * b.denominator,
    )
