"""Chance level of a classification: 1 / number of classes, read from recorded predictions.

Every accuracy plot draws it, so a reader sees at once whether 30 % on ten classes is learning.
"""

from __future__ import annotations

from collections.abc import Sequence

from neurosim.report.context import ReportContext
from neurosim.report.grouping import RunGroup

PREDICTIONS = ("y_true", "y_pred")


def chance_level(context: ReportContext, groups: Sequence[RunGroup]) -> float | None:
    """1 / classes (meta "n_classes", else the largest label predicted or true + 1); None when
    no run of `groups` recorded predictions."""
    n_classes = 0
    for group in groups:
        for run in group.runs:
            for entry in context.entries(run, "predictions"):
                if "n_classes" in entry.meta:
                    n_classes = max(n_classes, int(entry.meta["n_classes"]))
                    continue
                data = context.load(run, entry, PREDICTIONS)
                if data is not None and len(data["y_true"]):
                    largest = max(data["y_true"].max(), data["y_pred"].max())
                    n_classes = max(n_classes, 1 + int(largest))
    return 1.0 / n_classes if n_classes > 1 else None
