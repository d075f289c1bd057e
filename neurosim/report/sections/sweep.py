"""The parameter-sweep section: each headline metric as a line against a swept numeric value.

It serves every family: the metrics are the headline ones on the held-out splits, whatever the
task scores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from neurosim.metrics import METRICS
from neurosim.plotting import SweepPanel, plot_sweep
from neurosim.report.chance import chance_level
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure
from neurosim.report.grouping import RunGroup
from neurosim.report.headline import column_title, headline_columns
from neurosim.report.section import section
from neurosim.report.sweeps import Sweep, find_sweeps

_CAPTION = (
    "Each panel is one headline metric against the swept parameter ({axis}): dots are single"
    " seeds, the line joins their means. Look for where a metric saturates or turns, and whether"
    " the spread over seeds is smaller than the change between values."
)


def finite(values: Sequence[float]) -> list[float]:
    return [value for value in values if math.isfinite(value)]


@section("sweep", "Parameter sweeps", 210)
def sweeps(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    figures = (
        _figure(sweep, chance_level(context, [g for g in groups if g.task == sweep.task]))
        for sweep in find_sweeps(groups)
    )
    return [figure for figure in figures if figure is not None]


def _figure(sweep: Sweep, chance: float | None) -> Figure | None:
    """The sweep's headline metrics; None when no metric has a finite value at any point (a
    `steps_to_minimum` that no run reached is NaN everywhere)."""
    panels = []
    for split, metric in headline_columns(sweep.groups):
        declared = METRICS.get(metric)
        percent = declared.unit == "%"
        series = {
            line: [(x, finite(group.values(split, metric))) for x, group in points]
            for line, points in sweep.lines.items()
        }
        series = {line: [p for p in pts if p[1]] for line, pts in series.items()}
        panels.append(
            SweepPanel(
                ylabel=column_title(split, metric),
                series={line: pts for line, pts in series.items() if pts},
                percent=percent,
                chance=chance if percent and declared.higher_is_better else None,
            )
        )
    panels = [panel for panel in panels if panel.series]
    if not panels:
        return None
    fig = plot_sweep(panels, sweep.xlabel, title=f"{sweep.task}: sweep of {sweep.parameter}")
    axis = f"{fig.axes[0].get_xscale()} scale"
    return Figure.from_matplotlib(
        fig,
        f"sweep_{sweep.task}_{sweep.parameter}",
        f"headline metrics against {sweep.parameter} on {sweep.task}",
        _CAPTION.format(axis=axis),
    )
