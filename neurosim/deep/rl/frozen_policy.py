"""A frozen numpy copy of an MLP that plays the argmax of its outputs: how torch agents act.

Acting and greedy evaluation feed one observation per call, ~250k calls in a CartPole run; there
torch spends ~65-70 us per call on dispatch, several times a whole numpy pass through a 64-64 or
256-256 net (~15 us), and would dominate the fit's time. A copy, so later updates cannot change
a kept model.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from torch import nn

Activation = Callable[[np.ndarray], np.ndarray]
NUMPY_ACTIVATIONS: dict[type[nn.Module], Activation] = {
    nn.ReLU: lambda x: np.maximum(x, 0.0),
    nn.Tanh: np.tanh,
}


class FrozenPolicy:
    """The Linear layers and activations of an nn.Sequential; any other layer is refused.

    `layers` holds (weight, bias, activation or None), each weight a contiguous (inputs, outputs)
    copy. (A transposed view of torch's layout takes another BLAS path and rounds float32 sums
    differently, so the layout is part of what makes a run reproducible.)
    """

    def __init__(self, network: nn.Sequential):
        self.layers: list[tuple[np.ndarray, np.ndarray, Activation | None]] = []
        for module in network:
            if isinstance(module, nn.Linear):
                weight = module.weight.detach().cpu().numpy().copy()  # (outputs, inputs)
                weight = weight.T.copy()
                bias = module.bias.detach().cpu().numpy().copy()
                self.layers.append((weight, bias, None))
            elif type(module) in NUMPY_ACTIVATIONS:
                weight, bias, _ = self.layers[-1]
                self.layers[-1] = (weight, bias, NUMPY_ACTIVATIONS[type(module)])
            else:
                raise TypeError(f"FrozenPolicy cannot copy a {type(module).__name__} layer")

    def outputs(self, observation: np.ndarray) -> np.ndarray:
        """The network's outputs (Q-values or logits) for one observation, in float32."""
        x = np.asarray(observation, dtype=np.float32)
        for weight, bias, activation in self.layers:
            x = x @ weight + bias
            if activation is not None:
                x = activation(x)
        return x

    def __call__(self, observation: np.ndarray) -> int:
        return int(np.argmax(self.outputs(observation)))
