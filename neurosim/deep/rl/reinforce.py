"""REINFORCE (Williams 1992) with a learned state-value baseline: the textbook policy gradient.

The simplest deep RL agent that learns from returns alone, and so the closest backprop analogue
of reward-modulated plasticity: whole-episode Monte-Carlo returns, no bootstrapping, no replay.
As in most implementations (and unlike Sutton & Barto's pseudocode) the gamma^t factor on the
policy gradient is dropped: it would discount late steps of an episode to almost nothing.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from neurosim.deep.device import is_device_name, use_torch_threads
from neurosim.deep.optimizers import OptimizerName, make_optimizer
from neurosim.deep.rl.actor_critic import BestActor, actor_critic
from neurosim.deep.rl.advantages import discounted_returns
from neurosim.families.control import ControlAgent, LearningCurve
from neurosim.learner import Recorder
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.control import ControlTask


@dataclasses.dataclass
class ReinforceParams:
    """REINFORCE hyperparameters: the policy and its baseline learn at their own rates."""

    gamma: float = 0.99
    lr: float = 1e-3  # policy
    value_lr: float = 1e-3  # baseline
    episodes_per_update: int = 1
    normalize_advantage: bool = False  # a common variance-reduction extra, off by default
    hidden: list[int] = dataclasses.field(default_factory=lambda: [64, 64])
    optimizer: OptimizerName = "adam"
    device: str = "auto"

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                ("gamma", 0 < self.gamma <= 1, "must be in (0, 1]"),
                ("lr", math.isfinite(self.lr) and self.lr > 0, "must be a finite number > 0"),
                (
                    "value_lr",
                    math.isfinite(self.value_lr) and self.value_lr > 0,
                    "must be a finite number > 0",
                ),
                ("episodes_per_update", self.episodes_per_update >= 1, "must be >= 1"),
                ("hidden", all(units >= 1 for units in self.hidden), "needs layer sizes >= 1"),
                ("device", is_device_name(self.device), "must be 'auto' or a torch device"),
            ],
        )


def reinforce_losses(
    actor: nn.Module,
    critic: nn.Module,
    observations: torch.Tensor,
    actions: torch.Tensor,
    returns: torch.Tensor,
    normalize_advantage: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Policy loss -mean((G_t - V(s_t)) log pi(a_t|s_t)) and the baseline's squared error.

    The baseline is detached in the policy loss: it only lowers the variance of the gradient,
    whose expectation it leaves unchanged, and it learns from its own regression loss.
    """
    values = critic(observations).squeeze(-1)
    advantages = returns - values.detach()
    if normalize_advantage and len(advantages) > 1:
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    log_probs = actor(observations).log_softmax(-1)
    chosen = log_probs.gather(1, actions[:, None]).squeeze(1)
    return -(chosen * advantages).mean(), F.mse_loss(values, returns)


def update(
    actor: nn.Module,
    critic: nn.Module,
    optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    observations: torch.Tensor,
    actions: torch.Tensor,
    returns: torch.Tensor,
    normalize_advantage: bool,
) -> None:
    """One gradient step for the policy and one for the baseline, each with its own optimizer
    (actor's, critic's), on the gathered episodes (benchmarks/gpu_check.py times this too)."""
    policy_loss, value_loss = reinforce_losses(
        actor, critic, observations, actions, returns, normalize_advantage
    )
    for optimizer in optimizers:
        optimizer.zero_grad(set_to_none=True)
    (policy_loss + value_loss).backward()  # disjoint parameters: two separate gradients
    for optimizer in optimizers:
        optimizer.step()


@LEARNERS.register("reinforce")
class ReinforceAgent(ControlAgent):
    """Monte-Carlo policy gradient on one environment; keeps the best greedy-evaluated actor."""

    name = "reinforce"
    Params = ReinforceParams

    def train(
        self, task: ControlTask, env_steps: int, curve: LearningCurve, recorder: Recorder
    ) -> None:
        use_torch_threads()
        p = self.params
        torch.manual_seed(task.seed)
        actor, critic, device = actor_critic(task, p.hidden, p.device)
        self.device_ = device
        actor_optimizer = make_optimizer(
            p.optimizer, actor.parameters(), p.lr, device_type=device.type
        )
        critic_optimizer = make_optimizer(
            p.optimizer, critic.parameters(), p.value_lr, device_type=device.type
        )
        self.kept_ = kept = BestActor(actor)

        env = task.make_env()
        steps = episodes = 0
        # The episodes gathered for the next update.
        observations: list[np.ndarray] = []
        actions: list[int] = []
        returns: list[np.ndarray] = []
        while steps < env_steps:
            # Play one whole episode with the current stochastic policy. The env is seeded once;
            # later resets continue its seeded stream.
            observation, _ = env.reset(seed=None if episodes else task.seed)
            rewards: list[float] = []
            done = False
            while not done and steps < env_steps:
                obs = torch.as_tensor(observation, dtype=torch.float32, device=device)
                with torch.inference_mode():
                    action = int(torch.multinomial(actor(obs).softmax(-1), 1))
                observations.append(observation)
                actions.append(action)
                observation, reward, terminated, truncated, _ = env.step(action)
                rewards.append(float(reward))
                steps += 1
                done = terminated or truncated
            if not done:  # the budget ran out mid-episode: no return to learn from
                break
            episodes += 1
            curve.episode(steps, sum(rewards))
            returns.append(discounted_returns(np.array(rewards), p.gamma))
            if episodes % p.episodes_per_update:
                continue

            obs_batch = torch.as_tensor(np.array(observations), dtype=torch.float32, device=device)
            action_batch = torch.as_tensor(actions, device=device)
            return_batch = torch.as_tensor(np.concatenate(returns), dtype=torch.float32)
            return_batch = return_batch.to(device)
            update(
                actor,
                critic,
                (actor_optimizer, critic_optimizer),
                obs_batch,
                action_batch,
                return_batch,
                p.normalize_advantage,
            )
            observations, actions, returns = [], [], []

            if curve.due(steps):
                kept.evaluate(curve, steps, actor)
        if curve.due(steps):  # the budget ended mid-episode, after the last evaluation was due
            kept.evaluate(curve, steps, actor)
        kept.finish(actor)
        env.close()

    def act(self, observation: np.ndarray) -> int:
        return self.kept_.policy(observation)
