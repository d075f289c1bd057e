"""How far back the gradient reaches: ||dL/dh_t|| at every step t, recorded while a net trains.

Through a linear recurrence h_t = W h_{t-1} the gradient of a loss at step T reaching step t is
(W^T)^(T-t) dL/dh_T, so its norm shrinks or grows geometrically at a rate set by W's spectral
radius (Bengio et al. 1994; Pascanu et al. 2013); saturating nonlinearities and gates change the
rate. Recording both the per-step norms and the recurrent spectral radius (per gate block) at
checkpoints shows whether a net trains into or out of vanishing gradients.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from neurosim.deep.bptt import SequenceObjective
from neurosim.deep.callbacks import Callback, TrainState
from neurosim.deep.models.cells import BLOCKS
from neurosim.deep.models.sequence import SequenceModel, spectral_radii
from neurosim.deep.objectives import Data


def step_gradient_norms(
    model: SequenceModel, objective: SequenceObjective, x: torch.Tensor, y: torch.Tensor
) -> np.ndarray:
    """||dL_i/dh_t|| for each step t (steps,), averaged over the sequences i, where L_i is sequence
    i's own loss and h_t the hidden state the next step reads: the total derivative, through the
    readout and through all later steps. Always full BPTT, on readable cells with the model's
    weights; parameter gradients (`.grad`) are left untouched."""
    readable = model.readable()
    with torch.enable_grad():
        outputs, trace = readable.trace(x)
        loss = objective.sequence_losses(outputs, y).sum()
        grads = torch.autograd.grad(loss, trace.hidden)
    return torch.stack([g.norm(dim=1).mean() for g in grads]).cpu().numpy()


class GradientsThroughTime(Callback):
    """Per-step gradient norms on fixed sequences and the recurrent spectral radii at epoch 0 (the
    initialisation), every `every` epochs and after the last epoch trained (before the kept model
    is restored, so every checkpoint is the model of the epoch it is labelled with)."""

    def __init__(self, objective: SequenceObjective, data: Data, every: int):
        self.objective, self.data, self.every = objective, data, every
        self.epochs: list[int] = []
        self.norms: list[np.ndarray] = []
        self.radii: list[np.ndarray] = []
        self.blocks: tuple[str, ...] = ()
        self._last: tuple[int, dict[str, torch.Tensor]] | None = None  # not yet recorded

    def on_fit_start(self, state: TrainState) -> None:
        device = state.model.readout.weight.device
        self.x, self.y = self.objective.to_tensors(self.data, device)
        self.blocks = BLOCKS[state.model.cell]
        self._record(0, state.model)

    def on_epoch_end(self, state: TrainState) -> None:
        if state.epoch % self.every == 0:
            self._record(state.epoch, state.model)
            self._last = None
        else:
            weights = {key: value.clone() for key, value in state.model.state_dict().items()}
            self._last = (state.epoch, weights)

    def on_fit_end(self, state: TrainState) -> None:
        if self._last is not None:
            epoch, weights = self._last
            model = copy.deepcopy(state.model)
            model.load_state_dict(weights)
            self._record(epoch, model)

    def _record(self, epoch: int, model: SequenceModel) -> None:
        self.epochs.append(epoch)
        self.norms.append(step_gradient_norms(model, self.objective, self.x, self.y))
        self.radii.append(spectral_radii(model))

    def arrays(self) -> dict[str, np.ndarray]:
        """epochs (k,), step_norms (k, steps), spectral_radius (k, blocks), blocks (blocks,)."""
        return {
            "epochs": np.array(self.epochs, dtype=np.int64),
            "step_norms": np.array(self.norms, dtype=np.float64),
            "spectral_radius": np.array(self.radii, dtype=np.float64),
            "blocks": np.array(self.blocks, dtype=str),
        }
