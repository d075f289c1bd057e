"""DQN's action-value network: one Q-value per action from an observation."""

from __future__ import annotations

from torch import nn

from neurosim.deep.models.mlp import build_mlp


def build_q_network(n_inputs: int, hidden: list[int], n_actions: int) -> nn.Sequential:
    """A ReLU MLP with torch's default init and no dropout, as SB3's DQN builds it.

    Drawn from torch's global generator: the online and target networks are built in turn.
    """
    return build_mlp(n_inputs, hidden, n_actions, activation="relu", dropout=0.0)
