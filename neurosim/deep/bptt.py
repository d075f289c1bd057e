"""Backpropagation through time as a Trainer objective: full by default, truncated on request.

Full BPTT takes one optimizer step per batch on the loss of the whole sequence. Truncated BPTT
(Williams & Peng 1990) cuts each batch of sequences into chunks of `tbptt` steps from the start
and steps once per chunk that has targets; the state is carried into the next chunk detached, so
no gradient reaches further back than the chunk's first step. A target read after the last step
lies in the last chunk only: the earlier chunks are run without a graph, to carry the state.

Val figures are the task's own (`SequenceTask.score`), so the val loss the kept model is chosen
by is the loss `evaluate` reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from neurosim.deep.models.cells import State
from neurosim.deep.objectives import Data, Objective

EVAL_BATCH = 1024  # sequences per forward pass when predicting: bounds the memory a split needs

Score = Callable[[np.ndarray, np.ndarray], dict[str, float]]


def detach(state: State) -> State:
    if isinstance(state, tuple):
        return state[0].detach(), state[1].detach()
    return state.detach()


class SequenceObjective(Objective):
    """Cross-entropy (class targets, per step or after the last step) or squared error (a value
    after the last step) of a model called as `model(x, state) -> (outputs, state)`."""

    keep_by = "val_loss"
    higher_is_better = False

    def __init__(
        self,
        target: Literal["class", "value"],
        per_step: bool,
        score: Score,
        tbptt: int | None = None,
    ):
        self.target, self.per_step, self.score, self.tbptt = target, per_step, score, tbptt

    def to_tensors(self, split: Data, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs float32; labels int64, or values float64 (cast in the loss) so val scores see
        exactly the targets `evaluate` does."""
        x = torch.as_tensor(split.x, dtype=torch.float32, device=device)
        dtype = torch.long if self.target == "class" else torch.float64
        return x, torch.as_tensor(split.y, dtype=dtype, device=device)

    def sequence_losses(self, outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Each sequence's loss (n,): per-step cross-entropy is averaged over its steps."""
        if self.target == "value":
            return (outputs[..., 0] - y.to(outputs.dtype)) ** 2
        if self.per_step:
            return F.cross_entropy(outputs.transpose(1, 2), y, reduction="none").mean(dim=1)
        return F.cross_entropy(outputs, y, reduction="none")

    def losses(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Iterator[torch.Tensor]:
        if self.tbptt is None:
            outputs, _ = model(x)
            yield self.sequence_losses(outputs, y).mean()
            return
        steps = x.shape[1]
        state = None
        for start in range(0, steps, self.tbptt):
            stop = min(start + self.tbptt, steps)
            if self.per_step or stop == steps:
                outputs, state = model(x[:, start:stop], state)
                yield self.sequence_losses(outputs, y[:, start:stop] if self.per_step else y).mean()
            else:
                with torch.no_grad():
                    _, state = model(x[:, start:stop], state)
            state = detach(state)

    def predict(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Outputs in eval mode outside autograd: logits, or values (n,) for a value target."""
        model.eval()
        with torch.inference_mode():
            outputs = torch.cat([model(part)[0] for part in x.split(EVAL_BATCH)])
        return outputs[..., 0] if self.target == "value" else outputs

    def val_metrics(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        scores = self.score(self.predict(model, x).cpu().numpy(), y.cpu().numpy())
        return {"val_loss": scores["loss"], "val_accuracy": scores["accuracy"]}
