"""A stored run's recorded activity as one NWB file (pynwb), to share with NWB tools.

What goes where, for every activity the run recorded (`probe`, `representations`, `gates`, ...):

- spikes: the `units` table, one row per unit of every population, with columns `activity`,
  `population` and `unit_index` (the unit's index in its population);
- continuous signals: `acquisition/<activity>.<signal>` TimeSeries (time x units) with the
  signal's unit and its t as timestamps (NWB names cannot hold "/");
- stimuli: the `presentations` TimeIntervals table (start, stop = start + presentation_s,
  activity, label, stimulus_id; -1 where not recorded), the stimulus images as an Images
  template `<activity>.stimuli` and the order they were shown as an IndexSeries
  `<activity>.stimulus`;
- the run: identifier = run id; scratch `config` and `metrics` (JSON text); scratch
  `neurosim_activities` (JSON) names each activity's populations, signals and remaining meta,
  so `read_nwb` rebuilds the Activity records.

Times are seconds from the start of each activity's own recording, as neurosim stores them; a
simulation has no wall-clock session, so `session_start_time` is one fixed date (`SESSION_START`)
and the export of a run is the same whenever it is made.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pynwb import NWBHDF5IO, H5DataIO, NWBFile, TimeSeries
from pynwb.base import ImageReferences, Images
from pynwb.epoch import TimeIntervals
from pynwb.image import GrayscaleImage, IndexSeries

from neurosim.activity import Activity, Signal, SpikeTrains
from neurosim.artifacts import Artifacts
from neurosim.errors import UserError

if TYPE_CHECKING:
    from neurosim.experiment.stored_run import StoredRun

SESSION_START = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
PRESENTATIONS = "presentations"
INDEX = "neurosim_activities"
UNKNOWN = -1  # a presentation's label or stimulus id that the activity did not record
# meta stored in NWB's own tables rather than in the index: presentations, stimulus images
_PRESENTATION_META = ("onsets", "labels", "stimulus_ids")
_IMAGE_META = ("images", "image_shape")


@dataclasses.dataclass
class NwbRun:
    """What `read_nwb` finds in a file written by `export_nwb`."""

    run_id: str
    config: dict[str, Any]
    metrics: dict[str, Any]
    activities: dict[str, Activity]


def export_nwb(run: StoredRun, path: Path) -> Path:
    """Write every activity of `run` to the NWB file `path` (replaced if it exists)."""
    path = Path(path)
    entries = run.artifacts.entries("activity")
    if not entries:
        raise UserError(
            f"run {run.run_id} ({run.label} on {run.task}, seed {run.seed}) recorded no activity,"
            " so there is nothing to export to NWB; export a run whose learner records activity"
        )
    nwbfile = NWBFile(
        session_description=(
            f"neurosim run {run.run_id}: {run.label} ({run.learner}) on {run.task}, seed {run.seed}"
        ),
        identifier=run.run_id,
        session_start_time=SESSION_START,
        experiment_description=f"neurosim experiment '{run.experiment or 'none'}'",
        notes=(
            "Simulated or trained network, not an animal. Times are seconds from the start of"
            " each activity's recording; session_start_time is a fixed date. The run's config"
            " and metrics are in scratch 'config' and 'metrics' (JSON)."
        ),
    )
    index: dict[str, Any] = {}
    presentations: list[tuple[str, Activity]] = []
    for entry in entries:
        activity = Artifacts.load(entry)
        probe = str(entry.meta.get("probe", entry.name))
        index[entry.name] = _add_activity(nwbfile, entry.name, probe, activity)
        if "onsets" in activity.meta:
            presentations.append((entry.name, activity))
    if presentations:
        nwbfile.add_time_intervals(_presentations(presentations))
    nwbfile.add_scratch(json.dumps(run.config), name="config", description="the run's config")
    nwbfile.add_scratch(json.dumps(run.metrics), name="metrics", description="the run's metrics")
    nwbfile.add_scratch(
        json.dumps(index, default=_json_value),
        name=INDEX,
        description="per activity: probe, populations (n units), signals (acquisition names), meta",
    )
    _write(nwbfile, path, run.run_id)
    return path


def _add_activity(nwbfile: NWBFile, name: str, probe: str, activity: Activity) -> dict[str, Any]:
    """Add one activity's spikes, signals, images and weights; return its index entry."""
    if activity.spikes and nwbfile.units is None:
        nwbfile.add_unit_column("activity", "the activity (recording) the unit belongs to")
        nwbfile.add_unit_column("population", "the unit's population, e.g. exc, inh")
        nwbfile.add_unit_column("unit_index", "the unit's index in its population")
    for population, trains in activity.spikes.items():
        order = np.lexsort((trains.times, trains.units))
        bounds = np.searchsorted(trains.units[order], np.arange(trains.n_units + 1))
        for unit in range(trains.n_units):
            spikes = trains.times[order[bounds[unit] : bounds[unit + 1]]]
            nwbfile.add_unit(
                spike_times=spikes, activity=name, population=population, unit_index=unit
            )
    signals = {}
    note = str(activity.meta.get("note", ""))
    for signal_name, signal in activity.signals.items():
        signals[signal_name] = f"{name}.{signal_name}"
        nwbfile.add_acquisition(
            TimeSeries(
                name=signals[signal_name],
                data=H5DataIO(signal.values, compression="gzip"),
                unit=signal.unit,
                timestamps=signal.t,
                description=f"signal '{signal_name}' of activity '{name}' on {probe}, time x"
                f" units. {note}".strip(),
            )
        )
    if "images" in activity.meta:
        _add_images(nwbfile, name, activity.meta)
    for weights_name, weights in activity.weights.items():
        nwbfile.add_scratch(
            np.asarray(weights), name=f"{name}.weights.{weights_name}", description="weights"
        )
    return {
        "probe": probe,
        "populations": {p: trains.n_units for p, trains in activity.spikes.items()},
        "signals": signals,
        "weights": list(activity.weights),
        "meta": {k: v for k, v in activity.meta.items() if k not in _native_meta(activity)},
    }


