"""A presentation schedule's spikes as one "probe" Activity, from chosen stretches of a simulation.

Why stretches: a fit shows the probe digits once among the test rows and again, repeatedly, after
them; the rows between are not worth storing. Each stretch is cut from the rest before its first
row to just after its last and laid end to end on the recording's clock, so a raster sees one
regular schedule; meta "segments" says where each stretch sat in the simulation.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from neurosim.activity import Activity, SpikeTrains
from neurosim.spiking.diehl_cook import SimulationResult

LEAD_S = 0.05  # recorded before each stretch's first onset and after the last presentation


@dataclasses.dataclass(frozen=True)
class Stimuli:
    """What was presented, one entry per presentation: ids index `images` rows by stimulus."""

    images: np.ndarray  # (n_stimuli, features)
    stimulus_ids: np.ndarray  # (n_presentations,)
    labels: np.ndarray | None  # (n_stimuli,) where known
    image_shape: tuple[int, ...] | None


def presentation_activity(
    result: SimulationResult,
    stretches: list[tuple[int, int]],
    stimuli: Stimuli,
    *,
    n_neurons: int,
    presentation_s: float,
    rest_s: float,
    **meta: object,
) -> Activity:
    """Spikes of "exc" and "inh" during `stretches` (first accepted row, number of rows), in that
    order, with the onsets, stimulus ids, labels and images of their presentations in meta."""
    ends = result.accepted_times
    populations = {
        "exc": (result.exc_times, result.exc_units),
        "inh": (result.inh_times, result.inh_units),
    }
    times: dict[str, list[np.ndarray]] = {name: [] for name in populations}
    units: dict[str, list[np.ndarray]] = {name: [] for name in populations}
    onsets, segments, clock = [], [], 0.0
    for number, (first, count) in enumerate(stretches):
        # the row before ended `rest_s` before this stretch's first (possibly retried) attempt
        start = (ends[first - 1] if first > 0 else 0.0) + rest_s - LEAD_S
        last = number == len(stretches) - 1
        stop = ends[first + count - 1] + (LEAD_S if last else rest_s - LEAD_S)
        shift = clock - start
        for name, (all_times, all_units) in populations.items():
            keep = (all_times >= start) & (all_times < stop)
            times[name].append(all_times[keep] + shift)
            units[name].append(all_units[keep])
        onsets.append(ends[first : first + count] - presentation_s + shift)
        segments.append({"recording_s": clock, "simulation_s": start, "duration_s": stop - start})
        clock += stop - start
    ids = np.asarray(stimuli.stimulus_ids, dtype=np.int64)
    described: dict[str, object] = {
        "time_offset_s": segments[0]["simulation_s"],
        "segments": segments,
        "onsets": np.concatenate(onsets).tolist(),
        "stimulus_ids": ids.tolist(),
        "presentation_s": presentation_s,
        "images": np.asarray(stimuli.images)[ids].tolist(),
        "note": "times on the recording's clock: the stretches in 'segments' laid end to end; "
        "repeated presentations of one stimulus share its stimulus id",
    }
    if stimuli.labels is not None:
        described["labels"] = np.asarray(stimuli.labels)[ids].tolist()
    if stimuli.image_shape is not None:
        described["image_shape"] = list(stimuli.image_shape)
    return Activity(
        spikes={
            name: SpikeTrains(np.concatenate(times[name]), np.concatenate(units[name]), n_neurons)
            for name in populations
        },
        meta=described | meta,
    )
