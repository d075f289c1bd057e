"""Runs that differ only by seed, grouped once for the summary table and every report section.

A group is one (task, label, grid point). Groups are ordered by task, label and then grid point
with numbers compared as numbers, so a sweep reads 50, 100, 200 and not 100, 200, 50.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from neurosim.grid import grid_items, grid_text, grid_value_text

LEGACY_FAMILIES = (("test", "classification"), ("eval", "control"))
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


class RunLike(Protocol):
    """The fields of a stored run (`neurosim.experiment.store.RunRecord`) the report reads."""

    run_id: str
    task: str
    learner: str
    label: str
    seed: int
    config: dict
    metrics: dict[str, dict[str, float]]
    timings: dict[str, float]
    history: list[dict[str, float]]
    directory: Path


@dataclasses.dataclass
class RunGroup:
    """One learner configuration on one task, over its seeds (runs sorted by seed)."""

    task: str
    label: str
    grid: dict[str, Any]
    runs: list[RunLike]
    title: str = ""  # how sections name it: the name, plus the task when there are several

    @property
    def name(self) -> str:
        """The label plus its grid point, e.g. "mlp-adam [lr=0.003]" or "wta [mu=0.5]"."""
        return f"{self.label} [{grid_text(self.grid)}]" if self.grid else self.label

    @property
    def learner(self) -> str:
        return self.runs[0].learner

    @property
    def family(self) -> str:
        """The task's family as the spec recorded it; for runs stored before it did, read from
        the split they were scored on (classifiers "test", control agents "eval")."""
        family = self.runs[0].config.get("family", "")
        if family:
            return family
        return next((f for split, f in LEGACY_FAMILIES if self.has_split(split)), "")

    def values(self, split: str, metric: str) -> list[float]:
        """The metric of every seed that reported it."""
        return [r.metrics[split][metric] for r in self.runs if metric in r.metrics.get(split, {})]

    def timings(self, key: str) -> list[float]:
        return [r.timings[key] for r in self.runs if key in r.timings]

    def has_split(self, split: str) -> bool:
        return any(split in r.metrics for r in self.runs)


def group_runs(records: Sequence[RunLike]) -> list[RunGroup]:
    """Group runs by (task, label, grid point), in the order described in the module docstring."""
    groups: dict[tuple[str, str, str], RunGroup] = {}
    for record in records:
        grid = record.config.get("grid") or {}
        key = (record.task, record.label, json.dumps(grid, sort_keys=True))
        groups.setdefault(key, RunGroup(record.task, record.label, grid, [])).runs.append(record)
    ordered = sorted(groups.values(), key=lambda g: (g.task, g.label, grid_sort_key(g.grid)))
    several_tasks = len({g.task for g in ordered}) > 1
    for group in ordered:
        group.runs.sort(key=lambda r: (r.seed, r.run_id))
        group.title = f"{group.name} ({group.task})" if several_tasks else group.name
    return ordered


def by_task(groups: Sequence[RunGroup]) -> dict[str, list[RunGroup]]:
    """The groups of each task, in their order."""
    tasks: dict[str, list[RunGroup]] = {}
    for group in groups:
        tasks.setdefault(group.task, []).append(group)
    return tasks


def quantity(value: Any) -> tuple[float, str] | None:
    """A grid value as (number, unit): 0.003 -> (0.003, ""), "0.5 Hz" -> (0.5, "Hz"); None when
    it is not a number (a rule name, a flag)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value), ""
    if isinstance(value, str) and (match := _QUANTITY.match(value)):
        return float(match[1]), match[2]
    return None


def grid_sort_key(grid: dict[str, Any]) -> tuple[tuple[int, float, str], ...]:
    """Numbers before text, numbers by value."""
    key = []
    for _, value in grid_items(grid):
        number = quantity(value)
        key.append((0, number[0], "") if number else (1, 0.0, grid_value_text(value)))
    return tuple(key)
