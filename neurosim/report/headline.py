"""The numbers that decide a comparison: headline metrics on the held-out splits.

Which metrics are headline is declared once, with the metric (`neurosim.metrics`). Every split a
run was scored on counts (a classifier's "test", a control agent's greedy "eval" episodes, a new
family's own), except "val": validation numbers are for choosing settings, not for the headline.
"""

from __future__ import annotations

from collections.abc import Sequence

from neurosim.metrics import METRICS
from neurosim.report.grouping import RunGroup

VALIDATION = "val"


def headline_columns(groups: Sequence[RunGroup]) -> list[tuple[str, str]]:
    """(split, metric) pairs some run reports, held-out splits only, in the order first seen."""
    columns = [
        (split, metric)
        for group in groups
        for run in group.runs
        for split, values in run.metrics.items()
        if split != VALIDATION
        for metric in values
        if METRICS.get(metric).headline
    ]
    return list(dict.fromkeys(columns))


def column_title(split: str, metric: str) -> str:
    """E.g. "test accuracy (%)"."""
    return f"{split} {METRICS.get(metric).title}"
