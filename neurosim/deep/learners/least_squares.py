"""`least-squares`: a linear model w.x without bias, fitted to ±1 targets by full-batch steps of
any of the six optimizers, predicting sign(w.x).

The setting of Wilson et al. 2017 (section 3.3), where the optimizer alone decides which of the
many interpolating solutions an overparameterised problem ends at: every step sees the whole
training set (no sampling noise) and w starts at 0, so gradient descent stays in the row space
of X and reaches the minimum-norm solution, while adaptive methods rescale each coordinate and
end elsewhere. It learns any two-class task (label 1 is the target +1, label 0 the target -1)
on the shared Trainer, so its History has the usual rows: one per step (epoch = step).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

from neurosim.deep.device import is_device_name
from neurosim.deep.objectives import Data, Objective, logits
from neurosim.deep.optimizers import OptimizerName
from neurosim.deep.trainer import Trainer
from neurosim.errors import ParameterError
from neurosim.families.classification import Classifier
from neurosim.learner import Budget, History, Recorder
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.base import ClassificationTask


@dataclasses.dataclass
class LeastSquaresParams:
    """The optimizer and its step size; every step uses the whole training set."""

    optimizer: OptimizerName = "sgd"
    lr: float = 0.1
    momentum: float = 0.9  # used by 'momentum' and 'nesterov' only
    device: str = "auto"

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                ("lr", math.isfinite(self.lr) and self.lr > 0, "must be a finite number > 0"),
                ("momentum", 0 <= self.momentum < 1, "must be in [0, 1)"),
                ("device", is_device_name(self.device), "must be 'auto' or a torch device"),
            ],
        )


def signed_targets(y: np.ndarray) -> np.ndarray:
    """Label 1 -> +1, label 0 -> -1."""
    return 2.0 * np.asarray(y, dtype=np.float64) - 1.0


def sign_labels(scores: torch.Tensor) -> torch.Tensor:
    """Label 1 where w.x > 0, else 0 (a score of exactly 0 counts as the -1 side)."""
    return (scores > 0).long()


class SquaredLoss(Objective):
    """mean((w.x - t)^2) on targets t = ±1; accuracy of sign(w.x) on train and val."""

    keep_by = "val_accuracy"
    higher_is_better = True

    def to_tensors(self, split: Data, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.as_tensor(split.x, dtype=torch.float32, device=device)
        return x, torch.as_tensor(signed_targets(split.y), dtype=torch.float32, device=device)

    def losses(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Iterator[torch.Tensor]:
        yield ((model(x).squeeze(-1) - y) ** 2).mean()

    def train_metrics(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        return {"train_accuracy": _accuracy(model, x, y)}

    def val_metrics(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        return {"val_accuracy": _accuracy(model, x, y)}


def _accuracy(model: nn.Module, x: torch.Tensor, t: torch.Tensor) -> float:
    predicted = sign_labels(logits(model, x).squeeze(-1))
    return (predicted == (t > 0).long()).sum().item() / len(t)


def linear_from_zero(n_features: int) -> nn.Linear:
    """w.x without bias, w = 0: where Wilson et al.'s analysis starts every optimizer."""
    model = nn.Linear(n_features, 1, bias=False)
    nn.init.zeros_(model.weight)
    return model


@LEARNERS.register("least-squares")
class LeastSquaresLearner(Classifier):
    """Full-batch least squares on ±1 targets with a named optimizer; the last step's w is kept."""

    name = "least-squares"
    Params = LeastSquaresParams
    budget_fields = frozenset({"epochs", "wall_time_s"})
    artifacts = ("predictions",)
    default_epochs = 1000

    def fit(self, task: ClassificationTask, budget: Budget, recorder: Recorder) -> History:
        if task.n_classes != 2:
            raise ParameterError(
                f"learner 'least-squares' fits two classes (targets ±1); task '{task.name}'"
                f" has {task.n_classes}",
                field="task",
            )
        train = task.split("train")
        p = self.params
        # One step per epoch on the whole training set; no L2 (it would move the solution the
        # optimizers are compared on) and the last step's w kept, as in the paper.
        trainer = Trainer(
            optimizer=p.optimizer,
            lr=p.lr,
            momentum=p.momentum,
            batch_size=len(train),
            device=p.device,
            default_epochs=self.default_epochs,
            objective=SquaredLoss(),
            keep_best=False,
        )
        result = trainer.fit(
            lambda: linear_from_zero(task.n_features),
            train,
            task.split("val") if "val" in task.splits else None,
            budget,
            task.seed,
        )
        self.model_, self.device_ = result.model, result.device
        return result.history

    def weights(self) -> np.ndarray:
        """The learned w, (n_features,)."""
        return self.model_.weight.detach().cpu().numpy()[0].astype(np.float64)

    def predict(self, task: ClassificationTask, split: str) -> np.ndarray:
        x = torch.as_tensor(task.split(split).x, dtype=torch.float32, device=self.device_)
        return sign_labels(logits(self.model_, x).squeeze(-1)).cpu().numpy()
