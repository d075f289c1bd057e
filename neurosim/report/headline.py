"""The numbers that decide a comparison: headline metrics on the held-out splits.

Which metrics are headline is declared once, with the metric (`neurosim.metrics`); which splits
are held out is a naming convention of the tasks: a classifier's "test" split, a control agent's
greedy "eval" episodes. Validation numbers are for choosing settings, not for the headline.
"""

from __future__ import annotations

from collections.abc import Sequence

from neurosim.metrics import METRICS
from neurosim.report.grouping import RunGroup

HELD_OUT_SPLITS = ("test", "eval")


def headline_columns(groups: Sequence[RunGroup]) -> list[tuple[str, str]]:
    """(split, metric) pairs some run reports, held-out splits only, in the order first seen."""
    columns = [
        (split, metric)
        for group in groups
        for run in group.runs
        for split in HELD_OUT_SPLITS
        for metric in run.metrics.get(split, {})
        if METRICS.get(metric).headline
    ]
    return list(dict.fromkeys(columns))


def column_title(split: str, metric: str) -> str:
    """E.g. "test accuracy (%)"."""
    return f"{split} {METRICS.get(metric).title}"
