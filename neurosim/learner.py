"""The Learner contract every learner honours, and the Budget, History and Recorder it works with.

One interface (scikit-learn style: parameters stored at construction, learned state in attributes
ending in `_`) lets experiments, sweeps and reports treat a spiking network and an MLP alike.
What a learner can do is declared, not discovered: the task family it learns, the budget fields
it honours, the metrics it reports and the artifacts it records. The spec loader refuses what a
learner does not declare, and the contract tests hold every learner to its declaration. Family
bases (`neurosim.families`) add what one kind of task needs, e.g. `predict` for classifiers.
"""

from __future__ import annotations

import dataclasses
import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from neurosim.artifacts import Recorder
from neurosim.params import build_params

if TYPE_CHECKING:
    from neurosim.tasks.base import Task

__all__ = ["Budget", "History", "Learner", "Recorder", "Stopwatch"]


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


class Learner(ABC):
    """Anything that learns a task.

    Subclasses declare `Params` (a dataclass of hyperparameters with defaults), the task family
    they learn, the budget fields they honour and the metrics `evaluate` returns (each declared in
    `neurosim.metrics`); `__init__` only validates and stores the parameters.
    """

    name: ClassVar[str]
    Params: ClassVar[type]
    task_family: ClassVar[type[Task]]
    budget_fields: ClassVar[frozenset[str]] = frozenset()
    metrics: ClassVar[tuple[str, ...]] = ()
    artifacts: ClassVar[tuple[str, ...]] = ()  # artifact kinds `fit`/`record` may write
    default_epochs: ClassVar[int] = 1

    def __init__(self, **params: Any):
        self.params = build_params(self.Params, params, owner=f"learner '{self.name}'")

    @abstractmethod
    def fit(self, task: Task, budget: Budget, recorder: Recorder) -> History:
        """Learn `task` within `budget`; return the learning curve."""

    @abstractmethod
    def evaluate(self, task: Task, split: str) -> dict[str, float]:
        """The declared metrics on one of the task's evaluation splits."""

    def record(self, task: Task, recorder: Recorder) -> None:
        """Record what only exists after evaluation (e.g. test predictions); default: nothing."""
        return None
