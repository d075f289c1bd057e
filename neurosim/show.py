"""`neurosim show`: figures of one stored run, drawn from what it recorded, without rerunning.

Whatever a run kept is drawn: spikes (raster with population rate, ISIs, PSTH per class,
cross-correlograms), continuous signals (units x stimuli or steps, means per class), weights
(receptive fields, matrices, the connectivity graph's statistics) and the learning curve. With
`stimuli`, the learner is rebuilt from the run's final state and shown new probe stimuli
(`Learner.replay`), so activity on any stimuli needs no retraining.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure as MplFigure

from neurosim.activity import Activity, Signal, SpikeTrains
from neurosim.analysis.neo_adapter import unit_times
from neurosim.errors import UserError
from neurosim.experiment.stored_run import StoredRun
from neurosim.plotting import activity_figures as figures
from neurosim.plotting.connectivity import plot_degree_distributions
from neurosim.plotting.raster import preferred_classes
from neurosim.plotting.sequences import plot_step_heatmaps
from neurosim.plotting.weights import plot_receptive_fields, plot_weight_evolution
from neurosim.report.document import (
    Block,
    Document,
    Figure,
    Note,
    Section,
    Table,
    unique_names,
)
from neurosim.report.html import write_html

RASTER_PRESENTATIONS = 10  # enough to see selectivity, few enough to see single spikes
RASTER_SECONDS = 2.0  # without stimulus onsets: the first seconds of the recording
RATE_SIGMA_S = 0.01  # kernel of the population rate and the PSTH
PSTH_BEFORE_S = 0.05  # PSTH from this long before each onset: the baseline
CCG_BIN_S = 0.002
CCG_MAX_LAG_S = 0.05
CCG_CANDIDATES = 8  # most active units whose pairs are considered
CCG_PAIRS = 3
TRACE_UNITS = 3  # signals with at most this many units are drawn as lines, not heat maps
# weight snapshots of an actor-critic with population-coded inputs (rstdp-agent)
POPULATION_CODE = {"episodes", "actor", "critic", "n_per_action", "n_critic", "n_per_dim"}


@dataclasses.dataclass(frozen=True)
class ShowResult:
    """Where the figures went: the HTML page and the PNGs beside it."""

    html: Path
    figures: list[Path]
    seconds: float


def show_run(
    run: StoredRun,
    out_dir: Path,
    *,
    stimuli: int | None = None,
    repeats: int = 1,
    progress: bool = True,
) -> ShowResult:
    """Draw everything `run` recorded into `out_dir` (PNGs and show.html); see the module doc.

    `stimuli` replays the trained learner on the first N probe stimuli, each shown `repeats`
    times. A run that recorded nothing drawable is a UserError.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out '{out_dir}' is a file; give a folder for the figures")
    start = time.perf_counter()
    painter = _Painter(progress, start)
    sections: list[Section] = []
    activities = run.activities()
    superseded = {name: _superseded_by(a, activities) for name, a in activities.items()}
    if stimuli:
        shown = f"replay of {stimuli} probe stimuli" + (f" x {repeats}" if repeats > 1 else "")
        if progress:  # a spiking replay simulates every presentation: seconds to minutes
            print(f"  {shown} by {run.learner} ...", file=sys.stderr, flush=True)
        activities[shown] = replay(run, stimuli, repeats)
    for name, activity in activities.items():
        larger = superseded.get(name)
        if larger:
            sections.append(Section(f"Activity: {name}", [Note(_SUPERSEDED.format(name, larger))]))
            continue
        blocks = list(_activity_blocks(name, activity, painter))
        if blocks:
            sections.append(Section(f"Activity: {name}", blocks))
    for title, builder in (
        ("Weights", _weight_blocks),
        ("Connectivity", _connectivity_blocks),
        ("Learning curve", _history_blocks),
    ):
        blocks = list(builder(run, painter))
        if blocks:
            sections.append(Section(title, blocks))
    if not painter.count:
        raise UserError(
            f"run {run.run_id} ({run.title}) recorded nothing `show` can draw (no activity, "
            "weights or learning curve); run it again with a learner that records activity"
        )
    title = f"{run.run_id}: {run.label} on {run.task}, seed {run.seed}"
    document = Document(title, _description(run), sections)
    try:
        html, paths = _write(document, out_dir)
    except OSError as error:
        raise UserError(
            f"cannot write the figures of run {run.run_id} into '{out_dir}' "
            f"({error.strerror or error}); give a writable folder with --out"
        ) from error
    return ShowResult(html, paths, time.perf_counter() - start)