def _native_meta(activity: Activity) -> tuple[str, ...]:
    """The meta keys the file holds in NWB's own tables (labels without onsets are not)."""
    meta = activity.meta
    return (_PRESENTATION_META if "onsets" in meta else ()) + (
        _IMAGE_META if "images" in meta else ()
    )


def _presentations(activities: list[tuple[str, Activity]]) -> TimeIntervals:
    """One row per stimulus presentation of every activity that recorded onsets."""
    table = TimeIntervals(name=PRESENTATIONS, description="stimulus presentations")
    table.add_column("activity", "the activity (recording) the presentation belongs to")
    table.add_column("label", f"the stimulus' class label ({UNKNOWN}: not recorded)")
    table.add_column(
        "stimulus_id",
        "index of the stimulus in the probe set; repeats of one stimulus share it"
        f" ({UNKNOWN}: not recorded)",
    )
    for name, activity in activities:
        meta = activity.meta
        onsets = np.asarray(meta["onsets"], dtype=np.float64)
        length = meta.get("presentation_s")
        stops = onsets + float(length) if length is not None else _ends(onsets)
        labels = meta.get("labels", [UNKNOWN] * len(onsets))
        ids = meta.get("stimulus_ids", [UNKNOWN] * len(onsets))
        for start, stop, label, stimulus in zip(onsets, stops, labels, ids, strict=True):
            table.add_row(
                start_time=float(start),
                stop_time=float(stop),
                activity=name,
                label=int(label),
                stimulus_id=int(stimulus),
            )
    return table


def _ends(onsets: np.ndarray) -> np.ndarray:
    """Without a presentation length a presentation lasts until the next onset (the last one as
    long as the median gap)."""
    gaps = np.diff(onsets)
    last = float(np.median(gaps)) if len(gaps) else 0.0
    return onsets + np.append(gaps, last)


