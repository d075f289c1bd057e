"""Sections of the optimization lab: optimizer paths over the 2-D test functions, distance to
the minimum against steps, and a table of steps to the minimum at each optimizer's best rate.

A spec gives each optimizer its own `[[learner]]` table (label = the optimizer) and a grid over
its learning rate. Figures and the table show, per function and label, the group at its best
rate: fewest steps until the point settles within the tolerance of a minimum (on saddles: fewest
steps to escape), over the seeds that got there; ties and rates that never got there are
ranked by the end point's mean f (lower first), then by the smaller rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from neurosim.families.optimization import SPLIT, TRAJECTORY, SurfaceTask
from neurosim.metrics import format_value
from neurosim.plotting.descent import (
    GRID,
    Path,
    SurfacePanel,
    plot_descent_curves,
    plot_descent_paths,
)
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Note, Table
from neurosim.report.grouping import RunGroup, by_task
from neurosim.report.section import in_family, section
from neurosim.tasks import make_task
from neurosim.tasks.surfaces import SURFACES

OPTIMIZER_ORDER = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
CURVE_FLOOR = 1e-12  # distances below this are drawn at it (log axis)
CRITICAL = 1e-2  # |grad f| below this: the end point counts as a critical point
SHORT = 100  # an end point this many tolerances from a minimum is "short of" it

_PATHS_CAPTION = (
    "Each optimizer's path at its best learning rate (first seed) over the function's contours"
    " ({scale}; darker = lower). White circle: start; dot: where the path ended; red star: the"
    " known minimum; black cross: the saddle. A path that leaves the frame diverged or fell off"
    " a function unbounded below."
)
_CURVES_CAPTION = (
    "The same paths against steps. Functions with a minimum: distance from the point to the"
    " nearest known minimum (log; floored at {floor:g}), dashed: the tolerance. Saddles: f minus"
    " its value at the saddle (symlog: linear within ±0.01; drawn at -1e4 below that: the point"
    " fell off a function unbounded below), dashed: the escape level (f this far below the"
    " saddle counts as escaped)."
)
_TABLE_NOTE = (
    "Per function and optimizer, the learning rate of the grid with the fewest steps until the"
    " point stays within the tolerance of a minimum (saddles: fewest steps until f falls"
    " escape_drop below the saddle's value), counting only seeds that got there, seeds that did"
    " not ranked after; ties and rates that never got there go by the end point's mean f, then"
    " by the smaller rate. Steps: mean ± sd over the seeds that got there ('–': none did)."
    " First within tolerance: the first step the point came that close, though it may have"
    " left again (Adam and RMSprop at a constant rate can circle a minimum rather than settle)."
    " First within tolerance: the first step the point came that close, though it may have"
    " left again (Adam and RMSprop at a constant rate circle a minimum rather than settle)."
    " Ended at: the end point of each seed (×n: n seeds alike): at a minimum (within the"
    " tolerance), short of one (within {short} tolerances), at a critical point of the given"
    " Hessian index (|grad f| < {critical:g}), or still moving; 'left the bound': the run stopped"
    " beyond the task's bound. Other rates: steps at each rate tried ('never': not within the"
    " run's steps)."
)


optimization = in_family("optimization")


def task_of(group: RunGroup) -> SurfaceTask:
    """The group's task, rebuilt from the parameters its first run recorded (numpy only)."""
    run = group.runs[0]
    return make_task(run.task, run.seed, **run.config.get("task_params", {}))


def learning_rate(group: RunGroup) -> float:
    return float(group.runs[0].config.get("params", {}).get("lr", math.nan))


def target_metric(task: SurfaceTask) -> str:
    """What 'arrived' means on this function: a minimum when it has one, else the escape."""
    return "steps_to_minimum" if task.minima else "escape_steps"


def end_values(task: SurfaceTask, group: RunGroup) -> list[float]:
    """f at each seed's end point."""
    return [
        float(task.value(run.metrics[SPLIT]["final_x"], run.metrics[SPLIT]["final_y"]))
        for run in group.runs
        if SPLIT in run.metrics
    ]


