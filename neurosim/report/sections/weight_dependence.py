"""The weight-dependence section: what each plasticity rule of an experiment does at one synapse.

A spiking learner records its rule's characterisation (`rule_characterisation`: the window at
several initial weights and the stationary weight distribution, cached per rule). Shown next to
the accuracy a circuit reached with the rule, it tells whether a rule parameter (a soft-bound
exponent mu, say) helps through the weight distribution it shapes. Runs with the same rule
(same fingerprint) share one table row and one pair of figures, whatever their label or seed.
The figures are those of `neurosim rules check`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neurosim.plotting import plot_stationary_weights, plot_weight_dependence
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Table
from neurosim.report.grouping import RunGroup
from neurosim.report.section import section

ARTIFACT = "rule_characterisation"
STATIONARY_FIELDS = (
    "weights",
    "bimodality",
    "bimodal",
    "n_synapses",
    "input_rate_hz",
    "duration_s",
)

_WINDOW_CAPTION = (
    "Left: weight change after one pre/post pairing against t_post - t_pre, starting from"
    " three initial weights (fractions of wmax). Right: the amplitudes of exponential fits to"
    " the two sides of the window against the initial weight. An additive rule draws flat"
    " lines; a soft-bound rule's LTP falls as (1 - w)^mu and its LTD rises as w^mu. Used by:"
    " {groups}."
)
_STATIONARY_CAPTION = (
    "The weights of {n} synapses onto one neuron after {duration:g} s of uncorrelated Poisson"
    " input at {rate:g} Hz, from a uniform start. Additive STDP pushes them to the bounds (Song"
    " et al. 2000); weight-dependent depression keeps one mode (van Rossum et al. 2000)."
    " Bimodality: {measure}. Used by: {groups}."
)


@section("weight-dependence", "Weight dependence of the rules", 220, needs=("json",))
def weight_dependence(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    rules = rule_groups(context, groups)
    if not rules:
        return []
    return [_table(rules), *(f for data, users in rules for f in _figures(data, users))]


def rule_groups(
    context: ReportContext, groups: Sequence[RunGroup]
) -> list[tuple[dict[str, Any], list[RunGroup]]]:
    """Each distinct rule (by fingerprint) with its characterisation and the groups that used
    it, in the groups' order."""
    found: dict[str, tuple[dict[str, Any], list[RunGroup]]] = {}
    for group in groups:
        first = context.first_with(group, "json", ARTIFACT)
        if first is None:
            continue
        data = first[1]
        found.setdefault(data["fingerprint"], (data, []))[1].append(group)
    return list(found.values())


def _table(rules: list[tuple[dict[str, Any], list[RunGroup]]]) -> Table:
    w0 = rules[0][0]["weight_dependence"]["w0"]
    at = ", ".join(f"{w:g}" for w in w0)
    rows = []
    for data, users in rules:
        dependence, stationary = data["weight_dependence"], data["stationary"]
        accuracy = [a for g in users for a in g.values("test", "accuracy")]
        rows.append(
            [
                data["rule"],
                ", ".join(g.title or g.name for g in users),
                _amplitudes(dependence["ltp_amplitude"]),
                _amplitudes(dependence["ltd_amplitude"]),
                _shape(stationary),
                _percent(accuracy),
            ]
        )
    headers = [
        "rule",
        "used by",
        f"LTP amplitude at w0 = {at} wmax",
        f"LTD amplitude at w0 = {at} wmax",
        "stationary weights (bimodality)",
        "test accuracy (%)",
    ]
    return Table(headers, rows, numeric=[False, False, False, False, False, True])


def _figures(data: dict[str, Any], users: list[RunGroup]) -> list[Figure]:
    """The window by initial weight and the stationary distribution of one rule."""
    names = ", ".join(g.title or g.name for g in users)
    title = f"{data['rule']}: {names}"
    stationary = data["stationary"]
    window = plot_weight_dependence(**data["weight_dependence"], title=title)
    settled = plot_stationary_weights(
        **{key: stationary[key] for key in STATIONARY_FIELDS}, title=title
    )
    slug = users[0].title or users[0].name
    caption = _STATIONARY_CAPTION.format(
        n=stationary["n_synapses"],
        duration=stationary["duration_s"],
        rate=stationary["input_rate_hz"],
        measure=stationary["measure"],
        groups=names,
    )
    return [
        Figure.from_matplotlib(
            window,
            f"weight-dependence-{slug}",
            f"window by initial weight of {data['rule']}",
            _WINDOW_CAPTION.format(groups=names),
        ),
        Figure.from_matplotlib(
            settled,
            f"stationary-weights-{slug}",
            f"stationary weight distribution of {data['rule']}",
            caption,
        ),
    ]


def _shape(stationary: dict[str, Any]) -> str:
    """The verdict, the bimodality and the mean weight (a coefficient near 1 with a mean at a
    bound is a collapse onto it, not two modes), plus the duration when it had not settled."""
    verdict = "bimodal" if stationary["bimodal"] else "not bimodal"
    mean = np.mean([w for w in stationary["weights"] if w is not None])
    text = f"{verdict} ({stationary['bimodality']:.2f}), mean {mean:.2f} wmax"
    if not stationary.get("settled", True):
        text += f", still changing after {stationary['duration_s']:g} s"
    return text


def _amplitudes(values: Sequence[float | None]) -> str:
    return ", ".join("–" if v is None else f"{v:.2e}" for v in values)


def _percent(values: Sequence[float]) -> str:
    if not values:
        return "–"
    text = f"{100 * np.mean(values):.1f}"
    return text if len(values) < 2 else f"{text} ± {100 * np.std(values, ddof=1):.1f}"
