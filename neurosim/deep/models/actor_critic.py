"""The actor and critic networks of the policy-gradient agents (PPO and REINFORCE)."""

from __future__ import annotations

import math

from torch import nn

from neurosim.deep.models.mlp import build_mlp


def orthogonal_mlp(
    n_inputs: int, hidden: list[int], n_outputs: int, out_gain: float
) -> nn.Sequential:
    """A tanh MLP with SB3's orthogonal init: gain sqrt(2) inside, `out_gain` on the readout.

    A small actor gain (0.01) starts the policy near uniform, so early rollouts explore.
    """
    net = build_mlp(n_inputs, hidden, n_outputs, activation="tanh", dropout=0.0)
    linears = [module for module in net if isinstance(module, nn.Linear)]
    for layer in linears:
        gain = out_gain if layer is linears[-1] else math.sqrt(2)
        nn.init.orthogonal_(layer.weight, gain=gain)
        nn.init.zeros_(layer.bias)
    return net


def build_actor_critic(
    n_inputs: int, hidden: list[int], n_actions: int
) -> tuple[nn.Sequential, nn.Sequential]:
    """Separate tanh actor (logits) and critic (state value), as SB3 builds them for PPO.

    Seed torch first: the orthogonal init draws from torch's global generator, actor first.
    """
    actor = orthogonal_mlp(n_inputs, hidden, n_actions, out_gain=0.01)
    critic = orthogonal_mlp(n_inputs, hidden, 1, out_gain=1.0)
    return actor, critic