def _add_images(nwbfile: NWBFile, name: str, meta: dict[str, Any]) -> None:
    """The stimulus images as a template, and which was shown when (where onsets say)."""
    images = np.asarray(meta["images"], dtype=np.float64)
    shape = tuple(int(n) for n in meta.get("image_shape", (1, images.shape[-1])))
    frames = [
        GrayscaleImage(name=f"stimulus {k}", data=image.reshape(shape))
        for k, image in enumerate(images)
    ]
    template = Images(
        name=f"{name}.stimuli",
        images=frames,
        description=f"the stimuli of activity '{name}', in probe-set order",
        order_of_images=ImageReferences(name="order_of_images", data=frames),
    )
    nwbfile.add_stimulus_template(template)
    onsets = np.asarray(meta.get("onsets", []), dtype=np.float64)
    if len(images) == len(onsets):  # one image per presentation
        shown = np.arange(len(onsets))
    elif len(meta.get("stimulus_ids", [])) == len(onsets) and len(onsets):
        shown = np.asarray(meta["stimulus_ids"])
    else:
        return
    nwbfile.add_stimulus(
        IndexSeries(
            name=f"{name}.stimulus",
            data=shown.astype(np.uint32),
            indexed_images=template,
            timestamps=onsets,
            unit="N/A",
            description=f"which image of '{name}.stimuli' was shown at each onset",
        )
    )


def _write(nwbfile: NWBFile, path: Path, run_id: str) -> None:
    """Write through a temporary file, so a failed export leaves no half-written file."""
    partial = path.with_name(f".{path.stem}.partial.nwb")
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "it is a folder", str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        with NWBHDF5IO(str(partial), "w") as io:
            io.write(nwbfile)
        os.replace(partial, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        reason = error.strerror or str(error)
        raise UserError(
            f"cannot write the NWB file '{path}' for run {run_id} ({reason}); give a file path in"
            " a writable folder"
        ) from error


def _json_value(value: object) -> object:
    """Let an activity's meta hold numpy scalars and arrays."""
    return np.asarray(value).tolist()


def read_nwb(path: Path) -> NwbRun:
    """The run id, config, metrics and Activity records of a file written by `export_nwb`."""
    with NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        index = json.loads(_text(nwbfile.get_scratch(INDEX)))
        activities = {name: _read_activity(nwbfile, name, entry) for name, entry in index.items()}
        return NwbRun(
            run_id=nwbfile.identifier,
            config=json.loads(_text(nwbfile.get_scratch("config"))),
            metrics=json.loads(_text(nwbfile.get_scratch("metrics"))),
            activities=activities,
        )


def _text(value: Any) -> str:
    return str(np.asarray(value).item() if isinstance(value, np.ndarray) else value)


def _read_activity(nwbfile: NWBFile, name: str, entry: dict[str, Any]) -> Activity:
    spikes = {}
    if entry["populations"]:
        units = nwbfile.units.to_dataframe()
        for population, n_units in entry["populations"].items():
            rows = units[(units["activity"] == name) & (units["population"] == population)]
            times = [np.asarray(t, dtype=np.float64) for t in rows["spike_times"]]
            indices = [np.full(len(t), i) for t, i in zip(times, rows["unit_index"], strict=True)]
            all_times = np.concatenate(times) if times else np.zeros(0)
            all_units = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
            order = np.argsort(all_times, kind="stable")
            spikes[population] = SpikeTrains(all_times[order], all_units[order], n_units)
    signals = {}
    for signal_name, series_name in entry["signals"].items():
        series = nwbfile.acquisition[series_name]
        signals[signal_name] = Signal(series.timestamps[:], series.data[:], series.unit)
    weights = {w: np.asarray(nwbfile.get_scratch(f"{name}.weights.{w}")) for w in entry["weights"]}
    meta = dict(entry["meta"])
    if PRESENTATIONS in nwbfile.intervals:
        table = nwbfile.intervals[PRESENTATIONS].to_dataframe()
        rows = table[table["activity"] == name]
        if len(rows):
            meta["onsets"] = rows["start_time"].tolist()
            if (rows["label"] != UNKNOWN).any():
                meta["labels"] = rows["label"].tolist()
            if (rows["stimulus_id"] != UNKNOWN).any():
                meta["stimulus_ids"] = rows["stimulus_id"].tolist()
    if f"{name}.stimuli" in nwbfile.stimulus_template:
        images = nwbfile.stimulus_template[f"{name}.stimuli"].order_of_images.data
        meta["images"] = [np.asarray(image.data).ravel().tolist() for image in images]
        meta["image_shape"] = list(np.asarray(images[0].data).shape)
    return Activity(spikes=spikes, signals=signals, weights=weights, meta=meta)
