"""Sections of the sequences family: results per task, loss against the lag T, gradients through
time, gates, the reservoirs' spikes and graphs, and memory capacity.

A group's task parameters (T, read) come from its runs' resolved `task_params`, so a T swept
through the grid and a T set in the task table read alike. Sections that draw one network per
learner draw it at the longest sequences of each task: that is where memory is tested.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from neurosim.analysis.classification import mean_sd
from neurosim.errors import UserError
from neurosim.grid import grid_items, grid_text
from neurosim.metrics import METRICS, Metric, format_value
from neurosim.plotting.sequences import (
    CapacityLine,
    CapacityPanel,
    GradientRecord,
    LagPanel,
    plot_degree_histograms,
    plot_gradients_through_time,
    plot_loss_against_lag,
    plot_memory_capacity,
    plot_reservoir_raster,
    plot_step_heatmaps,
)
from neurosim.registry import TASKS
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Heading, Note, Table
from neurosim.report.grouping import RunGroup, by_task, quantity
from neurosim.report.headline import column_title
from neurosim.report.section import in_family, section
from neurosim.tasks.sequences import COPY_SYMBOLS, SequenceTask

FAMILY = in_family("sequences")
SPLIT = "test"
SIZES = ("n_train", "n_val", "n_test")  # of generated tasks: they change neither loss nor baseline
GRADIENTS = ("epochs", "step_norms", "spectral_radius", "blocks")
CAPACITY = ("lags", "capacity", "total", "n_units")

_TASK_NOTES = {
    "copy": "copy (Arjovsky et al. 2016): the loss is the cross-entropy per step over all T + 20"
    " steps; the memoryless baseline 10 ln 8 / (T + 20) nats outputs blanks with certainty and"
    " guesses each of the 10 recalled symbols uniformly among 8. Accuracy counts the 10 recall"
    " steps only (chance 12.5 %).",
    "adding": "adding (Hochreiter & Schmidhuber 1997): the loss is the squared error of the sum;"
    " the baseline 1/6 predicts the mean sum, 1 (1/6 is the variance of a sum of two U(0, 1)"
    " numbers). Accuracy is the fraction of sequences answered within 0.04 of the sum, their"
    " criterion for a solved sequence.",
    "seq-digits": "seq-digits: the loss is the cross-entropy of the label read after the last"
    " step; the baseline ln 10 = 2.303 nats is a uniform guess over 10 classes (chance accuracy"
    " 10 %). Accuracy is the fraction of labels right.",
}
# the input channels as the tasks lay them out (neurosim.tasks.sequences)
_CHANNELS = {
    "adding": ("number", "marker"),
    "copy": ("blank", *map(str, range(1, COPY_SYMBOLS + 1)), "delimiter"),
}
# what the dashed lines mark on a probe sequence: both are on the last input channel
_MARKS = {
    "adding": "the two marked steps, whose numbers are to be added",
    "copy": "the delimiter, after which the 10 symbols are to be recalled",
}

_LAG_CAPTION = (
    "Test loss against the lag T, one panel per task (log y): lines join the means over seeds,"
    " error bars ± sd, dots are single seeds (points of one T spread sideways so their bars stay"
    " apart); dashed: the memoryless baseline (copy"
    " 10 ln 8 / (T + 20), adding 1/6). A learner that remembers stays well below the dashed line"
    " as T grows; one that meets it has forgotten the start of the sequence."
)
_GRADIENTS_CAPTION = (
    "Top: the mean norm of the loss gradient with respect to the hidden state at step t"
    " (log10, one colour scale for all panels) at each checkpoint of training. The loss is read"
    " at the end of the sequence, so the left edge is farthest from it: a colour that fades"
    " from right to left is a vanishing gradient, one that brightens an exploding one. Bottom:"
    " spectral radius of each recurrent weight block over training; dashed: 1, above which a"
    " linear recurrence amplifies its state."
)
_GATES_CAPTION = (
    "Top: the probe sequence as the network read it (input channels against steps). Below, each"
    " unit's value at every step: gates on one scale from 0 (closed) to 1 (open); candidate,"
    " cell and hidden state on a diverging scale centred on 0.{marks} A network that solves the"
    " task opens its input gate where the information arrives and holds its cell (forget gate"
    " near 1) until the answer is read."
)
_RASTER_CAPTION = (
    "Top: the probe sequence (input channels against time). Below: one dot per spike, each"
    " population in its own colour; grey lines are step boundaries ({step_ms:g} ms per"
    " step).{marks} A reservoir that holds the input keeps an input-specific pattern going"
    " between the events; one that falls silent or fires alike at every step holds nothing."
)
_GRAPH_NOTE = (
    "The recurrent graph of each reservoir setting, mean ± sd over its runs (all seeds and task"
    " settings). Mean degree: edges per node (each edge leaves one node); clustering: directed"
    " clustering coefficient averaged over nodes; path length: mean shortest path within the"
    " largest strongly connected component; spectral radius: largest absolute eigenvalue of the"
    " recurrent weights (in the learner's weight units)."
)
_DEGREES_CAPTION = (
    "Fraction of nodes with each out-degree, averaged over the runs of each setting;"
    " settings with the same graphs (a swept weight scale leaves the graph as it is) share a"
    " line. A random (Erdős–Rényi) graph peaks around its mean degree, a small world"
    " (Watts–Strogatz) is narrower; a heavy right tail means hubs."
)
_STATES_CAPTION = (
    "Top: the probe sequence (input channels against steps). Below, for each reservoir setting,"
    " the state of its first units at every step (diverging scale centred on 0).{marks} A"
    " reservoir with memory keeps a trace of an input for steps after it; one that forgets"
    " follows only the current input, one that is chaotic does not follow it at all."
)
_CAPACITY_CAPTION = (
    "Memory capacity MC_k: how well a linear readout of the reservoir's state recovers the input"
    " k steps back (squared correlation, 1 = perfectly), against k; mean over the runs of each"
    " setting, band ± sd. The legend gives the total MC = Σ_k MC_k, which cannot exceed the"
    " number of units N (Jaeger 2001).{colour} Capacity that falls off early is a short memory."
)
_GRAPH_COLUMNS = {
    "n_nodes": Metric("nodes", decimals=0),
    "n_edges": Metric("edges", decimals=0),
    "mean_degree": Metric("mean degree", decimals=2),
    "clustering": Metric("clustering", decimals=3),
    "path_length": Metric("path length", decimals=2),
    "spectral_radius": Metric("spectral radius", decimals=3),
}


@section("sequence-results", "Sequence results", 100, applies=FAMILY)
def results(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    """One table per task: its loss has its own name and baseline."""
    blocks: list[Block] = [Note(_legend(("loss", "loss_ratio")))]
    for task_name, members in by_task(groups).items():
        task = _task(members[0])
        parameter = "T" if any("T" in _task_params(g) for g in members) else "read"
        headers = [
            parameter,
            "label",
            "learner",
            "seeds",
            f"{SPLIT} loss: {task.loss_name}" if task else f"{SPLIT} loss",
            "baseline",
            column_title(SPLIT, "loss_ratio"),
            column_title(SPLIT, "accuracy"),
            METRICS.get("fit_s").title,
        ]
        rows = [
            [
                _parameter_cell(group, parameter),
                _setting(group),
                group.learner,
                len(group.runs),
                *(format_value(m, group.values(SPLIT, m)) for m in ("loss",)),
                _baseline_cell(group),
                *(format_value(m, group.values(SPLIT, m)) for m in ("loss_ratio", "accuracy")),
                format_value("fit_s", group.timings("fit_s")),
            ]
            for group in sorted(members, key=lambda g: (_steps(g), _setting(g)))
        ]
        blocks += [Heading(task_name), Table(headers, rows)]
        if task_name in _TASK_NOTES:
            blocks.append(Note(_TASK_NOTES[task_name]))
    return blocks


@section("loss-against-lag", "Loss against the lag T", 200, applies=FAMILY)
def loss_against_lag(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    panels = []
    for task_name, members in by_task(groups).items():
        lags = [_task_params(g).get("T") for g in members]
        if None in lags or len(set(lags)) < 2:
            continue
        lines: dict[str, list[tuple[float, list[float]]]] = {}
        for group, lag in zip(members, lags, strict=True):
            if values := group.values(SPLIT, "loss"):
                lines.setdefault(_setting(group), []).append((float(lag), values))
        tasks = {lag: _task(g) for g, lag in zip(members, lags, strict=True)}
        baseline = [(float(lag), t.baseline_loss) for lag, t in tasks.items() if t is not None]
        task = next(iter(tasks.values()))
        ylabel = f"{SPLIT} loss: {task.loss_name}" if task else f"{SPLIT} loss"
        if lines and baseline:
            panels.append(LagPanel(task_name, ylabel, lines, baseline))
    if not panels:
        return []
    fig = plot_loss_against_lag(panels)
    alt = "test loss against the lag T per task"
    return [Figure.from_matplotlib(fig, "loss_against_lag", alt, _LAG_CAPTION)]


@section("gradients-through-time", "Gradients through time", 400, applies=FAMILY, needs=("arrays",))
def gradients_through_time(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    blocks: list[Block] = []
    chosen = _with(context, groups, "arrays", "gradients_through_time")
    for task_name, members in _longest(chosen).items():
        models = {}
        for group in members:
            found = context.first_with(group, "arrays", "gradients_through_time", GRADIENTS)
            if found is not None:
                run, data = found
                models[f"{_setting(group)}, seed {run.seed}"] = GradientRecord(
                    data["epochs"],
                    data["step_norms"],
                    data["spectral_radius"].reshape(len(data["epochs"]), -1),
                    [str(b) for b in data["blocks"]],
                )
        if not models:
            continue
        point = _point(members[0])
        fig = plot_gradients_through_time(models, f"{task_name}, {point}: gradients through time")
        alt = f"gradient norms against step and epoch on {task_name}"
        blocks += [
            Heading(f"{task_name}, {point}"),
            Figure.from_matplotlib(fig, f"gradients_{task_name}", alt, _GRADIENTS_CAPTION),
        ]
    return blocks


@section("gates", "Gates on a probe sequence", 405, applies=FAMILY, needs=("activity",))
def gates(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    blocks: list[Block] = []
    chosen = _with(context, groups, "activity", "gates")
    for task_name, members in _longest(chosen).items():
        for group in members:
            found = context.first_with(group, "activity", "gates")
            if found is None:
                continue
            run, activity = found
            signals = activity.signals
            gate_names = [n for n in signals if n.endswith("_gate")]
            if "input" not in signals or not gate_names:
                continue  # a plain RNN has no gates to show
            order = [*gate_names, "candidate", "cell", "hidden"]
            shown = {n: signals[n] for n in order if n in signals}
            inputs = signals["input"].values
            marks = _marked_steps(task_name, inputs)
            meta = activity.meta
            title = (
                f"{_setting(group)} on {task_name}, {_point(group)}, seed {run.seed}: probe"
                f" sequence {meta.get('sequence', 0)}{_target_text(meta.get('target'))}"
            )
            fig = plot_step_heatmaps(inputs, shown, marks, title, _CHANNELS.get(task_name))
            marks_text = f" Orange triangles: {_MARKS[task_name]}." if marks else ""
            blocks += [
                Heading(f"{_setting(group)} ({task_name}, {_point(group)})"),
                Figure.from_matplotlib(
                    fig,
                    f"gates_{task_name}_{group.name}",
                    f"gates of {group.title} on a probe sequence",
                    _GATES_CAPTION.format(marks=marks_text),
                ),
            ]
    return blocks


@section("reservoir", "Reservoirs", 420, applies=FAMILY, needs=("json",))
def reservoirs(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    """The graph of each reservoir setting (pooled over tasks), then its spikes per task."""
    graphs: dict[str, tuple[RunGroup, list[dict[str, Any]]]] = {}
    for group in _with(context, groups, "json", "graph"):
        loaded = [
            data
            for run in group.runs
            if isinstance(data := context.load_first(run, "json", "graph"), dict)
        ]
        if loaded:
            graphs.setdefault(_setting(group), (group, []))[1].extend(loaded)
    blocks: list[Block] = []
    if graphs:
        blocks += [_graph_table(graphs), Note(_GRAPH_NOTE)]
        histograms = _distinct_histograms(graphs)
        fig = plot_degree_histograms(histograms)
        alt = "degree histograms of the reservoir graphs"
        blocks.append(Figure.from_matplotlib(fig, "degree_histograms", alt, _DEGREES_CAPTION))
    for task_name, members in _longest(_with(context, groups, "activity", "raster")).items():
        for group in members:
            blocks += _raster(context, group, task_name)
    for task_name, members in _longest(_with(context, groups, "activity", "states")).items():
        blocks += _states(context, members, task_name)
    return blocks


@section("memory-capacity", "Memory capacity", 430, applies=FAMILY, needs=("arrays",))
def memory_capacity(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    """One panel per learner label, one line per setting, pooled over its runs and tasks."""
    pooled: dict[str, dict[str, list[dict[str, np.ndarray]]]] = {}
    grids: dict[str, dict[str, Any]] = {}
    for group in _with(context, groups, "arrays", "memory_capacity"):
        setting = _own_grid(group)
        key = grid_text(setting) or group.label
        grids[key] = setting
        for run in group.runs:
            data = context.load_first(run, "arrays", "memory_capacity", CAPACITY)
            if data is not None:
                pooled.setdefault(group.label, {}).setdefault(key, []).append(data)
    panels = [_capacity_panel(label, lines, grids) for label, lines in pooled.items()]
    if not panels:
        return []
    fig = plot_memory_capacity(panels)
    swept = [p.parameter for p in panels if p.parameter]
    colour = (
        f" Lines are coloured by {', '.join(dict.fromkeys(swept))} (dark: low, yellow: high)."
        if swept
        else ""
    )
    alt = "memory capacity against lag per reservoir"
    return [
        Figure.from_matplotlib(fig, "memory_capacity", alt, _CAPACITY_CAPTION.format(colour=colour))
    ]


def _capacity_panel(
    label: str, lines: dict[str, list[dict[str, np.ndarray]]], grids: dict[str, dict[str, Any]]
) -> CapacityPanel:
    """Colour by the one numeric setting that varies between the panel's lines, if there is one."""
    points = [grids[key] for key in lines]
    varying = [
        name
        for name in dict.fromkeys(k for p in points for k in p)
        if len({str(p.get(name)) for p in points}) > 1
        and all(quantity(p.get(name)) is not None for p in points)
    ]
    parameter = varying[0] if len(varying) == 1 else None
    drawn = []
    for key, runs in lines.items():
        lags = runs[0]["lags"]
        same = [r for r in runs if np.array_equal(r["lags"], lags)]
        value = quantity(grids[key][parameter])[0] if parameter else None
        drawn.append(
            CapacityLine(
                key if key != label else label,
                lags,
                np.stack([r["capacity"] for r in same]),
                [float(r["total"]) for r in same],
                int(same[0]["n_units"]),
                value,
            )
        )
    drawn.sort(key=lambda line: (line.value is None, line.value or 0.0, line.label))
    return CapacityPanel(label, drawn, parameter)


