"""The multilayer perceptron every torch learner here is built from."""

from __future__ import annotations

from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh}


def build_mlp(
    n_inputs: int, hidden: list[int], n_outputs: int, activation: str, dropout: float
) -> nn.Sequential:
    """Linear -> activation [-> dropout] per hidden layer, then a linear readout (logits)."""
    layers: list[nn.Module] = []
    width = n_inputs
    for units in hidden:
        layers += [nn.Linear(width, units), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = units
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)
