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

from neurosim.activity import Activity
from neurosim.artifacts import Recorder
from neurosim.errors import UserError
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

    def cost(self, task: Task) -> dict[str, Any] | None:
        """What the fitted learner spends per sample, so spiking and deep learners can be put
        side by side: "op" ("MAC" or "synaptic event"), "train_ops_per_sample",
        "inference_ops_per_sample", optionally "inference_seconds_per_sample", and "how" (one
        sentence); None (the default) when it counts no operations. The runner adds the
        training wall time per sample (`neurosim.analysis.cost`)."""
        return None

    def replay(
        self, task: Task, state: dict[str, np.ndarray], x: np.ndarray, repeats: int = 1
    ) -> Activity:
        """What the learned network does on stimuli `x` (each shown `repeats` times), rebuilt from
        the "final_state" arrays a run stored, so activity on new stimuli needs no retraining.

        Learners that record a final state override this; the rest have nothing to rebuild from.
        """
        raise UserError(
            f"learner '{self.name}' keeps no final state to replay; learners that do: "
            f"{', '.join(_replaying_learners())}"
        )


def _replaying_learners() -> list[str]:
    """Registered learners that override `replay` (imports them all: only for error messages)."""
    from neurosim.registry import LEARNERS

    return [name for name in LEARNERS.names() if LEARNERS.get(name).replay is not Learner.replay]