def _graph_table(graphs: dict[str, tuple[RunGroup, list[dict[str, Any]]]]) -> Table:
    rows = []
    for setting, (group, loaded) in graphs.items():
        generators = dict.fromkeys(str(g.get("generator", "–")) for g in loaded)
        cells = []
        for key, metric in _GRAPH_COLUMNS.items():
            values = [float(g[key]) for g in loaded if key in g and g[key] is not None]
            mean, sd = mean_sd(values)
            cells.append(metric.format(mean, sd, len(values)))
        rows.append([setting, group.learner, len(loaded), ", ".join(generators), *cells])
    headers = ["label", "learner", "runs", "generator", *(m.name for m in _GRAPH_COLUMNS.values())]
    return Table(headers, rows)


def _raster(context: ReportContext, group: RunGroup, task_name: str) -> list[Block]:
    found = context.first_with(group, "activity", "raster")
    if found is None:
        return []
    run, activity = found
    meta = activity.meta
    if not activity.spikes or "step_ms" not in meta:
        return []
    step_ms = float(meta["step_ms"])
    probe = context.load_first(run, "arrays", "probe_outputs", ("x",))
    sequence = int(meta.get("sequence", 0))
    inputs = probe["x"][sequence] if probe is not None and len(probe["x"]) > sequence else None
    marks = _marked_steps(task_name, inputs) if inputs is not None else []
    title = (
        f"{_setting(group)} on {task_name}, {_point(group)}, seed {run.seed}:"
        f" probe sequence {sequence}"
    )
    steps = int(meta.get("steps", len(inputs) if inputs is not None else 0))
    channels = _CHANNELS.get(task_name)
    fig = plot_reservoir_raster(activity, inputs, step_ms, steps, marks, title, channels)
    marks_text = f" Orange (triangles, shading): {_MARKS[task_name]}." if marks else ""
    caption = _RASTER_CAPTION.format(step_ms=step_ms, marks=marks_text)
    return [
        Heading(f"{_setting(group)} ({task_name}, {_point(group)})"),
        Figure.from_matplotlib(
            fig, f"raster_{task_name}_{group.name}", f"spikes of {group.title}", caption
        ),
    ]


