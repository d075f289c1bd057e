"""The connectivity section: each learner's input weights as a graph, before and after learning.

It serves every learner that recorded receptive fields (input weights, one row per unit); the
weights before learning come from the run's "final_state" arrays (`initial_weights`) where the
learner keeps them, and are left out where it does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neurosim.analysis.classification import mean_sd
from neurosim.analysis.connectivity import DEFAULT_THRESHOLD, before_after
from neurosim.metrics import Metric
from neurosim.plotting.connectivity import STAGES, plot_degree_distributions
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Note, Table
from neurosim.report.grouping import RunGroup, RunLike
from neurosim.report.section import section

Stages = dict[str, dict[str, Any]]

# (statistic, column title, how it is written)
_COLUMNS = (
    ("sd_in_degree", "inputs per unit, sd", Metric("sd", decimals=2)),
    ("sd_out_degree", "units per input, sd", Metric("sd", decimals=2)),
    ("isolated_pre", "unused inputs", Metric("count", decimals=1)),
    ("clustering", "RF overlap", Metric("overlap", decimals=3)),
    ("modularity", "modularity", Metric("modularity", decimals=3)),
    ("n_communities", "communities", Metric("count", decimals=1)),
)
_NOTE = (
    "Each learner's input weights (one row per unit) as a graph: the strongest {percent} of"
    " synapses by |w| are the edges input → unit, so every graph of a learner has as many edges"
    " (a unit keeps {percent} of its inputs on average). Mean ± sd over seeds. The sd of inputs per"
    " unit says how unequally units share the kept synapses; unused inputs drive no unit (blank"
    " pixels); RF overlap is the bipartite clustering (Latapy et al. 2008) of the units, the mean"
    " Jaccard overlap of the input sets of units sharing an input (1: identical receptive"
    " fields); modularity is Newman's, of networkx's Louvain communities. Compare 'after' with"
    " 'after, shuffled' (the same weights at random places): Louvain finds some modularity in"
    " any sparse graph, so only the difference is structure learned."
)
_NO_BEFORE = " No weights before learning were stored for: {groups}."
_CAPTION = (
    "Degree distributions of the graphs in the table, pooled over seeds, one row per learner."
    " Left: how many inputs each unit keeps; right: how many units each input drives. Against"
    " the same weights shuffled (dotted), learning that concentrates on informative inputs"
    " (digit strokes) leaves many inputs driving no unit (a peak at 0 on the right) and spreads"
    " the others widely; dashed: the weights before learning, where stored."
)


@section("connectivity", "Connectivity", 430, needs=("receptive_fields",))
def connectivity(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    rows, histograms, without_before = [], {}, []
    for group in groups:
        per_run = [stats for run in group.runs if (stats := _run_statistics(context, run))]
        if not per_run:
            continue
        if not any("before" in stats for stats in per_run):
            without_before.append(group.title)
        histograms[group.title] = {}
        for stage in STAGES:
            found = [stats[stage] for stats in per_run if stage in stats]
            if not found:
                continue
            cells = [_cell(metric, [s[key] for s in found]) for key, _, metric in _COLUMNS]
            rows.append([group.title, STAGES[stage][2], len(found), *cells])
            histograms[group.title][stage] = {
                direction: _pooled([s[f"{direction}_degree_histogram"] for s in found])
                for direction in ("in", "out")
            }
    if not rows:
        return []
    headers = ["learner", "weights", "seeds", *(title for _, title, _ in _COLUMNS)]
    percent = DEFAULT_THRESHOLD.removeprefix("top ")
    note = _NOTE.format(percent=percent)
    if without_before:
        note += _NO_BEFORE.format(groups=", ".join(without_before))
    fig = plot_degree_distributions(histograms)
    alt = "degree distributions of the weight graphs"
    return [
        Table(headers, rows),
        Note(note),
        Figure.from_matplotlib(fig, "connectivity_degrees", alt, _CAPTION),
    ]


def _run_statistics(context: ReportContext, run: RunLike) -> Stages | None:
    """Graph statistics of one run's input weights, or None where it recorded none readable."""
    fields = context.load_first(run, "receptive_fields", required=("weights",))
    if fields is None:
        return None
    final = np.asarray(fields["weights"], dtype=np.float64)
    state = context.load_first(run, "arrays", "final_state") or {}
    initial = state.get("initial_weights")
    if initial is not None and np.shape(initial) != final.shape:
        context.notes.append(
            f"run {run.run_id}: initial weights {np.shape(initial)} do not match its receptive"
            f" fields {final.shape}; connectivity before learning left out"
        )
        initial = None
    return before_after(initial, final, DEFAULT_THRESHOLD, seed=run.seed)


def _cell(metric: Metric, values: list[float]) -> str:
    mean, sd = mean_sd(np.asarray(values, dtype=np.float64))
    return metric.format(mean, sd, len(values))


def _pooled(histograms: list[list[int]]) -> np.ndarray:
    """Degree histograms of several seeds summed (padded to the longest)."""
    length = max(len(h) for h in histograms)
    return np.sum([np.pad(h, (0, length - len(h))) for h in histograms], axis=0)
