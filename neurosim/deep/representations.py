"""What the layers of a torch network do on given inputs, as numpy arrays for the Activity record.

Layers are read with forward hooks, so the network runs once, exactly as it predicts (eval mode,
no autograd), and the models need no second forward path that could drift from the real one.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from neurosim.deep.models.mlp import ACTIVATIONS
from neurosim.deep.objectives import logits

_NONLINEARITIES = tuple(ACTIVATIONS.values())


def named_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The modules whose outputs are a network's layers, input side first.

    A conv block (Conv2d, nonlinearity, pooling) is read after its pooling: the feature maps the
    next block sees, `conv1`, `conv2`, ... A fully connected layer is read after its
    nonlinearity: `hidden`, `hidden2`, ... (the names `mlp` has always used).
    """
    layers: dict[str, nn.Module] = {}
    convs = hiddens = 0
    after_conv = False
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            after_conv = True
        elif isinstance(module, nn.Linear):
            after_conv = False
        elif after_conv and isinstance(module, nn.MaxPool2d):
            convs += 1
            layers[f"conv{convs}"] = module
        elif not after_conv and isinstance(module, _NONLINEARITIES):
            hiddens += 1
            layers["hidden" if hiddens == 1 else f"hidden{hiddens}"] = module
    return layers


def layer_responses(
    model: nn.Module, layers: dict[str, nn.Module], x: np.ndarray, device: torch.device
) -> dict[str, np.ndarray]:
    """Each named layer's output and the model's output (`output`, the logits) for inputs `x`,
    flattened to (len(x), units)."""
    captured: dict[str, torch.Tensor] = {}
    hooks = [
        module.register_forward_hook(
            lambda _module, _inputs, output, name=name: captured.__setitem__(name, output)
        )
        for name, module in layers.items()
    ]
    try:
        out = logits(model, torch.as_tensor(x, dtype=torch.float32, device=device))
    finally:
        for hook in hooks:
            hook.remove()
    responses = {name: captured[name].flatten(1).cpu().numpy() for name in layers}
    responses["output"] = out.flatten(1).cpu().numpy()
    return responses