def _write(document: Document, out_dir: Path) -> tuple[Path, list[Path]]:
    """The page and every figure's PNG, beside it in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = unique_names(document)
    paths = []
    for section in document.sections:
        for block in section.blocks:
            if isinstance(block, Figure):
                paths.append(out_dir / names[id(block)])
                paths[-1].write_bytes(block.png)
    return write_html(document, out_dir / "show.html"), paths


def replay(run: StoredRun, stimuli: int, repeats: int = 1) -> Activity:
    """The run's learner rebuilt from its final state, shown the first `stimuli` probe stimuli."""
    from neurosim.learner import Learner
    from neurosim.registry import LEARNERS
    from neurosim.tasks import make_task

    learner = LEARNERS.get(run.learner)(**run.config.get("params", {}))
    state = run.arrays("final_state")
    if state is None and type(learner).replay is not Learner.replay:
        raise UserError(
            f"run {run.run_id} ({run.title}) stored no final state to replay (it was stored "
            "before learners kept one); run it again, then `show --stimuli`"
        )
    task = make_task(run.task, run.seed, **run.config.get("task_params", {}))
    probe = task.probe_set(stimuli)
    activity = learner.replay(task, state or {}, probe.x, repeats)  # no replay: says who has
    rows = {len(signal.t) for signal in activity.signals.values()}
    if "labels" not in activity.meta and probe.y is not None and rows == {len(probe)}:
        activity.meta["labels"] = probe.y.tolist()  # one row per stimulus: sort them by class
    return activity


class _Painter:
    """Renders figures to PNG, counting them and printing one line per figure."""

    def __init__(self, progress: bool, start: float):
        self.progress = progress
        self.start = start
        self.count = 0

    def figure(self, name: str, drawn: MplFigure, alt: str, caption: str) -> Figure:
        figure = Figure.from_matplotlib(drawn, name, alt, caption)
        self.count += 1
        if self.progress:
            elapsed = time.perf_counter() - self.start
            print(f"  [{elapsed:5.1f} s] {name}", file=sys.stderr, flush=True)
        return figure


