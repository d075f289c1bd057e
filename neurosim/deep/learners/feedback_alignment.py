"""Feedback alignment (`fa`, Lillicrap et al. 2016) and direct feedback alignment (`dfa`,
Nokland 2016): the mlp's network and training, with the error sent backwards through fixed
random matrices instead of the transposed forward weights.

Both sit on the credit-assignment spectrum between backprop and local plasticity; to see how far
from backprop they learn, every epoch logs the angle between each hidden layer's update and the
true backprop gradient on a fixed training batch (and, for fa, the angle between W and B).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional

from neurosim.deep.callbacks import Callback, TrainState
from neurosim.deep.learners.mlp import MLPLearner, MLPParams
from neurosim.deep.models.feedback import (
    FALinear,
    direct_feedback_alignment,
    feedback_alignment,
    set_exact,
)
from neurosim.deep.objectives import to_tensors
from neurosim.deep.trainer import TrainResult
from neurosim.learner import Budget
from neurosim.registry import LEARNERS
from neurosim.tasks.base import ClassificationTask, Split

ANGLE_BATCH = 256  # training samples the angles are measured on: fixed, so epochs compare


@dataclasses.dataclass
class FeedbackAlignmentParams(MLPParams):
    """The mlp's parameters: same network, same training; only the backward pass differs."""


def angle_deg(a: torch.Tensor, b: torch.Tensor) -> float:
    """The angle between two tensors seen as vectors, in degrees (90 when either is zero)."""
    a, b = a.flatten().double(), b.flatten().double()
    norms = a.norm() * b.norm()
    if norms == 0:
        return 90.0
    cosine = (a @ b / norms).clamp(-1.0, 1.0).item()
    return math.degrees(math.acos(cosine))


def hidden_weights(model: nn.Module) -> list[torch.Tensor]:
    """The weight matrices of the hidden Linear layers (every Linear but the readout)."""
    return [m.weight for m in model.modules() if isinstance(m, nn.Linear)][:-1]


def weight_gradients(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, exact: bool
) -> list[torch.Tensor]:
    """The gradients of the mean cross-entropy with respect to the hidden weights, by the
    model's own feedback (exact=False) or by backprop (exact=True); eval mode, no side effects
    on `.grad`."""
    was_training = model.training
    model.eval()
    set_exact(model, exact)
    try:
        loss = functional.cross_entropy(model(x), y)
        return list(torch.autograd.grad(loss, hidden_weights(model)))
    finally:
        set_exact(model, False)
        model.train(was_training)


class AngleLog(Callback):
    """Adds to each epoch's History row the update angles on a fixed batch: per hidden layer
    (`update_angle_deg_1`, ...), their mean (`update_angle_deg`), and for fa the mean angle
    between W and B over the layers whose B carries an error (`alignment_deg`)."""

    def __init__(self, batch: Split) -> None:
        self.batch = batch
        self.x: torch.Tensor | None = None
        self.y: torch.Tensor | None = None

    def on_fit_start(self, state: TrainState) -> None:
        device = next(state.model.parameters()).device
        self.x, self.y = to_tensors(self.batch, device)

    def on_epoch_end(self, state: TrainState) -> None:
        row = state.history.rows[-1]
        model = state.model
        if hidden_weights(model):
            feedback = weight_gradients(model, self.x, self.y, exact=False)
            exact = weight_gradients(model, self.x, self.y, exact=True)
            angles = [angle_deg(a, b) for a, b in zip(feedback, exact, strict=True)]
            for layer, angle in enumerate(angles, start=1):
                row[f"update_angle_deg_{layer}"] = angle
            row["update_angle_deg"] = sum(angles) / len(angles)
        fa_layers = [m for m in model.modules() if isinstance(m, FALinear)][1:]
        if fa_layers:
            alignment = [angle_deg(m.weight.detach(), m.feedback) for m in fa_layers]
            row["alignment_deg"] = sum(alignment) / len(alignment)


class _FeedbackLearner(MLPLearner):
    """The mlp learner with another backward pass, logging its angles to backprop."""

    Params = FeedbackAlignmentParams

    def train(
        self,
        task: ClassificationTask,
        budget: Budget,
        seed: int,
        callbacks: Sequence[Callback] = (),
    ) -> TrainResult:
        train = task.split("train")
        batch = Split(train.x[:ANGLE_BATCH], train.y[:ANGLE_BATCH])
        return super().train(task, budget, seed, [*callbacks, AngleLog(batch)])


@LEARNERS.register("fa")
class FALearner(_FeedbackLearner):
    """Feedback alignment: each Linear layer's error goes to its input through a fixed random B
    (W's shape) instead of W; weight gradients are the usual outer products."""

    name = "fa"

    def build(self, task: ClassificationTask) -> nn.Sequential:
        return feedback_alignment(super().build(task))


@LEARNERS.register("dfa")
class DFALearner(_FeedbackLearner):
    """Direct feedback alignment: the output error reaches each hidden layer straight through
    its own fixed random B_l (units x classes); the path through the layers above is cut."""

    name = "dfa"

    def build(self, task: ClassificationTask) -> nn.Sequential:
        return direct_feedback_alignment(super().build(task))