def _states(context: ReportContext, groups: Sequence[RunGroup], task_name: str) -> list[Block]:
    """One figure per task: the probe sequence, then each setting's states on it."""
    states, inputs, seeds = {}, None, set()
    for group in groups:
        found = context.first_with(group, "activity", "states")
        if found is None or "state" not in found[1].signals:
            continue
        run, activity = found
        probe = context.load_first(run, "arrays", "probe_outputs", ("x",))
        if probe is None:
            continue
        inputs = probe["x"][int(activity.meta.get("sequence", 0))]
        states[_setting(group)] = activity.signals["state"]
        seeds.add(run.seed)
    if inputs is None:
        return []
    point = _point(groups[0])
    seed = ", ".join(map(str, sorted(seeds)))
    title = f"{task_name}, {point}, seed {seed}: reservoir states on probe sequence"
    fig = plot_step_heatmaps(
        inputs,
        states,
        _marked_steps(task_name, inputs),
        title,
        _CHANNELS.get(task_name),
        titled=True,
    )
    marks_text = f" Orange triangles: {_MARKS[task_name]}." if task_name in _MARKS else ""
    return [
        Heading(f"States ({task_name}, {point})"),
        Figure.from_matplotlib(
            fig,
            f"states_{task_name}",
            f"reservoir states on a probe sequence of {task_name}",
            _STATES_CAPTION.format(marks=marks_text),
        ),
    ]


