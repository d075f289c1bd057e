"""What the Trainer minimises and how it scores a model: one Objective per kind of target.

The loop (shuffling, budgets, keeping the best val model, callbacks) is the same for every torch
learner; what differs is how a batch becomes losses (one for a classifier, one per chunk under
truncated backprop through time), what the targets are as tensors, and which val figure picks
the kept model. `Classification` is the Trainer's default, so `mlp` trains as it always did.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import ClassVar, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class Data(Protocol):
    """A split as the Trainer sees it: inputs and targets, first axis the samples."""

    x: np.ndarray
    y: np.ndarray


def to_tensors(split: Data, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs as float32 and labels as int64, on `device`."""
    x = torch.as_tensor(split.x, dtype=torch.float32, device=device)
    return x, torch.as_tensor(split.y, dtype=torch.long, device=device)


def logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's outputs in eval mode (dropout off), outside autograd."""
    model.eval()
    with torch.inference_mode():
        return model(x)


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of argmax predictions equal to `y` (the same float numpy's mean gives)."""
    return (logits(model, x).argmax(dim=1) == y).sum().item() / len(y)


class Objective(ABC):
    """Losses for a batch, and the figures logged per epoch.

    `keep_by` names the val column that picks the kept model (`higher_is_better` says which way).
    """

    keep_by: ClassVar[str]
    higher_is_better: ClassVar[bool]

    def to_tensors(self, split: Data, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        return to_tensors(split, device)

    @abstractmethod
    def losses(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Iterator[torch.Tensor]:
        """One loss per optimizer step on this batch. The Trainer steps on each loss before it
        asks for the next, so a generator may carry state from one step to the next."""

    def train_metrics(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """Figures on the whole training set, logged after `train_loss`; default: none."""
        return {}

    @abstractmethod
    def val_metrics(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """Figures on the val split, `keep_by` among them."""

    def selection(self, row: dict[str, float]) -> float:
        """The figure the kept model maximises."""
        value = row[self.keep_by]
        return value if self.higher_is_better else -value


class Classification(Objective):
    """Cross-entropy on logits (n, classes); the kept model has the best val accuracy."""

    keep_by = "val_accuracy"
    higher_is_better = True

    def losses(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Iterator[torch.Tensor]:
        yield F.cross_entropy(model(x), y)

    def train_metrics(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        return {"train_accuracy": accuracy(model, x, y)}

    def val_metrics(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        return {"val_accuracy": accuracy(model, x, y)}
