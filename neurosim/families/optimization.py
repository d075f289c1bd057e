"""The optimization family: a point descending a 2-D test function, and how to score the descent.

A task is a surface (Rosenbrock, a saddle, ...) with its start point, its known minima and its
saddle; a learner moves one point (x, y) over it and keeps the whole trajectory. Every learner
is scored the same way from that trajectory, so optimizers land in one table: steps until the
point first came within `tolerance` of a minimum, where it ended, whether it escaped a saddle,
and the index of the point it ended at (the number of negative Hessian eigenvalues: 0 at a
minimum, 1 at an ordinary saddle).

The function is written once with the array module as an argument, `f(x, y, xp)`, so the same
code draws contours on numpy grids (tasks, reports) and is differentiated on torch tensors (in
`neurosim.deep`); this module imports no torch.
"""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from neurosim.learner import Learner, Recorder
from neurosim.metrics import METRICS, Metric
from neurosim.tasks.base import ProbeSet, Task

Point = tuple[float, float]
# f(x, y, xp): x, y arrays (numpy) or tensors (torch); xp the module providing cos etc.
SurfaceFunction = Callable[[Any, Any, Any], Any]
SPLIT = "final"  # what the runner scores: the trajectory's end and its path there
TRAJECTORY = "trajectory"  # the arrays artifact: x, y, loss at every step (step 0: the start)

METRICS.declare(
    Metric(
        "steps_to_minimum",
        "step from which the point stays within the task's tolerance of a known minimum",
        "",
        False,
        True,
        decimals=0,
    ),
    Metric(
        "first_reach_steps",
        "first step within the task's tolerance of a known minimum (it may leave again)",
        "",
        False,
        decimals=0,
    ),
    Metric(
        "distance_to_minimum",
        "distance from the end point to the nearest known minimum",
        "",
        False,
        True,
    ),
    Metric("final_loss", "f at the end point minus the function's minimum", "", False),
    Metric(
        "escape_steps",
        "saddles: first step with f below f(saddle) - escape_drop (none: never, or no saddle)",
        "",
        False,
        True,
        decimals=0,
    ),
    Metric(
        "negative_curvature",
        "negative eigenvalues of the Hessian at the end point (0: minimum, 1: saddle)",
        "",
        decimals=0,
    ),
    Metric("gradient_norm", "|grad f| at the end point (near 0: a critical point)", ""),
    Metric("final_x", "x of the end point", ""),
    Metric("final_y", "y of the end point", ""),
    Metric(
        "steps_run", "steps taken (fewer than the budget: the point left the bound)", "", decimals=0
    ),
)


@dataclasses.dataclass(frozen=True)
class SurfaceTask(Task):
    """A 2-D test function, where descent starts, and what is known about its critical points.

    `minima` may be empty (a saddle unbounded below); `f_min` is then NaN. `bound`: a run stops
    when the point is farther than this from the origin (it diverged, or fell off a function
    unbounded below), so no value overflows.
    """

    family: ClassVar[str] = "optimization"
    name: str
    seed: int
    f: SurfaceFunction
    start: Point
    minima: tuple[Point, ...]
    f_min: float
    saddle: Point | None
    bounds: tuple[Point, Point]  # plot ranges: (x_min, x_max), (y_min, y_max)
    tolerance: float
    escape_drop: float
    log_contours: bool
    bound: float
    references: dict[str, str] = dataclasses.field(default_factory=dict)
    params: dict[str, object] = dataclasses.field(default_factory=dict)

    evaluation_splits = (SPLIT,)

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """f on numpy arrays (contours, the trajectory's loss)."""
        return self.f(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), np)

    def probe_set(self, n: int = 10) -> ProbeSet:
        """The start point: the one input every learner of this family is handed."""
        return ProbeSet("start", np.array([self.start], dtype=np.float64), None)


@dataclasses.dataclass(frozen=True)
class Descent:
    """A trajectory: points (steps + 1, 2), step 0 the start, and f along it."""

    points: np.ndarray
    loss: np.ndarray

    def distances_to(self, target: Point) -> np.ndarray:
        return np.hypot(self.points[:, 0] - target[0], self.points[:, 1] - target[1])


def first_step(mask: np.ndarray) -> float:
    """Index of the first True, NaN when none is."""
    hits = np.flatnonzero(mask)
    return float(hits[0]) if len(hits) else float("nan")


def settled_step(mask: np.ndarray) -> float:
    """The first index from which `mask` stays True to the end, NaN when its last entry is
    False: a point that passes through a minimum's neighbourhood and leaves has not reached it."""
    misses = np.flatnonzero(~mask)
    if len(misses) and misses[-1] == len(mask) - 1:
        return float("nan")
    return float(misses[-1] + 1) if len(misses) else 0.0


def descent_metrics(task: SurfaceTask, descent: Descent) -> dict[str, float]:
    """The metrics that depend only on the trajectory (the Hessian's come from the learner)."""
    end = descent.points[-1]
    nan = float("nan")
    scores = {
        "steps_to_minimum": nan,
        "first_reach_steps": nan,
        "distance_to_minimum": nan,
        "final_loss": nan,
        "escape_steps": nan,
        "final_x": float(end[0]),
        "final_y": float(end[1]),
        "steps_run": float(len(descent.points) - 1),
    }
    if task.minima:
        nearest = np.min([descent.distances_to(m) for m in task.minima], axis=0)
        scores["steps_to_minimum"] = settled_step(nearest <= task.tolerance)
        scores["first_reach_steps"] = first_step(nearest <= task.tolerance)
        scores["distance_to_minimum"] = float(nearest[-1])
        scores["final_loss"] = float(descent.loss[-1] - task.f_min)
    if task.saddle is not None:
        level = float(task.value(*task.saddle))
        scores["escape_steps"] = first_step(descent.loss <= level - task.escape_drop)
    return scores


class SurfaceLearner(Learner):
    """A Learner for SurfaceTasks: `fit` records the trajectory; `hessian` gives the curvature
    at a point (a learner that differentiates knows how)."""

    task_family = SurfaceTask
    metrics = (
        "steps_to_minimum",
        "first_reach_steps",
        "distance_to_minimum",
        "final_loss",
        "escape_steps",
        "negative_curvature",
        "gradient_norm",
        "final_x",
        "final_y",
        "steps_run",
    )
    artifacts: ClassVar[tuple[str, ...]] = ("arrays",)

    descent_: Descent

    @abstractmethod
    def derivatives(self, task: SurfaceTask, point: Point) -> tuple[np.ndarray, np.ndarray]:
        """The gradient (2,) and the Hessian (2, 2) of the task's function at `point`."""

    def record_descent(self, recorder: Recorder, descent: Descent) -> None:
        self.descent_ = descent
        recorder.arrays(
            TRAJECTORY, x=descent.points[:, 0], y=descent.points[:, 1], loss=descent.loss
        )

    def evaluate(self, task: SurfaceTask, split: str) -> dict[str, float]:
        scores = descent_metrics(task, self.descent_)
        gradient, hessian = self.derivatives(task, (scores["final_x"], scores["final_y"]))
        finite = bool(np.all(np.isfinite(hessian)))
        eigenvalues = np.linalg.eigvalsh(hessian) if finite else np.full(2, np.nan)
        scores = {
            **scores,
            "negative_curvature": float(np.sum(eigenvalues < 0)) if finite else float("nan"),
            "gradient_norm": float(np.linalg.norm(gradient)),
        }
        # a point that jumped far past the bound can overflow f or its derivatives: NaN, not inf
        return {key: value if np.isfinite(value) else float("nan") for key, value in scores.items()}
