"""The gradient-descent variants a spec can name, built from torch.optim."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

import torch

from neurosim.errors import ParameterError

OptimizerName = Literal["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
OPTIMIZERS: tuple[str, ...] = get_args(OptimizerName)

# torch ships fused SGD/Adam/Adagrad kernels for these device types; elsewhere (and for RMSprop)
# torch's own default (foreach on accelerators, a loop on CPU) is the clean fallback.
_FUSED_DEVICE_TYPES = ("cpu", "cuda")


def make_optimizer(
    name: str,
    params: Iterable[torch.Tensor],
    lr: float,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    device_type: str = "cpu",
) -> torch.optim.Optimizer:
    """Build optimizer `name`; `momentum` only affects 'momentum' and 'nesterov'.

    `weight_decay` is the classic L2 penalty: lambda * w is added to every gradient.
    """
    fused = {"fused": True} if device_type in _FUSED_DEVICE_TYPES else {}
    common = {"lr": lr, "weight_decay": weight_decay}
    if name == "sgd":
        return torch.optim.SGD(params, **common, **fused)
    if name == "momentum":
        return torch.optim.SGD(params, momentum=momentum, **common, **fused)
    if name == "nesterov":
        return torch.optim.SGD(params, momentum=momentum, nesterov=True, **common, **fused)
    if name == "adagrad":
        return torch.optim.Adagrad(params, **common, **fused)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, **common)
    if name == "adam":
        return torch.optim.Adam(params, **common, **fused)
    raise ParameterError(
        f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}", field="optimizer"
    )