def rank(task: SurfaceTask, group: RunGroup) -> tuple[int, float, float, float]:
    """Sort key, best first: seeds that did not arrive, mean steps of those that did, mean end
    value, learning rate."""
    steps = np.asarray(group.values(SPLIT, target_metric(task)), dtype=np.float64)
    arrived = steps[np.isfinite(steps)]
    values = np.asarray(end_values(task, group), dtype=np.float64)
    mean_value = float(np.mean(values)) if len(values) and np.all(np.isfinite(values)) else math.inf
    return (
        int(len(steps) - len(arrived)),
        float(np.mean(arrived)) if len(arrived) else math.inf,
        mean_value,
        learning_rate(group),
    )


def best_groups(groups: Sequence[RunGroup]) -> dict[str, dict[str, RunGroup]]:
    """Per task, per label, the group at its best learning rate (labels in optimizer order)."""
    chosen: dict[str, dict[str, RunGroup]] = {}
    tasks = by_task(groups)
    for task_name in sorted(tasks, key=_task_order):
        members = tasks[task_name]
        task = task_of(members[0])
        best: dict[str, RunGroup] = {}
        for group in sorted(members, key=lambda g: rank(task, g)):
            best.setdefault(group.label, group)
        chosen[task_name] = {label: best[label] for label in sorted(best, key=_order)}
    return chosen


def _task_order(task: str) -> tuple[int, str]:
    """The functions in the order of `neurosim.tasks.surfaces` (easy to hard); others after."""
    names = list(SURFACES)
    return (names.index(task) if task in names else len(names), task)


def _order(label: str) -> tuple[int, str]:
    known = label in OPTIMIZER_ORDER
    return (OPTIMIZER_ORDER.index(label) if known else len(OPTIMIZER_ORDER), label)


def _colors(groups: Sequence[RunGroup]) -> dict[str, str]:
    labels = sorted({g.label for g in groups}, key=_order)
    return {label: f"C{i % 10}" for i, label in enumerate(labels)}


# ---------------------------------------------------------------- figures


def _contour_grid(task: SurfaceTask) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    (x0, x1), (y0, y1) = task.bounds
    xs, ys = np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID)
    values = task.value(*np.meshgrid(xs, ys)) - _reference_value(task)
    return xs, ys, values


def _reference_value(task: SurfaceTask) -> float:
    """f_min, or f at the saddle for functions without a minimum."""
    if task.minima:
        return task.f_min
    return float(task.value(*task.saddle)) if task.saddle is not None else 0.0


def _curve(task: SurfaceTask, x: np.ndarray, y: np.ndarray, loss: np.ndarray) -> np.ndarray:
    if task.minima:
        distance = np.min([np.hypot(x - mx, y - my) for mx, my in task.minima], axis=0)
        return np.maximum(distance, CURVE_FLOOR)
    return loss - _reference_value(task)


def _panel(
    context: ReportContext, task_name: str, best: dict[str, RunGroup]
) -> SurfacePanel | None:
    task = task_of(next(iter(best.values())))
    paths = []
    for label, group in best.items():
        found = context.first_with(group, "arrays", TRAJECTORY, ("x", "y", "loss"))
        if found is not None:
            _, data = found
            curve = _curve(task, data["x"], data["y"], data["loss"])
            paths.append(Path(label, data["x"], data["y"], curve))
    if not paths:
        return None
    xs, ys, values = _contour_grid(task)
    threshold = task.tolerance if task.minima else -task.escape_drop
    start = f"start ({task.start[0]:g}, {task.start[1]:g})"
    return SurfacePanel(
        f"{task_name}, {start}",
        xs,
        ys,
        values,
        task.log_contours,
        task.start,
        task.minima,
        task.saddle,
        paths,
        threshold,
    )


def _panels(context: ReportContext, groups: Sequence[RunGroup]) -> list[SurfacePanel]:
    return [
        panel
        for task_name, best in best_groups(groups).items()
        if (panel := _panel(context, task_name, best)) is not None
    ]


def _scale_text(panels: Sequence[SurfacePanel]) -> str:
    logs = [p.title.partition(",")[0] for p in panels if p.log]
    if not logs:
        return "linearly spaced levels"
    return f"log-spaced levels of f - f_min on {', '.join(logs)}, linear elsewhere"


