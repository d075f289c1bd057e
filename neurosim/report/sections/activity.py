"""The spiking-activity section: a raster of each recorded population and its statistics.

It serves any learner that recorded spikes (a circuit shown digits, an agent in an episode):
the populations are the ones the activity holds, in the order it stores them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neurosim.activity import Activity
from neurosim.analysis.spikes import population_summary
from neurosim.metrics import Metric
from neurosim.plotting import plot_raster
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Heading, Note, Table
from neurosim.report.grouping import RunGroup
from neurosim.report.section import section

RASTER_PRESENTATIONS = 8  # enough to see selectivity, few enough to see single spikes
RASTER_SECONDS = 2.0  # without stimulus onsets: the first seconds of the recording

_STIMULUS_CAPTION = (
    "One dot per spike, one panel per population; blue lines mark stimulus onsets, with the"
    " presented label above (and the stimulus itself on top, where recorded). Selective units"
    " fire for some stimuli and not others; a population that fires alike for every stimulus"
    " (inhibition in a winner-take-all circuit, say) carries no label."
)
_EPISODE_CAPTION = (
    "One dot per spike, one panel per population, over the first {seconds:g} s of the recording"
    " ({probe}). Input populations follow the observation; competing output populations should"
    " alternate rather than fire together."
)
_STATISTICS_NOTE = (
    "Over the whole recording. ISI CV is about 1 for Poisson-like firing and 0 for clockwork;"
    " a Fano factor well above 1 over {window} windows means counts that change from window to"
    " window (with stimuli: selectivity)."
)
# analysis quantities, formatted like metrics
_RATE = Metric("mean rate", unit="Hz")
_FRACTION = Metric("units that fired", unit="%")
_RATIO = Metric("ratio")


@section("spiking-activity", "Spiking activity", 410, needs=("activity",))
def spiking_activity(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    blocks: list[Block] = []
    for group in groups:
        run = group.runs[0]
        for entry in context.entries(run, "activity"):
            activity = context.load(run, entry)
            if activity is None or not any(len(s.times) for s in activity.spikes.values()):
                continue
            probe = str(entry.meta.get("probe", entry.name))
            blocks.append(Heading(group.title))
            blocks += _raster(activity, f"{group.title}, seed {run.seed}, {probe}", group, probe)
            blocks += _statistics(activity)
            break
    return blocks


def _raster(activity: Activity, title: str, group: RunGroup, probe: str) -> list[Block]:
    onsets = np.asarray(activity.meta.get("onsets", []), dtype=np.float64)
    if len(onsets):
        t0 = float(onsets[0])
        t1 = float(onsets[RASTER_PRESENTATIONS]) if len(onsets) > RASTER_PRESENTATIONS else None
        caption = _STIMULUS_CAPTION
    else:
        t0 = min(float(s.times.min()) for s in activity.spikes.values() if len(s.times))
        last = max(float(s.times.max()) for s in activity.spikes.values() if len(s.times))
        t1 = min(last, t0 + RASTER_SECONDS) + 1e-9
        caption = _EPISODE_CAPTION.format(seconds=RASTER_SECONDS, probe=probe)
    fig = plot_raster(activity, list(activity.spikes), t0=t0, t1=t1, title=title)
    return [
        Figure.from_matplotlib(fig, f"raster_{group.name}", f"spike raster of {title}", caption)
    ]


def _statistics(activity: Activity) -> list[Block]:
    onsets = np.asarray(activity.meta.get("onsets", []), dtype=np.float64)
    ends = [s.times.max() for s in activity.spikes.values() if len(s.times)]
    starts = [s.times.min() for s in activity.spikes.values() if len(s.times)]
    t0 = float(onsets[0]) if len(onsets) else min(0.0, *starts)
    gaps = np.diff(onsets)
    window = float(np.median(gaps)) if len(gaps) else max((max(ends) - t0) / 10, 1e-3)
    t1 = max(float(onsets[-1]) + window if len(onsets) else t0, max(ends) + 1e-9)
    summary = population_summary(activity, t0, t1, window)
    rows = [
        [
            population,
            int(s["units"]),
            _RATE.format(s["rate_hz"]),
            _FRACTION.format(s["active_fraction"]),
            _RATIO.format(s["median_cv"]),
            _RATIO.format(s["median_fano"]),
        ]
        for population, s in summary.items()
    ]
    headers = [
        "population",
        "units",
        _RATE.title,
        _FRACTION.title,
        "median ISI CV",
        f"median Fano ({1e3 * window:.0f} ms windows)",
    ]
    return [
        Table(headers, rows),
        Note(_STATISTICS_NOTE.format(window=f"{1e3 * window:.0f} ms")),
    ]