def _description(run: StoredRun) -> str:
    metrics = "; ".join(
        f"{split}: " + ", ".join(f"{k} {v:.4g}" for k, v in values.items() if _is_number(v))
        for split, values in run.metrics.items()
        if isinstance(values, dict)
    )
    return (
        f"Learner {run.label} ({run.learner}) on task {run.task}, seed {run.seed}"
        f"{f', experiment {run.experiment}' if run.experiment else ''}. "
        f"Stored in {run.directory}.\n\nMetrics: {metrics or 'none stored'}."
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- activity ---------------------------------------------------------------------------------


_SUPERSEDED = "Not drawn: '{}' holds the same layers as '{}', on fewer stimuli."


def _superseded_by(activity: Activity, activities: dict[str, Activity]) -> str | None:
    """Another recording of the same signals on more stimuli (an mlp's "probe" of 10 test
    images beside its "representations" of 200), which makes this one redundant."""
    if activity.spikes or not activity.signals:
        return None
    for name, other in activities.items():
        if other is activity or other.spikes:
            continue
        if all(
            key in other.signals and len(other.signals[key].t) > len(signal.t)
            for key, signal in activity.signals.items()
        ):
            return name
    return None


def _activity_blocks(name: str, activity: Activity, painter: _Painter) -> Iterator[Block]:
    if any(len(trains.times) for trains in activity.spikes.values()):
        yield from _spike_blocks(name, activity, painter)
    yield from _signal_blocks(name, activity, painter)


def _signal_blocks(name: str, activity: Activity, painter: _Painter) -> Iterator[Block]:
    """Stimulus-indexed signals (one row per probe stimulus, labels in the meta) as heat maps
    and class means; step-indexed ones (an LSTM's gates) as heat maps over steps; few-unit
    signals (a critic's value) as lines."""
    signals = dict(activity.signals)
    labels = activity.meta.get("labels")
    stem = name.replace(" ", "_")
    traces = {k: s for k, s in signals.items() if s.values.shape[1] <= TRACE_UNITS and k != "input"}
    if traces:
        yield painter.figure(
            f"{stem}_traces",
            figures.plot_traces(
                {k: (s.t, s.values) for k, s in traces.items()},
                {k: s.unit for k, s in traces.items()},
                f"{name}: {', '.join(traces)}",
            ),
            f"traces of {', '.join(traces)}",
            "Signals with few units, against time.",
        )
    wide = {k: s for k, s in signals.items() if k not in traces}
    by_stimulus = "layers" in activity.meta or (  # representations and replays: one row each
        labels is not None and all(len(s.t) == len(labels) for s in wide.values())
    )
    if wide and not by_stimulus and "input" in wide and len(wide) > 1:
        inputs = wide.pop("input").values
        yield painter.figure(
            f"{stem}_steps",
            plot_step_heatmaps(inputs, wide, [], f"{name}: every unit at every step"),
            f"heat maps of {', '.join(wide)}",
            "The input on top, then every unit of each recorded signal at every step. Gates lie"
            " in [0, 1]; signed signals are on a scale centred on zero.",
        )
        return
    for layer, signal in wide.items():
        if layer == "input" and len(wide) > 1:
            continue  # the pixels themselves: the stimuli, not a representation
        xlabel = "stimulus (index in the probe set)" if by_stimulus else "step t"
        yield from _layer_blocks(
            name, layer, signal, labels if by_stimulus else None, xlabel, painter
        )


def _layer_blocks(
    name: str, layer: str, signal: Signal, labels: list | None, xlabel: str, painter: _Painter
) -> Iterator[Block]:
    stem = f"{name}_{layer}".replace(" ", "_")
    by_class = labels is not None and len(labels) == len(signal.t) and len(set(labels)) > 1
    yield painter.figure(
        stem,
        figures.plot_layer_responses(
            signal.values,
            labels if by_class else None,
            name=layer,
            unit=signal.unit,
            xlabel=xlabel,
            title=f"{name}: {layer}",
        ),
        f"responses of {layer}",
        "Every unit (rows) on every stimulus (columns)"
        + (
            "; stimuli sorted by class and units by the class they respond to most, so"
            " class-selective units form a block diagonal. Right: each unit's mean per class."
            if by_class
            else "."
        ),
    )


def _spike_blocks(name: str, activity: Activity, painter: _Painter) -> Iterator[Block]:
    """Raster with population rates, ISI histograms, PSTH per class, cross-correlograms."""
    from neurosim.analysis import spikes  # elephant: imported only for runs with spikes
    from neurosim.report.sections.activity import statistics_blocks as spike_statistics

    stem = name.replace(" ", "_")
    meta = activity.meta
    populations = [p for p, trains in activity.spikes.items() if len(trains.times)]
    onsets = np.asarray(meta.get("onsets", []), dtype=np.float64)
    labels = list(meta.get("labels", []))
    duration = meta.get("presentation_s")
    t0, t1 = _raster_window(activity, onsets)
    classes = _preferred_classes(activity, onsets, labels, duration)
    rates = {}
    for population in populations:
        rate = spikes.instantaneous_rate(activity.spikes[population], t0, t1, sigma=RATE_SIGMA_S)
        rates[population] = (rate.t, rate.values.mean(axis=1))
    yield painter.figure(
        f"{stem}_raster",
        figures.plot_raster_with_rate(
            activity,
            populations,
            t0,
            t1,
            rates,
            classes=classes,
            class_names=[str(c) for c in sorted(set(labels))],
            onsets=onsets,
            labels=labels,
            presentation_s=duration,
            title=f"{name}: spikes and population rate",
        ),
        "spike raster with population rates",
        "One dot per spike; below, each population's mean rate per unit (Gaussian kernel,"
        f" sigma {1e3 * RATE_SIGMA_S:g} ms). Shaded: stimulus presentations, labelled above."
        + (
            " Units grouped by the class whose presentations they fire most for." if classes else ""
        ),
    )
    span = spikes.recording_span(activity)
    yield from spike_statistics(activity)  # the report's table: rates, CVs, Fano, synchrony
    isis = {}
    cvs = {}
    for population in populations:
        trains = activity.spikes[population]
        isis[population] = np.concatenate(
            [np.diff(times) for times in unit_times(trains, span[0], span[1])]
        )
        cv = spikes.isi_cv(trains.window(span[0], span[1]))
        cvs[population] = float(np.median(cv[np.isfinite(cv)])) if np.isfinite(cv).any() else np.nan
    yield painter.figure(
        f"{stem}_isi",
        figures.plot_isi_histograms(isis, cvs, f"{name}: inter-spike intervals"),
        "ISI histograms",
        "Intervals between consecutive spikes of one unit, pooled over the population; the"
        " median ISI CV over units is 1 for Poisson firing and 0 for clockwork.",
    )
    main = max(populations, key=lambda p: (p == "exc", len(activity.spikes[p].times)))
    trains = activity.spikes[main]
    if len(onsets) and duration and len(labels) == len(onsets):
        yield _psth(stem, name, trains, main, onsets, labels, float(duration), painter)
    yield from _correlograms(stem, name, trains, main, span, painter)


def _raster_window(activity: Activity, onsets: np.ndarray) -> tuple[float, float]:
    """The first RASTER_PRESENTATIONS presentations, or the first RASTER_SECONDS."""
    trains = [t for t in activity.spikes.values() if len(t.times)]
    first = min(float(t.times.min()) for t in trains)
    last = max(float(t.times.max()) for t in trains)
    if len(onsets) > RASTER_PRESENTATIONS:
        return min(first, float(onsets[0])), float(onsets[RASTER_PRESENTATIONS])
    if len(onsets):
        return min(first, float(onsets[0])), last + 1e-3
    return first, min(last, first + RASTER_SECONDS) + 1e-3


def _preferred_classes(
    activity: Activity, onsets: np.ndarray, labels: list, duration: object
) -> dict[str, np.ndarray] | None:
    """Per population, each unit's preferred class (index into the sorted labels)."""
    if not duration or len(labels) != len(onsets) or len(set(labels)) < 2:
        return None
    return {
        population: preferred_classes(trains, onsets, float(duration), labels)
        for population, trains in activity.spikes.items()
    }


def _psth(
    stem: str,
    name: str,
    trains: SpikeTrains,
    population: str,
    onsets: np.ndarray,
    labels: list,
    duration: float,
    painter: _Painter,
) -> Figure:
    from neurosim.analysis.spikes import psth

    labels_array = np.asarray(labels)
    before = PSTH_BEFORE_S
    rates, counts, t = {}, {}, np.array([])
    for label in np.unique(labels_array):
        shown = onsets[labels_array == label]
        rate = psth(trains, shown, duration + before, before=before, sigma=RATE_SIGMA_S)
        rates[label], counts[label], t = rate.values.mean(axis=1), len(shown), rate.t
    return painter.figure(
        f"{stem}_psth",
        figures.plot_psth(
            t,
            rates,
            counts,
            population=population,
            presentation_s=duration,
            title=f"{name}: {population} rate after stimulus onset, by class",
        ),
        "PSTH per stimulus class",
        f"Mean rate per {population} unit around the onsets of each class (Gaussian kernel,"
        f" sigma {1e3 * RATE_SIGMA_S:g} ms), averaged over that class's presentations. Classes"
        " that drive the population differently separate here; the legend gives each class's"
        " number of presentations.",
    )


def _correlograms(
    stem: str,
    name: str,
    trains: SpikeTrains,
    population: str,
    span: tuple[float, float, float],
    painter: _Painter,
) -> Iterator[Block]:
    """Cross-correlograms of the CCG_PAIRS pairs, among the CCG_CANDIDATES units that fired
    most, with the most spikes within the correlogram's lags of each other."""
    from neurosim.analysis.spikes import cross_correlogram

    pairs = active_pairs(trains, span[0], span[1])
    if not pairs:
        yield Note(
            f"No cross-correlogram: no two of the {CCG_CANDIDATES} most active {population}"
            f" units fired within {1e3 * CCG_MAX_LAG_S:g} ms of each other."
        )
        return
    correlograms = []
    lags = np.array([])
    for a, b in pairs:
        lags, cch = cross_correlogram(
            trains, a, b, span[0], span[1], bin_size=CCG_BIN_S, max_lag=CCG_MAX_LAG_S
        )
        correlograms.append((f"{population} {a} -> {population} {b}", cch))
    yield painter.figure(
        f"{stem}_cross_correlograms",
        figures.plot_cross_correlograms(
            lags, correlograms, CCG_BIN_S, f"{name}: cross-correlograms of active pairs"
        ),
        "cross-correlograms",
        f"Spikes of the second unit at each lag from a spike of the first ({1e3 * CCG_BIN_S:g} ms"
        f" bins, whole recording), for the pairs among the {CCG_CANDIDATES} most active units"
        " that fired closest together most often. A peak at zero: the pair fires together"
        " (shared input); at a positive lag: the second follows the first.",
    )


def active_pairs(trains: SpikeTrains, t0: float, t1: float) -> list[tuple[int, int]]:
    """Up to CCG_PAIRS pairs of units, among the CCG_CANDIDATES that fired most in [t0, t1),
    with the most spikes within CCG_MAX_LAG_S of each other (pairs that never do: left out)."""
    counts = trains.counts(t0, t1)
    top = [int(u) for u in np.argsort(-counts, kind="stable")[:CCG_CANDIDATES] if counts[u] >= 2]
    times = unit_times(trains, t0, t1)
    near = {
        (a, b): _coincidences(times[a], times[b], CCG_MAX_LAG_S)
        for k, a in enumerate(top)
        for b in top[k + 1 :]
    }
    return [pair for pair in sorted(near, key=lambda p: -near[p]) if near[pair]][:CCG_PAIRS]


def _coincidences(a: np.ndarray, b: np.ndarray, within: float) -> int:
    """Spike pairs (one of `a`, one of `b`, both sorted) at most `within` s apart."""
    return int(
        np.sum(np.searchsorted(b, a + within, "right") - np.searchsorted(b, a - within, "left"))
    )


# --- weights ------------------------------------------------------------------------------------


def _weight_blocks(run: StoredRun, painter: _Painter) -> Iterator[Block]:
    artifacts = run.artifacts
    drawn = []
    for entry in artifacts.entries("receptive_fields"):
        data = artifacts.load(entry)
        weights = np.asarray(data["weights"])
        drawn.append(weights)
        shape = data.get("image_shape")
        signed = bool(entry.meta.get("signed", weights.min() < 0))
        images = shape is not None and len(shape) == 2 and weights.ndim == 2
        if images and weights.shape[1] == int(np.prod(shape)):
            assignments = data.get("assignments")
            yield painter.figure(
                entry.name,
                plot_receptive_fields(
                    weights,
                    tuple(shape),
                    assignments=assignments,
                    signed=signed,
                    title=f"{run.label}: {entry.name.replace('_', ' ')}",
                ),
                f"receptive fields ({len(weights)} units)",
                "Each unit's input weights in the image's shape"
                + (", sorted by the class each unit votes for." if assignments is not None else ".")
                + (" Signed weights: red excites, blue inhibits." if signed else ""),
            )
        elif weights.ndim >= 2:  # one row per unit, whatever shape its inputs have
            flat = weights.reshape(len(weights), -1)
            yield _matrix(painter, entry.name, flat, f"{run.label}: {entry.name}")
    for entry in artifacts.entries("weight_snapshots"):
        data = artifacts.load(entry)
        if POPULATION_CODE <= set(data):  # an actor-critic's population-coded inputs
            names = [str(n) for n in data.get("dimension_names", [])] or None
            yield painter.figure(
                entry.name,
                plot_weight_evolution(
                    data,
                    {"actor": int(data["n_per_action"]), "critic": int(data["n_critic"])},
                    int(data["n_per_dim"]),
                    names,
                    title=f"{run.label}, seed {run.seed}",
                ),
                "weight evolution",
                "Top: the last snapshot, averaged over each group of neurons (rows) against the"
                " inputs of each observation dimension. Bottom: how the weights (the preference"
                " for the last action over the first) changed over training.",
            )
            continue
        for key, values in data.items():
            if values.ndim == 3:  # (snapshot, post, pre): the last one
                yield _matrix(
                    painter, f"{entry.name}_{key}", values[-1], f"{run.label}: {key}, last snapshot"
                )
    state = run.arrays("final_state") or {}
    for key, values in state.items():
        if values.ndim != 2 or min(values.shape) < 2 or key == "initial_weights":
            continue
        if not any(np.array_equal(values, weights) for weights in drawn):
            yield _matrix(
                painter, f"final_state_{key}", values, f"{run.label}: {key} (final state)"
            )


def _matrix(painter: _Painter, name: str, weights: np.ndarray, title: str) -> Figure:
    return painter.figure(
        name,
        figures.plot_weight_matrix(weights, title=title),
        f"weight matrix {name}",
        "Rows are the receiving units, columns the sending ones. Signed weights on a scale"
        " centred on zero (red positive, blue negative).",
    )


# --- connectivity -------------------------------------------------------------------------------

GRAPH_ROWS = (  # graph_statistics key, row title
    ("n_edges", "edges kept"),
    ("density", "density"),
    ("mean_in_degree", "mean in-degree (inputs per receiving unit)"),
    ("mean_out_degree", "mean out-degree (units per sending unit)"),
    ("isolated_pre", "sending units without an edge"),
    ("isolated_post", "receiving units without an edge"),
    ("clustering", "clustering (receptive-field overlap)"),
    ("modularity", "modularity"),
    ("n_communities", "communities"),
)


def _connectivity_blocks(run: StoredRun, painter: _Painter) -> Iterator[Block]:
    """The learned input weights as a graph (its strongest synapses), before and after learning
    where the run kept its initial weights."""
    from neurosim.analysis.connectivity import DEFAULT_THRESHOLD, graph_statistics, weight_graph

    matrices = _learned_weights(run)
    if not matrices:
        return
    stats = {name: graph_statistics(weight_graph(w)) for name, w in matrices.items()}
    header = ["", *(f"{stage} learning" for stage in stats)]
    rows = [[title, *(_format(s[key]) for s in stats.values())] for key, title in GRAPH_ROWS]
    shape = next(iter(matrices.values())).shape
    yield Table(header, rows)
    compared = (
        " The same relative threshold before and after learning, so the two compare."
        if len(stats) > 1
        else ""
    )
    yield Note(
        f"The synapses in the {DEFAULT_THRESHOLD} by |w| of the {shape[0]} x {shape[1]} input"
        " weight matrix as a bipartite graph, sending (input) -> receiving units."
        f"{compared} Clustering is the mean overlap of receiving units' input sets; modularity"
        " is that of Louvain communities."
    )
    yield painter.figure(
        "degree_distributions",
        plot_degree_distributions(
            {
                run.label: {
                    stage: {"in": s["in_degree_histogram"], "out": s["out_degree_histogram"]}
                    for stage, s in stats.items()
                }
            }
        ),
        "degree distributions",
        "How many inputs each receiving unit keeps, and how many units each input drives.",
    )


def _learned_weights(run: StoredRun) -> dict[str, np.ndarray]:
    """The input weight matrix (n_post, n_pre): from the final state (with the initial weights,
    where kept), else from the receptive fields."""
    state = run.arrays("final_state") or {}
    if np.ndim(state.get("weights")) == 2:
        matrices = {"after": state["weights"]}
        if np.shape(state.get("initial_weights")) == np.shape(state["weights"]):
            matrices = {"before": state["initial_weights"], **matrices}
        return matrices
    entries = run.artifacts.entries("receptive_fields")
    if entries:
        weights = run.artifacts.load(entries[0])["weights"]
        if np.ndim(weights) == 2:
            return {"after": weights}
    return {}


def _format(value: object) -> str:
    if isinstance(value, float):
        return "–" if np.isnan(value) else f"{value:.3g}"
    return str(value)


# --- learning curve -----------------------------------------------------------------------------


def _history_blocks(run: StoredRun, painter: _Painter) -> Iterator[Block]:
    rows = [row for row in run.history if any(k in row for k in figures.HISTORY_X)]
    if len(rows) < 2:
        return
    yield painter.figure(
        "learning_curve",
        figures.plot_history(rows, f"{run.label}, seed {run.seed}"),
        "learning curve",
        "What the learner logged during training, against training progress.",
    )
