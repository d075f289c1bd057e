"""Sections every report ends with: what the runs cost, and which stored run is which."""

from __future__ import annotations

from collections.abc import Sequence

from neurosim.metrics import METRICS, format_value
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Code, Note, Table
from neurosim.report.grouping import RunGroup
from neurosim.report.headline import column_title, headline_columns
from neurosim.report.section import section


@section("timings", "Timings", 900)
def timings(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    keys = list(dict.fromkeys(k for g in groups for r in g.runs for k in r.timings))
    if not keys:
        return []
    rows = [[g.title, *(format_value(k, g.timings(k)) for k in keys)] for g in groups]
    return [
        Table(["label", *(METRICS.get(k).title for k in keys)], rows),
        Note(
            "Wall time on the machine that ran the experiment, shared with the other runs of"
            " it; compare learners within one report, not across machines."
        ),
    ]


@section("run-ids", "Runs", 950)
def run_ids(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    """Every run with its headline numbers, so a figure can be traced to its stored folder."""
    columns = headline_columns(groups)
    rows = [
        [
            Code(run.run_id),
            group.title,
            run.task,
            run.seed,
            *(
                format_value(m, [run.metrics[s][m]] if m in run.metrics.get(s, {}) else [])
                for s, m in columns
            ),
        ]
        for group in groups
        for run in group.runs
    ]
    headers = ["run id", "label", "task", "seed", *(column_title(s, m) for s, m in columns)]
    return [Table(headers, rows)]
