"""Multiply-accumulates of torch learners, counted by torch itself while it runs.

Counting what torch dispatches (`torch.utils.flop_counter.FlopCounterMode`) rather than deriving
it from layer shapes keeps the figure true for custom backward passes (feedback alignment's
autograd Functions), truncated BPTT and whatever else a learner's objective does. FlopCounterMode
counts matrix products and convolutions, forward and backward, at 2 FLOPs per MAC; elementwise
work (activations, losses, the optimizer's update) is not counted, and a gradient autograd does
not need (the input's) is not computed, so not counted either.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from neurosim.deep.objectives import Classification, Objective
from neurosim.tasks.base import Split

Infer = Callable[[nn.Module, torch.Tensor], Any]
Losses = Callable[[nn.Module, torch.Tensor, torch.Tensor], Iterable[torch.Tensor]]
TIMING_REPEATS = 3  # best of: the first call pays for allocations a steady state would not
HOW = (
    "MACs per sample counted by torch's FlopCounterMode (matrix products and convolutions, custom"
    " backward passes included) on a batch of {n} {what}, divided by {n}: inference is one forward"
    " pass, training one optimizer step's forward and backward passes; elementwise work, the"
    " optimizer's update and the per-epoch evaluation passes are not counted"
)


def count_macs(run: Callable[[], Any]) -> float:
    """Multiply-accumulates torch performs while `run()` executes."""
    with FlopCounterMode(display=False) as counter:
        run()
    return counter.get_total_flops() / 2


def inference(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A plain forward pass in eval mode, outside autograd: what a trained classifier does."""
    model.eval()
    with torch.inference_mode():
        return model(x)


def torch_cost(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    losses: Losses,
    how: str,
    infer: Infer = inference,
    count_on: nn.Module | None = None,
    samples: int | None = None,
) -> dict[str, Any]:
    """MACs per sample of one inference (`infer` on the batch `x`) and of one training step
    (forward and backward of every loss `losses` yields for (x, y)), and the inference wall time
    per sample; all divided by the samples the batch holds (`samples`, default its length;
    a language model's batch holds columns x steps tokens).

    The MACs are counted on `count_on` when given: the same function computed by ops torch's
    counter sees (a fused LSTM kernel hides its products from it), while `model` is timed.
    Works on copies, so the backward passes and batch-norm statistics leave the learned model
    as it was.
    """
    model = copy.deepcopy(model)
    counted = copy.deepcopy(count_on) if count_on is not None else model
    n = samples or len(x)

    def train_step() -> None:
        counted.train()
        for loss in losses(counted, x, y):
            loss.backward()

    inference_macs = count_macs(lambda: infer(counted, x))
    train_macs = count_macs(train_step)
    seconds = []
    for _ in range(TIMING_REPEATS):
        start = time.perf_counter()
        infer(model, x)
        if x.device.type == "cuda":
            torch.cuda.synchronize(x.device)
        seconds.append(time.perf_counter() - start)
    return {
        "op": "MAC",
        "train_ops_per_sample": train_macs / n,
        "inference_ops_per_sample": inference_macs / n,
        "inference_seconds_per_sample": min(seconds) / n,
        "how": how,
    }


def trainer_cost(
    model: nn.Module,
    objective: Objective,
    data: Split,
    batch_size: int,
    device: torch.device,
    *,
    what: str = "training samples",
    infer: Infer = inference,
    count_on: nn.Module | None = None,
) -> dict[str, Any]:
    """`torch_cost` of a model the Trainer trained on `objective`, on the first `batch_size`
    samples of `data` (a batch as the Trainer's steps see it)."""
    x, y = objective.to_tensors(Split(data.x[:batch_size], data.y[:batch_size]), device)
    how = HOW.format(n=len(x), what=what)
    return torch_cost(model, x, y, losses=objective.losses, infer=infer, how=how, count_on=count_on)


def classifier_cost(
    model: nn.Module, data: Split, batch_size: int, device: torch.device
) -> dict[str, Any]:
    """`trainer_cost` of a classifier trained on cross-entropy (the Trainer's default)."""
    return trainer_cost(model, Classification(), data, batch_size, device)
