"""The regression family: its task type, its learner base and its metrics.

A learner of this family maps inputs to one real number; every one of them is scored by the same
two metrics on the same splits, so the summary table and the report need nothing else.
"""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from typing import ClassVar

import numpy as np

from neurosim.learner import Learner, Recorder
from neurosim.metrics import METRICS, Metric
from neurosim.tasks import ProbeSet, Split, Task

METRICS.declare(
    Metric(
        "mse", "mean squared error of the predictions", "", higher_is_better=False, headline=True
    ),
    Metric("r2", "coefficient of determination (1 - mse / variance)", "", True, True),
)


@dataclasses.dataclass(frozen=True)
class RegressionTask(Task):
    """Inputs (n, features) and real-valued targets (n,) in fixed splits."""

    family: ClassVar[str] = "regression"
    name: str
    seed: int
    splits: dict[str, Split]
    references: dict[str, str] = dataclasses.field(default_factory=dict)
    params: dict[str, object] = dataclasses.field(default_factory=dict)

    evaluation_splits = ("val", "test")

    def probe_set(self, n: int = 10) -> ProbeSet:
        """`n` evenly spaced test inputs, sorted, so a fit can be drawn as a curve."""
        test = self.splits["test"]
        order = np.argsort(test.x[:, 0])
        chosen = order[np.linspace(0, len(order) - 1, min(n, len(order))).astype(int)]
        return ProbeSet(f"test-sorted[{len(chosen)}]", test.x[chosen], test.y[chosen])


class Regressor(Learner):
    """A Learner for RegressionTasks: implement `fit` and `predict`."""

    task_family = RegressionTask
    metrics = ("mse", "r2")
    artifacts = ("arrays",)

    @abstractmethod
    def predict(self, x: np.ndarray) -> np.ndarray:
        """One real number per input row."""

    def evaluate(self, task: RegressionTask, split: str) -> dict[str, float]:
        data = task.splits[split]
        mse = float(np.mean((self.predict(data.x) - data.y) ** 2))
        return {"mse": mse, "r2": 1.0 - mse / float(np.var(data.y))}

    def record(self, task: RegressionTask, recorder: Recorder) -> None:
        """Predictions on 200 sorted test inputs, for the figure of the fitted curve."""
        probe = task.probe_set(200)
        recorder.arrays("fit", x=probe.x[:, 0], y_true=probe.y, y_pred=self.predict(probe.x))
