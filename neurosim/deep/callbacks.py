"""Callbacks: what watches the Trainer's loop without being written into it.

The optimization lab plots gradient norms and weight-space trajectories; the loop stays the same
whether anyone watches or not, so a run with callbacks learns exactly what a run without does
(as long as the callbacks draw no random numbers and leave the model and its gradients alone).

Within one optimizer step the order is: forward, zero_grad, backward, `on_before_step` (this
step's raw gradients, parameters not yet updated), gradient clipping if the Trainer clips,
optimizer.step, `on_batch_end` (updated parameters, the clipped gradients still there until the
next step's zero_grad). A batch is one step, or one per chunk under truncated BPTT.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from torch import nn

from neurosim.learner import History


@dataclasses.dataclass
class TrainState:
    """What the loop shares with callbacks; the Trainer updates it in place as it goes."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    history: History  # the epoch just finished is history.rows[-1]
    epoch: int = 0  # the current epoch, from 1
    step: int = 0  # optimizer steps taken so far
    samples: int = 0  # training samples whose batches were stepped on so far
    loss: torch.Tensor | None = None  # the current step's loss (still in the graph)


class Callback:
    """Hooks into Trainer.fit; each does nothing until a subclass overrides it."""

    def on_fit_start(self, state: TrainState) -> None:
        """Model on its device and optimizer built; nothing trained yet."""

    def on_before_step(self, state: TrainState) -> None:
        """After backward, before gradient clipping and optimizer.step."""

    def on_batch_end(self, state: TrainState) -> None:
        """After optimizer.step (state.step counts it), before the next zero_grad: once per batch,
        or once per chunk under truncated BPTT."""

    def on_epoch_end(self, state: TrainState) -> None:
        """After the epoch's History row (val accuracy included) was logged."""

    def on_fit_end(self, state: TrainState) -> None:
        """After training, with the kept (best val) model restored."""


class FirstLayerAtStart(Callback):
    """The first layer's weights before any step: what the connectivity graphs call "before
    learning". Copying them draws no random numbers, so training is unchanged."""

    def __init__(self) -> None:
        self.weights: np.ndarray | None = None

    def on_fit_start(self, state: TrainState) -> None:
        first = next(m for m in state.model.modules() if isinstance(m, nn.Linear))
        self.weights = first.weight.detach().cpu().numpy().copy()


def layer_gradients(model: nn.Module) -> dict[str, list[torch.Tensor]]:
    """The gradients of each module that owns parameters directly, by the module's name."""
    layers: dict[str, list[torch.Tensor]] = {}
    for name, module in model.named_modules():
        grads = [p.grad for p in module.parameters(recurse=False) if p.grad is not None]
        if grads:
            layers[name] = grads
    return layers


class GradientNorms(Callback):
    """The L2 norm of each layer's gradient (weights and bias together) every `every` steps.

    Read before the optimizer step, so it is this batch's loss gradient whatever the optimizer
    then does with `.grad`. Kept as tensors on the model's device: no host sync per step.
    """

    def __init__(self, every: int = 1):
        self.every = every
        self.steps: list[int] = []
        self.layers: list[str] = []
        self._norms: list[torch.Tensor] = []

    def on_before_step(self, state: TrainState) -> None:
        step = state.step + 1  # the step these gradients are about to make
        if step % self.every:
            return
        gradients = layer_gradients(state.model)
        self.layers = list(gradients)
        per_layer = [
            torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))
            for grads in gradients.values()
        ]
        self.steps.append(step)
        self._norms.append(torch.stack(per_layer).detach())

    def arrays(self) -> dict[str, np.ndarray]:
        """`steps` (n,) and one (n,) array of norms per layer, named as in `model.named_modules`."""
        norms = torch.stack(self._norms).cpu().numpy() if self._norms else np.zeros((0, 0))
        return {
            "steps": np.array(self.steps),
            **{layer: norms[:, i] for i, layer in enumerate(self.layers)},
        }


class ParameterSnapshots(Callback):
    """Every parameter at step 0 and after every `every`-th optimizer step: the trajectory of
    training through weight space. Copies stay on the model's device until `arrays`."""

    def __init__(self, every: int):
        self.every = every
        self.steps: list[int] = []
        self._snapshots: list[dict[str, torch.Tensor]] = []

    def on_fit_start(self, state: TrainState) -> None:
        self._take(state)

    def on_batch_end(self, state: TrainState) -> None:
        if state.step % self.every == 0:
            self._take(state)

    def _take(self, state: TrainState) -> None:
        self.steps.append(state.step)
        self._snapshots.append(
            {name: p.detach().clone() for name, p in state.model.named_parameters()}
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """`steps` (n,) and, per parameter name, its values stacked as (n, *shape)."""
        names = self._snapshots[0] if self._snapshots else {}
        return {
            "steps": np.array(self.steps),
            **{
                name: torch.stack([snap[name] for snap in self._snapshots]).cpu().numpy()
                for name in names
            },
        }