def _distinct_histograms(
    graphs: dict[str, tuple[RunGroup, list[dict[str, Any]]]],
) -> dict[str, np.ndarray]:
    """Mean degree histogram per setting; settings with the same graphs (a swept weight scale
    does not change the graph) share one line, named by all of them."""
    lines: dict[bytes, tuple[list[str], np.ndarray]] = {}
    for setting, (_, loaded) in graphs.items():
        histogram = _mean_histogram([g.get("degree_histogram", []) for g in loaded])
        if len(histogram):
            lines.setdefault(histogram.tobytes(), ([], histogram))[0].append(setting)
    return {"\n".join(names): histogram for names, histogram in lines.values()}


def _mean_histogram(histograms: list[list[float]]) -> np.ndarray:
    longest = max((len(h) for h in histograms), default=0)
    padded = [np.pad(np.asarray(h, float), (0, longest - len(h))) for h in histograms]
    return np.mean(padded, axis=0) if padded else np.array([])


def _legend(metrics: Sequence[str]) -> str:
    described = "; ".join(f"{m}: {METRICS.get(m).description}" for m in metrics)
    return f"Test split, mean ± sd over seeds. {described}."


def _with(
    context: ReportContext, groups: Sequence[RunGroup], kind: str, name: str
) -> list[RunGroup]:
    """The groups some run of which recorded the artifact `name` of `kind`."""
    return [g for g in groups if any(context.entries(run, kind, name) for run in g.runs)]


