"""`ridge-rbf`: ridge regression on Gaussian radial basis features, solved in closed form."""

from __future__ import annotations

import dataclasses

import numpy as np

from neurosim.learner import Budget, History, Recorder
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim_regression.family import RegressionTask, Regressor


@dataclasses.dataclass
class RidgeRBFParams:
    n_centers: int = 10  # evenly spaced in [0, 1]
    width: float = 0.1  # sd of each basis function
    alpha: float = 1e-3  # L2 penalty

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                ("n_centers", self.n_centers >= 1, "must be >= 1"),
                ("width", self.width > 0, "must be > 0"),
                ("alpha", self.alpha >= 0, "must be >= 0"),
            ],
        )


@LEARNERS.register("ridge-rbf")
class RidgeRBF(Regressor):
    """Few centres underfit a sine, many with no penalty overfit the noise: a capacity sweep."""

    name = "ridge-rbf"
    Params = RidgeRBFParams
    budget_fields = frozenset({"samples"})

    def _features(self, x: np.ndarray) -> np.ndarray:
        centers = np.linspace(0, 1, self.params.n_centers)
        return np.exp(-((x[:, :1] - centers) ** 2) / (2 * self.params.width**2))

    def fit(self, task: RegressionTask, budget: Budget, recorder: Recorder) -> History:
        train = task.splits["train"]
        n = len(train) if budget.samples is None else min(budget.samples, len(train))
        phi = self._features(train.x[:n])
        gram = phi.T @ phi + self.params.alpha * np.eye(phi.shape[1])
        self.coef_ = np.linalg.solve(gram, phi.T @ train.y[:n])
        history = History()
        history.log(samples=n, train_mse=float(np.mean((phi @ self.coef_ - train.y[:n]) ** 2)))
        return history

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._features(x) @ self.coef_
