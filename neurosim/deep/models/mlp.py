"""The multilayer perceptron every torch learner here is built from."""

from __future__ import annotations

from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh}


def build_mlp(
    n_inputs: int,
    hidden: list[int],
    n_outputs: int,
    activation: str,
    dropout: float,
    batch_norm: bool = False,
) -> nn.Sequential:
    """Linear [-> batch norm] -> activation [-> dropout] per hidden layer, then a linear readout
    (logits). Batch norm sits before the nonlinearity, as in Ioffe & Szegedy 2015."""
    layers: list[nn.Module] = []
    width = n_inputs
    for units in hidden:
        layers.append(nn.Linear(width, units))
        if batch_norm:
            layers.append(nn.BatchNorm1d(units))
        layers.append(ACTIVATIONS[activation]())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = units
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)