def _longest(groups: Sequence[RunGroup]) -> dict[str, list[RunGroup]]:
    """Per task, the groups with the longest sequences (the largest T, pixels over rows)."""
    chosen = {}
    for task_name, members in by_task(groups).items():
        longest = max(_steps(g) for g in members)
        chosen[task_name] = [g for g in members if _steps(g) == longest]
    return chosen


def _task_params(group: RunGroup) -> dict[str, Any]:
    return group.runs[0].config.get("task_params") or {}


def _task(group: RunGroup) -> SequenceTask | None:
    return _built_task(group.task, json.dumps(_task_params(group), sort_keys=True))


@functools.cache
def _built_task(name: str, params: str) -> SequenceTask | None:
    """The task at these parameters, built small: its loss name, baseline and length. None when
    it cannot be built here (a task no longer registered, or of another family)."""
    values = json.loads(params)
    values.update({key: 10 for key in SIZES if key in values})
    try:
        task = TASKS.get(name)(seed=0, **values)
    except UserError:
        return None
    return task if isinstance(task, SequenceTask) else None


def _steps(group: RunGroup) -> int:
    task = _task(group)
    return task.steps if task else 0


def _own_grid(group: RunGroup) -> dict[str, Any]:
    """The group's grid point without its task parameters: the learner's own setting."""
    params = _task_params(group)
    return {k: v for k, v in grid_items(group.grid) if k not in params}


