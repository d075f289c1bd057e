"""Multinomial logistic regression on raw pixels: the linear floor every learner must beat."""

from __future__ import annotations

import dataclasses

import numpy as np
from sklearn.linear_model import LogisticRegression

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
    artifacts = ("receptive_fields", "predictions")

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
        return self.history_

    def predict(self, task: ClassificationTask, split: str) -> np.ndarray:
        return self.model_.predict(task.split(split).x)
