"""A multilayer perceptron trained by backprop: the deep baseline for every plasticity learner.

Trained on exactly the splits and budgets the spiking learners get, so their learning curves
share the `samples` axis.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

import numpy as np
import torch
from torch import nn

from neurosim.activity import Activity, Signal
from neurosim.deep.device import apply_thread_limit, is_device_name, resolve_device
from neurosim.deep.models.mlp import build_mlp
from neurosim.deep.optimizers import OptimizerName, make_optimizer
from neurosim.families.classification import Classifier
from neurosim.learner import Budget, History, Recorder, Stopwatch
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.base import ClassificationTask, Split

N_RECORDED_SAMPLES = 10


@dataclasses.dataclass
class MLPParams:
    """MLP hyperparameters; `hidden=[]` is softmax regression trained by the same loop.

    With a 'val' split the model with the best val accuracy is kept (restored after training);
    `patience` only decides whether training stops early. Ties go to the later epoch: a small val
    split saturates, and among equally accurate checkpoints the better-fit later one generalises
    better.
    """

    hidden: list[int] = dataclasses.field(default_factory=lambda: [100])
    activation: Literal["relu", "tanh"] = "relu"
    optimizer: OptimizerName = "adam"
    lr: float = 1e-3
    momentum: float = 0.9  # used by 'momentum' and 'nesterov' only
    weight_decay: float = 0.0  # L2: lambda * w added to the gradient
    dropout: float = 0.0  # after every hidden layer
    batch_size: int = 32
    # epochs below the best val accuracy before stopping; 0 or None (Python only): never
    patience: int | None = 20
    device: str = "auto"

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                ("hidden", all(units >= 1 for units in self.hidden), "needs layer sizes >= 1"),
                ("lr", math.isfinite(self.lr) and self.lr > 0, "must be a finite number > 0"),
                ("momentum", 0 <= self.momentum < 1, "must be in [0, 1)"),
                ("weight_decay", self.weight_decay >= 0, "must be >= 0"),
                ("dropout", 0 <= self.dropout < 1, "must be in [0, 1)"),
                ("batch_size", self.batch_size >= 1, "must be >= 1"),
                ("patience", self.patience is None or self.patience >= 0, "must be >= 0"),
                ("device", is_device_name(self.device), "must be 'auto' or a torch device"),
            ],
        )


@LEARNERS.register("mlp")
class MLPLearner(Classifier):
    """Minibatch backprop on cross-entropy, with early stopping on validation accuracy."""

    name = "mlp"
    Params = MLPParams
    budget_fields = frozenset({"epochs", "samples", "wall_time_s"})
    artifacts = ("receptive_fields", "activity", "predictions")
    default_epochs = 100

    def fit(self, task: ClassificationTask, budget: Budget, recorder: Recorder) -> History:
        apply_thread_limit()
        p = self.params
        clock = Stopwatch(budget)
        self.device_ = device = resolve_device(p.device)
        torch.manual_seed(task.seed)
        rng = np.random.default_rng(task.seed)
        x, y = self._tensors(task.split("train"))
        val = self._tensors(task.split("val")) if "val" in task.splits else None
        self.model_ = model = build_mlp(
            task.n_features, p.hidden, task.n_classes, p.activation, p.dropout
        ).to(device)
        optimizer = make_optimizer(
            p.optimizer, model.parameters(), p.lr, p.momentum, p.weight_decay, device.type
        )
        loss_fn = nn.CrossEntropyLoss()
        self.history_ = history = History()
        self.best_epoch_ = 0
        best_accuracy, best_state = -1.0, None
        seen = 0
        for epoch in range(1, budget.resolve_epochs(self.default_epochs) + 1):
            order = rng.permutation(len(y))
            if budget.samples is not None:
                order = order[: max(budget.samples - seen, 0)]
            if len(order) == 0:
                break
            batches = torch.from_numpy(order).to(device).split(p.batch_size)
            model.train()
            loss_sum = torch.zeros((), device=device)  # summed on device: no sync per batch
            epoch_seen = 0
            for batch in batches:
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(model(x[batch]), y[batch])
                loss.backward()
                optimizer.step()
                loss_sum += loss.detach() * len(batch)
                epoch_seen += len(batch)
                if clock.expired():
                    break
            seen += epoch_seen
            row = {
                "epoch": epoch,
                "samples": seen,
                "train_loss": (loss_sum / epoch_seen).item(),
                "train_accuracy": self._accuracy(x, y),
            }
            if val is None:
                self.best_epoch_ = epoch
            else:
                row["val_accuracy"] = accuracy = self._accuracy(*val)
                if accuracy >= best_accuracy:
                    best_accuracy, self.best_epoch_ = accuracy, epoch
                    best_state = {k: v.clone() for k, v in model.state_dict().items()}
            history.log(**row)
            if (
                clock.expired()
                or (budget.samples is not None and seen >= budget.samples)
                or (p.patience and epoch - self.best_epoch_ >= p.patience)
            ):
                break
        if best_state is not None:
            model.load_state_dict(best_state)
        if recorder.enabled:
            self._record(task, recorder)
        return history

    def predict(self, task: ClassificationTask, split: str) -> np.ndarray:
        x, _ = self._tensors(task.split(split))
        return self._logits(x).argmax(dim=1).cpu().numpy()

    def _tensors(self, split: Split) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.as_tensor(split.x, dtype=torch.float32, device=self.device_)
        return x, torch.as_tensor(split.y, dtype=torch.long, device=self.device_)

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        self.model_.eval()
        with torch.inference_mode():
            return self.model_(x)

    def _accuracy(self, x: torch.Tensor, y: torch.Tensor) -> float:
        return (self._logits(x).argmax(dim=1) == y).sum().item() / len(y)  # same float as numpy

    def _record(self, task: ClassificationTask, recorder: Recorder) -> None:
        """First-layer weights as receptive fields, and what the first test samples evoked.

        Mirrors what the spiking learners record, so plots can put both side by side.
        """
        recorder.receptive_fields(
            self.model_[0].weight.detach().cpu().numpy(),
            signed=True,
            image_shape=task.image_shape,
        )
        probe = task.probe_set(N_RECORDED_SAMPLES)
        x, _ = self._tensors(Split(probe.x, probe.y))
        t = np.arange(len(probe), dtype=np.float64)
        signals = {"output": Signal(t=t, values=self._logits(x).softmax(dim=1).cpu().numpy())}
        if self.params.hidden:
            with torch.inference_mode():
                hidden = self.model_[:2](x)  # first Linear + activation, eval mode
            signals["hidden"] = Signal(t=t, values=hidden.cpu().numpy())
        activity = Activity(
            signals=signals,
            meta={
                "labels": probe.y.tolist(),
                "note": "one row per test sample (t is the sample index); "
                "output holds class probabilities",
            },
        )
        recorder.activity(activity, probe=probe.name, name="probe")
