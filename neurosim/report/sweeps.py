"""Which groups form a sweep of a numeric parameter, read from their grid points.

A sweep is the groups of one task whose labels were run at several values of the same numeric
grid parameter (n_neurons = [50, 100, 200]; lr = [1e-3, 1e-2]; eta = ["0.5 Hz", "5 Hz"]). Other
parameters that vary with it split the sweep into lines (one per label and remaining setting).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from neurosim.grid import grid_items
from neurosim.report.grouping import RunGroup, quantity


@dataclasses.dataclass(frozen=True)
class Sweep:
    task: str
    parameter: str
    unit: str
    lines: dict[str, list[tuple[float, RunGroup]]]  # line label -> (value, group), by value

    @property
    def xlabel(self) -> str:
        return f"{self.parameter} ({self.unit})" if self.unit else self.parameter

    @property
    def groups(self) -> list[RunGroup]:
        return [group for points in self.lines.values() for _, group in points]


def find_sweeps(groups: Sequence[RunGroup]) -> list[Sweep]:
    """The sweeps among `groups`: for each label with several grid points, its first numeric
    parameter that takes two or more values in one unit; labels of one task sweeping the same
    parameter share a figure."""
    by_label: dict[tuple[str, str], list[RunGroup]] = {}
    for group in groups:
        by_label.setdefault((group.task, group.label), []).append(group)
    sweeps: dict[tuple[str, str, str], dict[str, list[tuple[float, RunGroup]]]] = {}
    for (task, label), members in by_label.items():
        swept = _swept_parameter(members)
        if swept is None:
            continue
        parameter, unit = swept
        points = [dict(grid_items(group.grid)) for group in members]
        others = [
            k for k in points[0] if k != parameter and len({str(p.get(k)) for p in points}) > 1
        ]
        lines = sweeps.setdefault((task, parameter, unit), {})
        for group, point in zip(members, points, strict=True):
            rest = ", ".join(f"{k}={point.get(k)}" for k in others)
            x, _ = quantity(point[parameter])
            lines.setdefault(f"{label} [{rest}]" if rest else label, []).append((x, group))
    return [
        Sweep(task, parameter, unit, {k: sorted(v, key=lambda p: p[0]) for k, v in lines.items()})
        for (task, parameter, unit), lines in sweeps.items()
    ]


def _swept_parameter(members: Sequence[RunGroup]) -> tuple[str, str] | None:
    if len(members) < 2:
        return None
    points = [dict(grid_items(group.grid)) for group in members]
    for name in points[0]:
        values = [quantity(point.get(name)) for point in points]
        if all(v is not None for v in values) and len({v[1] for v in values}) == 1:
            if len({v[0] for v in values}) > 1:
                return name, values[0][1]
    return None
