"""Uniformly random actions: the floor every control agent must clear (CartPole ~22)."""

from __future__ import annotations

import dataclasses

import numpy as np

from neurosim.families.control import ControlAgent, LearningCurve
from neurosim.learner import Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks.control import ControlTask


@dataclasses.dataclass
class RandomPolicyParams:
    pass


@LEARNERS.register("random-policy")
class RandomPolicy(ControlAgent):
    """Plays the budget with random actions, so its curve sits on the same axes as the agents'."""

    name = "random-policy"
    Params = RandomPolicyParams

    def train(
        self, task: ControlTask, env_steps: int, curve: LearningCurve, recorder: Recorder
    ) -> None:
        self.rng_ = np.random.default_rng(task.seed)
        self.n_actions_ = task.n_actions
        env = task.make_env()
        env.action_space.seed(task.seed)
        env.reset(seed=task.seed)
        episode_return = 0.0
        for step in range(1, env_steps + 1):
            _, reward, terminated, truncated, _ = env.step(self.act(None))
            episode_return += float(reward)
            if terminated or truncated:
                curve.episode(step, episode_return)
                episode_return = 0.0
                env.reset()
            if curve.due(step):
                curve.evaluate(step, self.act)
        env.close()

    def act(self, observation: np.ndarray | None) -> int:
        return int(self.rng_.integers(self.n_actions_))
