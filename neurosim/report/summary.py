"""The results table printed after `neurosim run` and `neurosim report`: one row per group.

Plain text that is also a markdown table, padded so it reads in a terminal. It shows the
headline metrics (`neurosim.report.headline`) and training time; the report has the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neurosim.metrics import METRICS, format_value
from neurosim.report.document import Table
from neurosim.report.grouping import RunLike, group_runs
from neurosim.report.headline import column_title, headline_columns


def summary(records: Sequence[RunLike]) -> Table:
    groups = group_runs(records)
    columns = headline_columns(groups)
    headers = ["task", "learner", "seeds", *(column_title(s, m) for s, m in columns)]
    headers.append("fit (s)")  # the mean only: the terminal is narrow
    rows = [
        [
            group.task,
            group.name,
            str(len(group.runs)),
            *(format_value(metric, group.values(split, metric)) for split, metric in columns),
            METRICS.get("fit_s").format(float(np.mean(group.timings("fit_s") or np.nan))),
        ]
        for group in groups
    ]
    return Table(headers, rows, numeric=[False, False, *[True] * (len(headers) - 2)])


def summary_table(records: Sequence[RunLike]) -> str:
    """The summary as padded markdown, or a line saying there is nothing to show."""
    if not records:
        return "(no stored runs)"
    table = summary(records)
    lines = [list(table.headers), *[[str(cell) for cell in row] for row in table.rows]]
    widths = [max(len(line[i]) for line in lines) for i in range(len(table.headers))]
    numeric = table.numeric_columns()

    def line(cells: list[str]) -> str:
        padded = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (width + 1) + ":" if right else "-" * (width + 2)
            for width, right in zip(widths, numeric, strict=True)
        )
        + "|"
    )
    return "\n".join([line(lines[0]), rule, *map(line, lines[1:])])
