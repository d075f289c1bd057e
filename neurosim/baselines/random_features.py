"""Random-features regression: the model in which double descent is known to appear.

Belkin et al. 2019 (PNAS, "Reconciling modern machine-learning practice and the bias-variance
trade-off") fit fixed random features of the input by minimum-norm least squares onto one-hot
targets: as the number of features grows, test error first falls, then peaks where the model can
just interpolate the training set (n_features = n_train, where the feature matrix is square and
worst conditioned), and then falls again as the minimum-norm solution among many interpolants
becomes smoother. Only the readout is fitted, so the sweep is cheap and exact (numpy lstsq).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from neurosim.analysis.generalization import onehot_mse
from neurosim.families.classification import Classifier
from neurosim.learner import Budget, History, Recorder
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.base import ClassificationTask

MAX_FEATURES = 50_000


@dataclasses.dataclass
class RandomFeaturesParams:
    """`n_features` random features, ReLU (max(0, x W + b)) or Fourier (cos(x W + b)).

    W ~ N(0, scale² / n_inputs), b ~ N(0, 1) for ReLU and uniform in [0, 2π) for Fourier
    (random Fourier features of a Gaussian kernel, Rahimi & Recht 2007). Fourier is the default:
    on the digits its test error peaks sharply at n_features = n_train (0.8 error at 400
    features for 400 images); ReLU features with these biases are nearly linear in the pixels,
    so their feature matrix is ill-conditioned well before the threshold and the peak smears.
    """

    n_features: int = 1000
    kind: Literal["relu", "fourier"] = "fourier"
    scale: float = 1.0

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                (
                    "n_features",
                    1 <= self.n_features <= MAX_FEATURES,
                    f"must be 1 to {MAX_FEATURES}",
                ),
                ("scale", self.scale > 0, "must be > 0"),
            ],
        )


@LEARNERS.register("random-features")
class RandomFeaturesLearner(Classifier):
    """Fixed random features, minimum-norm least squares onto one-hot targets, argmax.

    `np.linalg.lstsq` returns the minimum-norm solution when there are more features than
    training samples (it equals pinv(Φ) Y), the ordinary least-squares one when there are fewer.
    `budget.samples` limits it to the first that many training samples (the split is shuffled).
    """

    name = "random-features"
    Params = RandomFeaturesParams
    budget_fields = frozenset({"samples"})
    metrics = ("accuracy", "onehot_mse")
    artifacts = ("predictions",)

    def fit(self, task: ClassificationTask, budget: Budget, recorder: Recorder) -> History:
        p = self.params
        rng = np.random.default_rng(task.seed)
        train = task.split("train")
        n = len(train) if budget.samples is None else min(budget.samples, len(train))
        self.weights_ = rng.normal(
            0.0, p.scale / np.sqrt(task.n_features), (task.n_features, p.n_features)
        )
        if p.kind == "relu":
            self.bias_ = rng.normal(0.0, 1.0, p.n_features)
        else:
            self.bias_ = rng.uniform(0.0, 2 * np.pi, p.n_features)
        targets = np.eye(task.n_classes)[train.y[:n]]
        self.readout_, *_ = np.linalg.lstsq(self.features(train.x[:n]), targets, rcond=None)
        history = History()
        row = {"samples": n, "train_accuracy": self._accuracy(task, "train")}
        if "val" in task.splits:
            row["val_accuracy"] = self._accuracy(task, "val")
        history.log(**row)
        return history

    def features(self, x: np.ndarray) -> np.ndarray:
        """The fixed random features of inputs `x` (n, n_inputs) -> (n, n_features)."""
        pre = x @ self.weights_ + self.bias_
        return np.maximum(pre, 0.0) if self.params.kind == "relu" else np.cos(pre)

    def outputs(self, task: ClassificationTask, split: str) -> np.ndarray:
        return self.features(task.split(split).x) @ self.readout_

    def predict(self, task: ClassificationTask, split: str) -> np.ndarray:
        return self.outputs(task, split).argmax(axis=1)

    def _accuracy(self, task: ClassificationTask, split: str) -> float:
        return float(np.mean(self.predict(task, split) == task.split(split).y))

    def evaluate(self, task: ClassificationTask, split: str) -> dict[str, float]:
        outputs = self.outputs(task, split)
        y = task.split(split).y
        return {
            "accuracy": float(np.mean(outputs.argmax(axis=1) == y)),
            "onehot_mse": onehot_mse(outputs, y),
        }
