"""Multinomial logistic regression on raw pixels: the linear floor every learner must beat."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from neurosim.activity import Activity, Signal
from neurosim.errors import ParameterError
from neurosim.families.classification import Classifier
from neurosim.learner import Budget, History, Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks.base import ClassificationTask


@dataclasses.dataclass
class LogRegParams:
    C: float = 1.0  # inverse L2 strength, as in scikit-learn
    max_iter: int = 2000

    def validate(self, owner: str) -> None:
        if not self.C > 0:
            raise ParameterError(f"{owner}: field 'C' must be > 0, got {self.C!r}")
        if self.max_iter < 1:
            raise ParameterError(f"{owner}: field 'max_iter' must be >= 1, got {self.max_iter!r}")


@LEARNERS.register("logreg")
class LogRegLearner(Classifier):
    """scikit-learn's LogisticRegression (lbfgs), fitted once to convergence.

    `budget.samples` limits it to the first that many training samples (the split is already
    shuffled), so it can sit on the same learning-curve axis; epochs and wall time do not apply.
    """

    name = "logreg"
    Params = LogRegParams
    budget_fields = frozenset({"samples"})
    artifacts = ("receptive_fields", "predictions", "activity", "arrays")

    def fit(self, task: ClassificationTask, budget: Budget, recorder: Recorder) -> History:
        train = task.split("train")
        n = len(train) if budget.samples is None else min(budget.samples, len(train))
        self.model_ = LogisticRegression(C=self.params.C, max_iter=self.params.max_iter)
        self.model_.fit(train.x[:n], train.y[:n])
        row = {
            "epoch": 1,
            "samples": n,
            "train_accuracy": self.model_.score(train.x[:n], train.y[:n]),
        }
        if "val" in task.splits:
            row["val_accuracy"] = self.model_.score(task.splits["val"].x, task.splits["val"].y)
        self.history_ = History()
        self.history_.log(**row)
        if recorder.enabled:
            recorder.receptive_fields(self.model_.coef_, signed=True, image_shape=task.image_shape)
            recorder.arrays(
                "final_state",
                coef=self.model_.coef_,
                intercept=self.model_.intercept_,
                classes=self.model_.classes_,
            )
        return self.history_

    def predict(self, task: ClassificationTask, split: str) -> np.ndarray:
        return self.model_.predict(task.split(split).x)

    def cost(self, task: ClassificationTask) -> dict:
        """MACs from the fitted coefficients; lbfgs's iterations give a floor for training."""
        weights = int(self.model_.coef_.size)  # n_features x n_classes (one row for two)
        iterations = int(np.max(self.model_.n_iter_))
        x = task.split("test").x
        start = time.perf_counter()
        self.model_.predict(x)
        return {
            "op": "MAC",
            "train_ops_per_sample": 2.0 * iterations * weights,
            "inference_ops_per_sample": float(weights),
            "inference_seconds_per_sample": (time.perf_counter() - start) / len(x),
            "how": f"counted from the {weights} coefficients: inference is x W^T; training is"
            f" lbfgs's {iterations} iterations of one loss-and-gradient pass (x W^T, then"
            " X^T times the error: 2 MACs per coefficient and sample); the line search's extra"
            " passes are not counted, so training is a floor",
        }

    def representations(self, task: ClassificationTask, x: np.ndarray) -> dict[str, np.ndarray]:
        """Its one layer: the class scores (`logits`, scikit-learn's decision_function)."""
        return {"logits": self.model_.decision_function(x)}

    def replay(
        self,
        task: ClassificationTask,
        state: dict[str, np.ndarray],
        x: np.ndarray,
        repeats: int = 1,
    ) -> Activity:
        """The stored class scores on inputs `x` (x @ coef.T + intercept, what scikit-learn's
        decision_function computes), one row per stimulus; repeats would be identical rows."""
        scores = np.asarray(x, dtype=np.float64) @ state["coef"].T + state["intercept"]
        t = np.arange(len(scores), dtype=np.float64)
        return Activity(
            signals={"logits": Signal(t=t, values=scores)},
            meta={
                "layers": ["logits"],
                "classes": state["classes"].tolist(),  # one per column
                "note": "one row per stimulus (t is its index); the model is deterministic, "
                f"so each of the {repeats} repeats asked for would give the same row",
            },
        )
