"""A multilayer perceptron trained by backprop: the deep baseline for every plasticity learner.

Trained on exactly the splits and budgets the spiking learners get, so their learning curves
share the `samples` axis.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch

from neurosim.activity import Activity, Signal
from neurosim.deep.callbacks import Callback, FirstLayerAtStart
from neurosim.deep.cost import classifier_cost
from neurosim.deep.models.mlp import build_mlp
from neurosim.deep.objectives import logits, to_tensors
from neurosim.deep.optimizers import OptimizerName
from neurosim.deep.representations import layer_responses, named_layers
from neurosim.deep.trainer import Trainer, TrainResult, training_checks
from neurosim.families.classification import Classifier
from neurosim.learner import Budget, History, Recorder
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.base import ClassificationTask, Split

N_RECORDED_SAMPLES = 10
INITIAL_WEIGHTS = "initial_weights"  # in final_state beside the state_dict: not a parameter


@dataclasses.dataclass
class MLPParams:
    """MLP hyperparameters; `hidden=[]` is softmax regression trained by the same loop.

    With a 'val' split the model with the best val accuracy is kept (restored after training)
    unless `keep_best` is false (the last model is kept: what the generalization lab's
    "no regulariser" row needs); `patience` only decides whether training stops early. Ties go to
    the later epoch: a small val split saturates, and among equally accurate checkpoints the
    better-fit later one generalises better. `l1` adds l1 * sum|w| over the weight matrices to
    the loss; `batch_norm` puts BatchNorm1d between each hidden Linear and its activation.
    """

    hidden: list[int] = dataclasses.field(default_factory=lambda: [100])
    activation: Literal["relu", "tanh"] = "relu"
    optimizer: OptimizerName = "adam"
    lr: float = 1e-3
    momentum: float = 0.9  # used by 'momentum' and 'nesterov' only
    weight_decay: float = 0.0  # L2: lambda * w added to the gradient
    dropout: float = 0.0  # after every hidden layer
    l1: float = 0.0  # L1: lambda * sum|w| over the weight matrices added to the loss
    batch_norm: bool = False
    keep_best: bool = True  # with a val split: restore the best val model (else: the last)
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
                ("dropout", 0 <= self.dropout < 1, "must be in [0, 1)"),
                ("l1", math.isfinite(self.l1) and self.l1 >= 0, "must be a finite number >= 0"),
                *training_checks(self),
            ],
        )


@LEARNERS.register("mlp")
class MLPLearner(Classifier):
    """An MLP handed to the shared Trainer: minibatch backprop, early stopping on val accuracy."""

    name = "mlp"
    Params = MLPParams
    budget_fields = frozenset({"epochs", "samples", "wall_time_s"})
    artifacts = ("receptive_fields", "activity", "predictions", "arrays")
    default_epochs = 100

    def fit(self, task: ClassificationTask, budget: Budget, recorder: Recorder) -> History:
        start = FirstLayerAtStart()
        result = self.train(task, budget, task.seed, [start])
        self.initial_weights_ = start.weights
        self.model_, self.device_ = result.model, result.device
        self.history_, self.best_epoch_ = result.history, result.best_epoch
        if recorder.enabled:
            self._record(task, recorder)
        return self.history_

    def build(self, task: ClassificationTask) -> torch.nn.Sequential:
        """A fresh, untrained network for `task` (on the CPU)."""
        p = self.params
        return build_mlp(
            task.n_features, p.hidden, task.n_classes, p.activation, p.dropout, p.batch_norm
        )

    def train(
        self,
        task: ClassificationTask,
        budget: Budget,
        seed: int,
        callbacks: Sequence[Callback] = (),
    ) -> TrainResult:
        """Train a fresh network from `seed`: what `fit` does, open to subclasses that watch
        training (callbacks) or train a second network from another seed (mode connectivity)."""
        p = self.params
        trainer = Trainer.from_params(
            p, self.default_epochs, callbacks=callbacks, l1=p.l1, keep_best=p.keep_best
        )
        return trainer.fit(
            lambda: self.build(task),
            task.train_epoch,
            task.split("val") if "val" in task.splits else None,
            budget,
            seed,
        )

    def predict(self, task: ClassificationTask, split: str) -> np.ndarray:
        x, _ = to_tensors(task.split(split), self.device_)
        return logits(self.model_, x).argmax(dim=1).cpu().numpy()

    def cost(self, task: ClassificationTask) -> dict:
        """MACs of the trained network counted by torch (fa/dfa: their own backward passes)."""
        train, batch = task.split("train"), self.params.batch_size
        return classifier_cost(self.model_, train, batch, self.device_)

    def representations(self, task: ClassificationTask, x: np.ndarray) -> dict[str, np.ndarray]:
        """Every hidden layer after its nonlinearity (`hidden`, `hidden2`, ...), then the logits
        (`output`)."""
        return layer_responses(self.model_, named_layers(self.model_), x, self.device_)

    def replay(
        self,
        task: ClassificationTask,
        state: dict[str, np.ndarray],
        x: np.ndarray,
        repeats: int = 1,
    ) -> Activity:
        """The stored network (its state_dict from "final_state") on inputs `x`: every layer, one
        row per stimulus. The network is deterministic in eval mode, so repeats would be
        identical rows: they are not made."""
        model = self.build(task)
        weights = {key: v for key, v in state.items() if key != INITIAL_WEIGHTS}
        model.load_state_dict({key: torch.from_numpy(np.array(v)) for key, v in weights.items()})
        layers = layer_responses(model, named_layers(model), x, torch.device("cpu"))
        t = np.arange(len(x), dtype=np.float64)
        return Activity(
            signals={name: Signal(t=t, values=values) for name, values in layers.items()},
            meta={
                "layers": list(layers),
                "note": "one row per stimulus (t is its index); the network is deterministic, "
                f"so each of the {repeats} repeats asked for would give the same row",
            },
        )

    def _record(self, task: ClassificationTask, recorder: Recorder) -> None:
        """First-layer weights as receptive fields, what the first test samples evoked, and the
        final state_dict (for `replay`) with the first layer's initial weights (the connectivity
        graphs' "before").

        Mirrors what the spiking learners record, so plots can put both side by side.
        """
        state = {k: v.detach().cpu().numpy() for k, v in self.model_.state_dict().items()}
        recorder.arrays("final_state", **state, **{INITIAL_WEIGHTS: self.initial_weights_})
        recorder.receptive_fields(
            self.model_[0].weight.detach().cpu().numpy(),
            signed=True,
            image_shape=task.image_shape,
        )
        probe = task.probe_set(N_RECORDED_SAMPLES)
        x, _ = to_tensors(Split(probe.x, probe.y), self.device_)
        t = np.arange(len(probe), dtype=np.float64)
        probabilities = logits(self.model_, x).softmax(dim=1).cpu().numpy()
        signals = {"output": Signal(t=t, values=probabilities)}
        if self.params.hidden:
            first_layer = 3 if self.params.batch_norm else 2  # Linear [+ BatchNorm] + activation
            with torch.inference_mode():
                hidden = self.model_[:first_layer](x)  # eval mode
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
