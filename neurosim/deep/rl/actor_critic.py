"""What PPO and REINFORCE share: their actor-critic on its device, and the actor they keep."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from neurosim.deep.device import choose_device
from neurosim.deep.models.actor_critic import build_actor_critic
from neurosim.deep.rl.frozen_policy import FrozenPolicy
from neurosim.families.control import LearningCurve
from neurosim.tasks.control import ControlTask


def actor_critic(
    task: ControlTask, hidden: list[int], device_name: str
) -> tuple[nn.Sequential, nn.Sequential, torch.device]:
    """The task's actor and critic, moved to the device they train on ('auto': by their size).

    Seed torch first: the orthogonal init draws from torch's global generator.
    """
    actor, critic = build_actor_critic(task.observation_size, hidden, task.n_actions)
    device = choose_device(device_name, [actor, critic])
    return actor.to(device), critic.to(device), device


class BestActor:
    """The greedy policy of the actor with the best evaluation so far (ties keep the later one,
    which has trained longer)."""

    def __init__(self, actor: nn.Sequential):
        self.policy = FrozenPolicy(actor)
        self.best_return = -np.inf

    def evaluate(self, curve: LearningCurve, env_steps: int, actor: nn.Sequential) -> None:
        candidate = FrozenPolicy(actor)
        mean = curve.evaluate(env_steps, candidate)
        if mean >= self.best_return:
            self.best_return, self.policy = mean, candidate

    def finish(self, actor: nn.Sequential) -> None:
        """Without any evaluation (a budget shorter than the interval) keep the trained actor."""
        if self.best_return == -np.inf:
            self.policy = FrozenPolicy(actor)