def _setting(group: RunGroup) -> str:
    """E.g. "esn [spectral_radius=0.9]": the label and its own grid point, no task parameter."""
    own = _own_grid(group)
    return f"{group.label} [{grid_text(own)}]" if own else group.label


def _parameter_cell(group: RunGroup, parameter: str) -> str:
    params = _task_params(group)
    if parameter not in params:
        return "–"
    permuted = ", permuted" if parameter == "read" and params.get("permute") else ""
    return f"{params[parameter]}{permuted}"


def _point(group: RunGroup) -> str:
    """E.g. "T = 100" or "read = pixels"."""
    params = _task_params(group)
    name = "T" if "T" in params else "read"
    return f"{name} = {_parameter_cell(group, name)}"


def _baseline_cell(group: RunGroup) -> str:
    task = _task(group)
    return METRICS.get("loss").format(task.baseline_loss) if task else "–"


def _marked_steps(task_name: str, inputs: np.ndarray) -> list[int]:
    """adding's markers and copy's delimiter are both the last input channel."""
    if task_name not in _MARKS or inputs.ndim != 2:
        return []
    return [int(step) for step in np.flatnonzero(inputs[:, -1] > 0.5)]


def _target_text(target: Any) -> str:
    if target is None:
        return ""
    if isinstance(target, list):  # copy: blanks (0) then the symbols to recall
        return ", target " + " ".join(str(v) for v in target if v)
    return f", target {float(target):.3g}"
