"""The Learner interface every learner honours, and the Budget and History it works with.

One interface (scikit-learn style: parameters stored at construction, learned state in attributes
ending in `_`) lets experiments, sweeps and reports treat a spiking network and an MLP alike.
"""

from __future__ import annotations

import dataclasses
import json
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from neurosim.params import build_params

if TYPE_CHECKING:
    from neurosim.activity import Activity
    from neurosim.tasks.base import Task


@dataclasses.dataclass(frozen=True)
class Budget:
    """How much a learner may spend; `None` means the learner's own default."""

    epochs: int | None = None
    samples: int | None = None
    wall_time_s: float | None = None
    env_steps: int | None = None  # control tasks: environment steps to learn from

    BUDGET_FIELDS: ClassVar[tuple[str, ...]] = ("epochs", "samples", "wall_time_s", "env_steps")

    def resolve_epochs(self, default: int) -> int:
        return self.epochs if self.epochs is not None else default


class Stopwatch:
    """Wall-clock deadline from a Budget, checked between epochs or checkpoints."""

    def __init__(self, budget: Budget):
        self.start = time.perf_counter()
        self.limit = budget.wall_time_s

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def expired(self) -> bool:
        return self.limit is not None and self.elapsed >= self.limit


@dataclasses.dataclass
class History:
    """Metrics logged during `fit`, one row per epoch or checkpoint.

    Every row carries `samples` (training samples seen so far) so learning curves of learners with
    very different epoch counts share one x axis.
    """

    rows: list[dict[str, float]] = dataclasses.field(default_factory=list)

    def log(self, **row: float) -> None:
        self.rows.append({key: float(value) for key, value in row.items()})

    def column(self, key: str) -> np.ndarray:
        return np.array([row[key] for row in self.rows if key in row])

    def to_json(self) -> list[dict[str, float]]:
        return list(self.rows)


class Recorder:
    """Where a learner puts what it recorded: Activity and arrays, saved into the run's folder.

    With `directory=None` everything is discarded (tests, benchmarks).
    """

    def __init__(self, directory: Path | None = None):
        self.directory = directory
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def activity(self, name: str, activity: Activity) -> None:
        if self.directory is not None:
            activity.save(self.directory / f"activity_{name}.npz")

    def arrays(self, name: str, **arrays: np.ndarray) -> None:
        if self.directory is not None:
            np.savez_compressed(self.directory / f"{name}.npz", **arrays)

    def json(self, name: str, data: Any) -> None:
        if self.directory is not None:
            (self.directory / f"{name}.json").write_text(json.dumps(data, indent=2))


class Learner(ABC):
    """Anything that learns a task.

    Subclasses declare `Params` (a dataclass of hyperparameters with defaults) and
    `default_epochs`; `__init__` only validates and stores the parameters.
    """

    name: ClassVar[str]
    Params: ClassVar[type]
    default_epochs: ClassVar[int] = 1
    task_kind: ClassVar[str] = "classification"  # the Task kind it can learn

    def __init__(self, **params: Any):
        self.params = build_params(self.Params, params, owner=f"learner '{self.name}'")

    @abstractmethod
    def fit(self, task: Task, budget: Budget, recorder: Recorder) -> History:
        """Learn `task` within `budget`; return the learning curve."""

    @abstractmethod
    def predict(self, task: Task, split: str) -> np.ndarray:
        """Predicted labels for one split of a classification task."""

    def evaluate(self, task: Task, split: str) -> dict[str, float]:
        """Metrics on one split; learners with several readouts extend this."""
        y = task.split(split).y
        return {"accuracy": float(np.mean(self.predict(task, split) == y))}
