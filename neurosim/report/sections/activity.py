"""The spiking-activity section: a raster of each recorded population and its statistics.

It serves any learner that recorded spikes (a circuit shown digits, an agent in an episode):
the populations are the ones the activity holds, in the order it stores them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neurosim.activity import Activity
from neurosim.analysis.spikes import population_summary, recording_span
from neurosim.metrics import Metric
from neurosim.plotting import plot_raster
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Heading, Note, Table
from neurosim.report.grouping import RunGroup
from neurosim.report.section import section

# enough to see selectivity (stdp-wta: the probe digits and their first repeat), few enough to
# see single spikes
RASTER_PRESENTATIONS = 10
RASTER_SECONDS = 2.0  # without stimulus onsets: the first seconds of the recording

_STIMULUS_CAPTION = (
    "One dot per spike, one panel per population; shaded bands are stimulus presentations, with"
    " the presented label above (and the stimulus itself on top, where recorded). Units are"
    " grouped by preferred class, named on the left: the label the learner assigned them where"
    " it did, else the class whose presentations drew the most spikes. A selective population"
    " fires in the group of the presented class; a stimulus shown again shows how reliably it"
    " does. Units in 'no class' fired during no presentation. Spikes between bands come from a"
    " presentation that drew too few spikes and was repeated at a higher input rate (Diehl &"
    " Cook's rule), so only its accepted repeat is shaded."
)
_EPISODE_CAPTION = (
    "One dot per spike, one panel per population, over the first {seconds:g} s of the recording"
    " ({probe}). Input populations follow the observation; competing output populations should"
    " alternate rather than fire together."
)
_STATISTICS_NOTE = (
    "Computed with elephant over the whole recording; medians over the units where a value is"
    " defined. ISI CV is the spread of inter-spike intervals: about 1 for Poisson-like firing, 0"
    " for clockwork. CV2 and LV compare neighbouring intervals only, so a rate that changes from"
    " stimulus to stimulus does not inflate them (both also 1 for Poisson). {fano} Synchrony is"
    " spike contrast (Ciba et al. 2018) over the units that fired: near 0 for independent"
    " firing, 1 for units that always fire together."
)
_TRIAL_FANO_NOTE = (
    "The Fano factor is trial-to-trial: the variance over the mean of a unit's spike count across"
    " repeated presentations of the same stimulus, averaged over stimuli (about 1 for"
    " Poisson-like variability, below 1 for reliable responses)."
)
_POOLED_FANO_NOTE = (
    "No stimulus was presented twice, so the Fano factor pools {window} windows that show"
    " different stimuli: a value above 1 mixes selectivity with trial-to-trial variability."
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
            blocks += statistics_blocks(activity)
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


def statistics_blocks(activity: Activity) -> list[Block]:
    """The statistics table of a spiking recording and the note saying what each column is
    (also drawn by `neurosim show`)."""
    t0, t1, window = recording_span(activity)
    summary = population_summary(activity, t0, t1, window)
    trial = any(np.isfinite(s["repeats"]) for s in summary.values())
    rows = [
        [
            population,
            int(s["units"]),
            _RATE.format(s["rate_hz"]),
            _FRACTION.format(s["active_fraction"]),
            _RATIO.format(s["median_cv"]),
            _RATIO.format(s["median_cv2"]),
            _RATIO.format(s["median_lv"]),
            _RATIO.format(s["median_trial_fano"] if trial else s["median_fano"]),
            _RATIO.format(s["synchrony"]),
        ]
        for population, s in summary.items()
    ]
    if trial:
        repeats = max(s["repeats"] for s in summary.values() if np.isfinite(s["repeats"]))
        fano_header = f"median Fano, trial-to-trial ({repeats:.0f} repeats)"
        fano_note = _TRIAL_FANO_NOTE
    else:
        fano_header = f"median Fano across different stimuli ({1e3 * window:.0f} ms windows)"
        fano_note = _POOLED_FANO_NOTE.format(window=f"{1e3 * window:.0f} ms")
    headers = [
        "population",
        "units",
        _RATE.title,
        _FRACTION.title,
        "median ISI CV",
        "median CV2",
        "median LV",
        fano_header,
        "synchrony",
    ]
    return [Table(headers, rows), Note(_STATISTICS_NOTE.format(fano=fano_note))]