@section("descent-paths", "Optimizer paths on the test functions", 205, optimization, ("arrays",))
def descent_paths(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    panels = _panels(context, groups)
    if not panels:
        return []
    fig = plot_descent_paths(panels, _colors(groups))
    caption = _PATHS_CAPTION.format(scale=_scale_text(panels))
    alt = "optimizer paths over the contours of each test function"
    return [Figure.from_matplotlib(fig, "descent_paths", alt, caption)]


@section("descent-curves", "Distance to the minimum against steps", 305, optimization, ("arrays",))
def descent_curves(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    panels = _panels(context, groups)
    if not panels:
        return []
    fig = plot_descent_curves(panels, _colors(groups))
    caption = _CURVES_CAPTION.format(floor=CURVE_FLOOR)
    alt = "distance to the minimum, or f below the saddle, against steps"
    return [Figure.from_matplotlib(fig, "descent_curves", alt, caption)]


# ---------------------------------------------------------------- the table


def describe_end(task: SurfaceTask, metrics: dict[str, float]) -> str:
    """Where one run ended, in words."""
    x, y = metrics["final_x"], metrics["final_y"]
    where = f"({x:.4g}, {y:.4g})"
    if math.hypot(x, y) > task.bound:
        return "left the bound"
    distances = [(math.hypot(x - mx, y - my), (mx, my)) for mx, my in task.minima]
    distance, (mx, my) = min(distances, default=(math.inf, (math.nan, math.nan)))
    if distance <= task.tolerance:
        return f"minimum ({mx:g}, {my:g})"
    if distance <= SHORT * task.tolerance:
        return f"short of the minimum at {where}, distance {distance:.2g}"
    if metrics["gradient_norm"] < CRITICAL:
        index = int(metrics["negative_curvature"])
        kind = {0: "local minimum", 1: "saddle", 2: "maximum"}[index]
        return f"{kind} {where}"
    return f"moving at {where}, |grad f| {metrics['gradient_norm']:.2g}"


def _ended_at(task: SurfaceTask, group: RunGroup) -> str:
    ends = [describe_end(task, run.metrics[SPLIT]) for run in group.runs if SPLIT in run.metrics]
    counts = {text: ends.count(text) for text in dict.fromkeys(ends)}
    return "; ".join(text if n == 1 else f"{text} ×{n}" for text, n in counts.items())


def _steps_text(task: SurfaceTask, group: RunGroup) -> str:
    metric = target_metric(task)
    values = group.values(SPLIT, metric)
    arrived = sum(math.isfinite(v) for v in values)
    text = format_value(metric, values)
    return text if arrived in (0, len(values)) else f"{text} ({arrived}/{len(values)} seeds)"


def _other_rates(task: SurfaceTask, members: Sequence[RunGroup]) -> str:
    parts = []
    for group in sorted(members, key=learning_rate):
        steps = group.values(SPLIT, target_metric(task))
        arrived = [v for v in steps if math.isfinite(v)]
        text = f"{np.mean(arrived):.0f}" if arrived else "never"
        parts.append(f"{learning_rate(group):g}: {text}")
    return ", ".join(parts)


@section("descent-table", "Steps to the minimum at each optimizer's best rate", 105, optimization)
def descent_table(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    rows = []
    tasks = by_task(groups)
    for task_name, best in best_groups(groups).items():
        task = task_of(next(iter(best.values())))
        for label, group in best.items():
            members = [g for g in tasks[task_name] if g.label == label]
            distance = format_value(
                "distance_to_minimum", group.values(SPLIT, "distance_to_minimum")
            )
            rows.append(
                [
                    task_name,
                    label,
                    f"{learning_rate(group):g}",
                    len(group.runs),
                    _steps_text(task, group) if task.minima else "–",
                    format_value("first_reach_steps", group.values(SPLIT, "first_reach_steps"))
                    if task.minima
                    else "–",
                    distance,
                    _steps_text(task, group)
                    if task.saddle is not None and not task.minima
                    else "–",
                    _ended_at(task, group),
                    _other_rates(task, members),
                ]
            )
    if not rows:
        return []
    headers = [
        "function",
        "optimizer",
        "best lr",
        "seeds",
        "steps to minimum",
        "first within tolerance",
        "final distance",
        "escape steps",
        "ended at",
        "other rates (steps)",
    ]
    return [Table(headers, rows), Note(_TABLE_NOTE.format(critical=CRITICAL, short=SHORT))]
