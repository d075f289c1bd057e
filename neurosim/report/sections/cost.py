"""The cost section: operations and wall time per training sample and per inference, one table
for every learner of the report, spiking and deep side by side.

Every run has its wall time (timings and history); learners that count their operations add a
"cost" json artifact (`Learner.cost`), and what it says about how it counted goes under the table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from neurosim.analysis.cost import samples_seen, with_wall_time
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Note, Paragraph, Table
from neurosim.report.grouping import RunGroup, RunLike
from neurosim.report.section import section

MISSING = "–"
PREFIXES = ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"))
HEADERS = [
    "label",
    "learner",
    "operation",
    "ops per training sample",
    "training ops, whole fit",
    "ops per inference",
    "s per training sample",
    "s per inference",
]
CAVEAT = (
    "Mean over seeds; – where the learner does not count it. Synaptic events (one spike reaching"
    " one synapse) and multiply-accumulates (MACs) are different units, and what one costs"
    " depends on the hardware and how it is used: an event is spent only when a neuron fires"
    " (tens of picojoules on a neuromorphic chip such as Loihi), a MAC is about a picojoule at a"
    " GPU's dense peak but far more where memory traffic dominates (one sample at a time), so"
    " energy per operation can differ by orders of magnitude either way: compare counts within"
    " a unit, and across units only with that in mind. Wall time is this machine's (spiking"
    " circuits simulated on a CPU, torch where the run put it):"
    " it says what the experiment cost here, not what the brain or a chip would spend. Seconds"
    " per training sample: the fit's wall time (everything fit does, compiling and per-epoch"
    " evaluation included) over the training samples its history counts. Per training sample"
    " means over those samples too: a sample shown in each of 100 epochs counts 100 times,"
    " while a full-batch fit (logreg) counts each sample once for all its iterations; the whole"
    " fit's count compares learning budgets directly."
)


def si(value: float | None, unit: str = "") -> str:
    """A value with an SI prefix and three significant digits, e.g. 15800 -> "15.8 k"."""
    if value is None or not math.isfinite(value):
        return MISSING
    if value == 0:
        return f"0 {unit}".strip()
    scale, prefix = next(((s, p) for s, p in PREFIXES if abs(value) >= s), PREFIXES[-1])
    return f"{value / scale:.3g} {prefix}{unit}".strip()


def run_cost(context: ReportContext, run: RunLike) -> dict[str, Any]:
    """What the run recorded about its cost, with the wall time every run has filled in."""
    recorded = context.load_first(run, "json", "cost")
    cost = with_wall_time(recorded or {}, run.timings, run.history)
    per_sample, samples = cost["train_ops_per_sample"], samples_seen(run.history)
    cost["train_ops"] = per_sample * samples if per_sample is not None and samples else None
    return cost


def mean_of(costs: Sequence[dict[str, Any]], key: str) -> float | None:
    values = [c[key] for c in costs if c.get(key) is not None]
    return float(np.mean(values)) if values else None


@section("cost", "Cost per sample", 910)
def cost(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    rows = []
    how: dict[str, str] = {}
    for group in groups:
        costs = [run_cost(context, run) for run in group.runs]
        op = next((c["op"] for c in costs if c.get("op")), None)
        rows.append(
            [
                group.title,
                group.learner,
                op or MISSING,
                si(mean_of(costs, "train_ops_per_sample")),
                si(mean_of(costs, "train_ops")),
                si(mean_of(costs, "inference_ops_per_sample")),
                si(mean_of(costs, "train_seconds_per_sample"), "s"),
                si(mean_of(costs, "inference_seconds_per_sample"), "s"),
            ]
        )
        first = next((c["how"] for c in costs if c.get("how")), None)
        how.setdefault(group.learner, f"{first}." if first else "counts no operations.")
    counted = [Paragraph(f"{learner}: {text}") for learner, text in how.items()]
    return [
        Table(HEADERS, rows, numeric=[False, False, False, True, True, True, True, True]),
        Note(CAVEAT),
        Paragraph("How each learner counts:"),
        *counted,
    ]
