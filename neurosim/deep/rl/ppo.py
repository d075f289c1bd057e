"""Proximal Policy Optimization (Schulman et al. 2017), one file in the style of CleanRL's ppo.py.

The deep actor-critic reference for the control tasks. Defaults are rl-baselines3-zoo's tuned
CartPole-v1 hyperparameters on top of Stable-Baselines3's PPO defaults (separate 64-64 tanh actor
and critic, orthogonal init, per-minibatch advantage normalisation, one optimizer, grad-norm
clipping), so it can be compared with the SB3 figures measured on this machine.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Categorical

from neurosim.deep.device import is_device_name, use_torch_threads
from neurosim.deep.optimizers import OptimizerName, make_optimizer
from neurosim.deep.rl.actor_critic import BestActor, actor_critic
from neurosim.deep.rl.advantages import gae
from neurosim.families.control import ControlAgent, LearningCurve
from neurosim.learner import Recorder
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.control import ControlTask

Schedule = Literal["linear", "constant"]


@dataclasses.dataclass
class PPOParams:
    """PPO hyperparameters; a rollout is `n_steps` steps of each of `n_envs` copies.

    `lr` and `clip_range` decay linearly to 0 over the env-step budget under the "linear"
    schedule (rl-zoo's `lin_0.001`, `lin_0.2`).
    """

    n_envs: int = 8
    n_steps: int = 32
    batch_size: int = 256
    n_epochs: int = 20
    gamma: float = 0.98
    gae_lambda: float = 0.8
    lr: float = 1e-3
    lr_schedule: Schedule = "linear"
    clip_range: float = 0.2
    clip_schedule: Schedule = "linear"
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    normalize_advantage: bool = True
    hidden: list[int] = dataclasses.field(default_factory=lambda: [64, 64])
    optimizer: OptimizerName = "adam"
    device: str = "auto"

    def validate(self, owner: str) -> None:
        def finite_positive(value: float) -> bool:
            return math.isfinite(value) and value > 0

        check_fields(
            owner,
            self,
            [
                ("n_envs", self.n_envs >= 1, "must be >= 1"),
                ("n_steps", self.n_steps >= 1, "must be >= 1"),
                ("batch_size", self.batch_size >= 1, "must be >= 1"),
                ("n_epochs", self.n_epochs >= 1, "must be >= 1"),
                ("gamma", 0 < self.gamma <= 1, "must be in (0, 1]"),
                ("gae_lambda", 0 <= self.gae_lambda <= 1, "must be in [0, 1]"),
                ("lr", finite_positive(self.lr), "must be a finite number > 0"),
                ("clip_range", finite_positive(self.clip_range), "must be a finite number > 0"),
                ("ent_coef", self.ent_coef >= 0, "must be >= 0"),
                ("vf_coef", self.vf_coef >= 0, "must be >= 0"),
                ("max_grad_norm", self.max_grad_norm > 0, "must be > 0"),
                ("hidden", all(units >= 1 for units in self.hidden), "needs layer sizes >= 1"),
                ("device", is_device_name(self.device), "must be 'auto' or a torch device"),
            ],
        )


def linear_decay(value: float, schedule: Schedule, progress: float) -> float:
    """`value` scaled by the fraction of the budget still ahead ("linear"), or kept ("constant")."""
    return value * (1.0 - progress) if schedule == "linear" else value


def clipped_surrogate_loss(
    ratio: torch.Tensor, advantages: torch.Tensor, clip_range: float
) -> torch.Tensor:
    """PPO's policy loss: -mean(min(r A, clip(r, 1-eps, 1+eps) A)), a pessimistic bound that
    removes any incentive to move the probability ratio r beyond the clip range."""
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip_range, 1.0 + clip_range) * advantages
    return -torch.min(unclipped, clipped).mean()


@dataclasses.dataclass
class Batch:
    """The transitions of one rollout that PPO trains on, flattened over steps and copies."""

    observations: torch.Tensor
    actions: torch.Tensor
    log_probs: torch.Tensor  # of the actions under the policy that collected them
    advantages: torch.Tensor  # GAE(lambda)
    returns: torch.Tensor  # value targets: advantage + V

    def __len__(self) -> int:
        return len(self.actions)


def update(
    p: PPOParams,
    actor: nn.Module,
    critic: nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: Batch,
    clip_range: float,
) -> None:
    """`n_epochs` passes over one rollout in shuffled minibatches, one clipped-surrogate step
    on actor and critic together per minibatch (benchmarks/gpu_check.py times this too)."""
    parameters = [*actor.parameters(), *critic.parameters()]  # as the optimizer holds them
    for _ in range(p.n_epochs):
        for index in torch.randperm(len(batch), device=batch.actions.device).split(p.batch_size):
            dist = Categorical(logits=actor(batch.observations[index]), validate_args=False)
            ratio = torch.exp(dist.log_prob(batch.actions[index]) - batch.log_probs[index])
            advantage = batch.advantages[index]
            if p.normalize_advantage and len(index) > 1:
                advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
            policy_loss = clipped_surrogate_loss(ratio, advantage, clip_range)
            values = critic(batch.observations[index]).squeeze(-1)
            value_loss = F.mse_loss(values, batch.returns[index])
            entropy = dist.entropy().mean()
            loss = policy_loss - p.ent_coef * entropy + p.vf_coef * value_loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(parameters, p.max_grad_norm)
            optimizer.step()


class Rollouts:
    """n_steps steps of every copy of a vector env, stored time-major as (n_steps, n_envs, ...).

    gymnasium's NEXT_STEP autoreset: a copy that just finished ignores its next action and returns
    the new episode's first observation with reward 0. That step is no experience: it is neither
    trained on nor counted in `env_steps`.
    """

    def __init__(
        self, envs: gym.vector.VectorEnv, n_steps: int, seed: int, device: torch.device
    ) -> None:
        self.envs, self.n_steps, self.device = envs, n_steps, device
        shape = (n_steps, envs.num_envs)
        self.observations = torch.zeros(
            (*shape, *envs.single_observation_space.shape), device=device
        )
        self.actions = torch.zeros(shape, dtype=torch.long, device=device)
        self.log_probs = torch.zeros(shape, device=device)
        self.rewards = np.zeros(shape)
        self.terminated = np.zeros(shape, dtype=bool)
        self.truncated = np.zeros(shape, dtype=bool)
        self.trained_on = np.zeros(shape, dtype=bool)
        self.length = 0  # steps stored by the last `collect`
        self.env_steps = 0
        self.observation, _ = envs.reset(seed=seed)
        self.resetting = np.zeros(envs.num_envs, dtype=bool)
        self.episode_return = np.zeros(envs.num_envs)

    def collect(self, actor: nn.Module, max_env_steps: int, curve: LearningCurve) -> None:
        """Sample actions from `actor` for n_steps steps, or until `max_env_steps` is reached,
        reporting each finished episode to `curve`."""
        self.length = 0
        while self.length < self.n_steps and self.env_steps < max_env_steps:
            t = self.length
            obs = torch.as_tensor(self.observation, dtype=torch.float32, device=self.device)
            with torch.inference_mode():
                dist = Categorical(logits=actor(obs), validate_args=False)
                action = dist.sample()
                self.log_probs[t] = dist.log_prob(action)
            self.observations[t], self.actions[t] = obs, action
            self.observation, reward, terminated, truncated, _ = self.envs.step(
                action.cpu().numpy()
            )
            live = ~self.resetting
            self.rewards[t], self.terminated[t], self.truncated[t] = reward, terminated, truncated
            self.trained_on[t] = live
            self.env_steps += int(live.sum())
            self.episode_return += reward
            for i in np.flatnonzero((terminated | truncated) & live):
                curve.episode(self.env_steps, self.episode_return[i])
                self.episode_return[i] = 0.0
            self.resetting = terminated | truncated
            self.length += 1

    def batch(self, critic: nn.Module, gamma: float, gae_lambda: float) -> Batch:
        """The trained-on transitions of the last `collect`, with advantages from `critic`.

        Step t led to stored observation t+1, even across a time limit (step t+1 is then the reset
        one, whose input is the final observation), so V of observation t+1 is what step t
        bootstraps from, and truncated episodes bootstrap from V(final observation).
        """
        n = self.length
        observations = self.observations[:n]
        with torch.inference_mode():
            values = critic(observations).squeeze(-1).cpu().numpy()
            after = critic(
                torch.as_tensor(self.observation, dtype=torch.float32, device=self.device)
            )
        next_values = np.concatenate([values[1:], after.squeeze(-1).cpu().numpy()[None]])
        advantages = gae(
            self.rewards[:n],
            values,
            next_values,
            self.terminated[:n],
            self.truncated[:n],
            gamma,
            gae_lambda,
        )
        keep = torch.from_numpy(self.trained_on[:n].reshape(-1)).to(self.device)

        def flat(array: np.ndarray | torch.Tensor) -> torch.Tensor:
            tensor = torch.as_tensor(array, dtype=torch.float32, device=self.device)
            return tensor.reshape(n * self.envs.num_envs, *tensor.shape[2:])[keep]

        return Batch(
            observations=flat(observations),
            actions=self.actions[:n].reshape(-1)[keep],
            log_probs=flat(self.log_probs[:n]),
            advantages=flat(advantages),
            returns=flat(advantages + values),
        )

    def close(self) -> None:
        self.envs.close()


@LEARNERS.register("ppo")
class PPOAgent(ControlAgent):
    """PPO with GAE on vectorised environments; keeps the actor with the best greedy evaluation."""

    name = "ppo"
    Params = PPOParams

    def train(
        self, task: ControlTask, env_steps: int, curve: LearningCurve, recorder: Recorder
    ) -> None:
        use_torch_threads()
        p = self.params
        torch.manual_seed(task.seed)
        actor, critic, device = actor_critic(task, p.hidden, p.device)
        self.device_ = device
        parameters = [*actor.parameters(), *critic.parameters()]
        optimizer = make_optimizer(p.optimizer, parameters, p.lr, device_type=device.type)
        self.kept_ = kept = BestActor(actor)
        rollouts = Rollouts(task.make_vector_env(p.n_envs), p.n_steps, task.seed, device)

        while rollouts.env_steps < env_steps:
            progress = rollouts.env_steps / env_steps
            for group in optimizer.param_groups:
                group["lr"] = linear_decay(p.lr, p.lr_schedule, progress)
            clip_range = linear_decay(p.clip_range, p.clip_schedule, progress)

            rollouts.collect(actor, env_steps, curve)
            batch = rollouts.batch(critic, p.gamma, p.gae_lambda)
            update(p, actor, critic, optimizer, batch, clip_range)

            if curve.due(rollouts.env_steps):
                kept.evaluate(curve, rollouts.env_steps, actor)
        kept.finish(actor)
        rollouts.close()

    def act(self, observation: np.ndarray) -> int:
        return self.kept_.policy(observation)
