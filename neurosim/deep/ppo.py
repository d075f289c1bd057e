"""Proximal Policy Optimization (Schulman et al. 2017), one file in the style of CleanRL's ppo.py.

The deep actor-critic reference for the control tasks. Defaults are rl-baselines3-zoo's tuned
CartPole-v1 hyperparameters on top of Stable-Baselines3's PPO defaults (separate 64-64 tanh actor
and critic, orthogonal init, per-minibatch advantage normalisation, one optimizer, grad-norm
clipping), so it can be compared with the SB3 figures measured on this machine.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Categorical

from neurosim.control_agent import ControlAgent, LearningCurve
from neurosim.deep.advantages import gae
from neurosim.deep.device import apply_thread_limit, resolve_device
from neurosim.deep.mlp import build_mlp
from neurosim.deep.optimizers import OptimizerName, make_optimizer
from neurosim.errors import ParameterError
from neurosim.learner import Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks.control import ControlTask

Schedule = Literal["linear", "constant"]

# Below this many parameters `device="auto"` stays on the CPU: every env step runs the actor on
# only n_envs observations, and on a GPU each such call pays kernel launches and a host sync that
# cost more than the whole CPU forward pass of a 64-64 net (~4.5k parameters). Only nets far
# larger than the classic-control ones have matrix products big enough to win that back.
LARGE_NET_PARAMETERS = 1_000_000


def check_fields(owner: str, params: object, checks: Sequence[tuple[str, bool, str]]) -> None:
    """Raise ParameterError for the first failed (field, ok, must) check, naming the field."""
    for field, ok, must in checks:
        if not ok:
            raise ParameterError(f"{owner}: field '{field}' {must}, got {getattr(params, field)!r}")


def is_device_name(name: str) -> bool:
    if name == "auto":
        return True
    try:
        torch.device(name)
    except RuntimeError:
        return False
    return True


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
        finite_positive = "must be a finite number > 0"
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
                ("lr", math.isfinite(self.lr) and self.lr > 0, finite_positive),
                ("clip_range", math.isfinite(self.clip_range) and self.clip_range > 0, finite_positive),
                ("ent_coef", self.ent_coef >= 0, "must be >= 0"),
                ("vf_coef", self.vf_coef >= 0, "must be >= 0"),
                ("max_grad_norm", self.max_grad_norm > 0, "must be > 0"),
                ("hidden", all(units >= 1 for units in self.hidden), "needs layer sizes >= 1"),
                ("device", is_device_name(self.device), "must be 'auto' or a torch device"),
            ],
        )


def orthogonal_mlp(n_inputs: int, hidden: list[int], n_outputs: int, out_gain: float) -> nn.Module:
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


def pick_device(name: str, nets: Sequence[nn.Module]) -> torch.device:
    """`auto` means the CPU unless the nets are large (see LARGE_NET_PARAMETERS)."""
    if name != "auto":
        return resolve_device(name)
    size = sum(p.numel() for net in nets for p in net.parameters())
    return resolve_device("auto") if size >= LARGE_NET_PARAMETERS else torch.device("cpu")


class GreedyPolicy:
    """A frozen CPU copy of an actor that plays argmax of its logits (evaluation and `act`).

    A copy, so later updates cannot change a kept model; on the CPU, because evaluation feeds
    one observation at a time.
    """

    def __init__(self, actor: nn.Module):
        self.actor = copy.deepcopy(actor).cpu().eval()

    def __call__(self, observation: np.ndarray) -> int:
        with torch.inference_mode():
            logits = self.actor(torch.as_tensor(observation, dtype=torch.float32))
        return int(logits.argmax())


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


@LEARNERS.register("ppo")
class PPOAgent(ControlAgent):
    """PPO with GAE on vectorised environments; keeps the actor with the best greedy evaluation."""

    name = "ppo"
    Params = PPOParams

    def train(
        self, task: ControlTask, env_steps: int, curve: LearningCurve, recorder: Recorder
    ) -> None:
        apply_thread_limit()
        p = self.params
        torch.manual_seed(task.seed)
        actor = orthogonal_mlp(task.observation_size, p.hidden, task.n_actions, out_gain=0.01)
        critic = orthogonal_mlp(task.observation_size, p.hidden, 1, out_gain=1.0)
        self.device_ = device = pick_device(p.device, [actor, critic])
        actor, critic = actor.to(device), critic.to(device)
        parameters = [*actor.parameters(), *critic.parameters()]
        optimizer = make_optimizer(p.optimizer, parameters, p.lr, device_type=device.type)
        self.policy_ = GreedyPolicy(actor)
        best_return = -np.inf

        # Rollout storage, time-major: (n_steps, n_envs, ...).
        shape = (p.n_steps, p.n_envs)
        observations = torch.zeros((*shape, task.observation_size), device=device)
        actions = torch.zeros(shape, dtype=torch.long, device=device)
        log_probs = torch.zeros(shape, device=device)
        rewards = np.zeros(shape)
        terminated = np.zeros(shape, dtype=bool)
        truncated = np.zeros(shape, dtype=bool)
        trained_on = np.zeros(shape, dtype=bool)

        envs = task.make_vector_env(p.n_envs)
        observation, _ = envs.reset(seed=task.seed)
        # gymnasium's NEXT_STEP autoreset: a copy that just finished ignores its next action and
        # returns the new episode's first observation with reward 0. That step is no experience:
        # it is neither trained on nor counted as an env step.
        resetting = np.zeros(p.n_envs, dtype=bool)
        episode_return = np.zeros(p.n_envs)
        steps = 0
        while steps < env_steps:
            progress = steps / env_steps
            for group in optimizer.param_groups:
                group["lr"] = linear_decay(p.lr, p.lr_schedule, progress)
            clip_range = linear_decay(p.clip_range, p.clip_schedule, progress)

            length = 0
            while length < p.n_steps and steps < env_steps:
                obs = torch.as_tensor(observation, dtype=torch.float32, device=device)
                with torch.inference_mode():
                    dist = Categorical(logits=actor(obs), validate_args=False)
                    action = dist.sample()
                    log_probs[length] = dist.log_prob(action)
                observations[length], actions[length] = obs, action
                observation, reward, term, trunc, _ = envs.step(action.cpu().numpy())
                live = ~resetting
                rewards[length], terminated[length], truncated[length] = reward, term, trunc
                trained_on[length] = live
                steps += int(live.sum())
                episode_return += reward
                for i in np.flatnonzero((term | trunc) & live):
                    curve.episode(steps, episode_return[i])
                    episode_return[i] = 0.0
                resetting = term | trunc
                length += 1

            # Values of every stored observation, then of the one after the last step: step t led
            # to observation t+1, even across a time limit (the next step is then the reset one),
            # so truncated episodes bootstrap from V(final observation).
            with torch.inference_mode():
                values = critic(observations[:length]).squeeze(-1).cpu().numpy()
                last = critic(torch.as_tensor(observation, dtype=torch.float32, device=device))
            next_values = np.concatenate([values[1:], last.squeeze(-1).cpu().numpy()[None]])
            advantages = gae(
                rewards[:length],
                values,
                next_values,
                terminated[:length],
                truncated[:length],
                p.gamma,
                p.gae_lambda,
            )
            keep = torch.from_numpy(trained_on[:length].reshape(-1)).to(device)
            b_obs = observations[:length].reshape(-1, task.observation_size)[keep]
            b_actions = actions[:length].reshape(-1)[keep]
            b_log_probs = log_probs[:length].reshape(-1)[keep]
            b_advantages = torch.as_tensor(advantages.reshape(-1), dtype=torch.float32)
            b_advantages = b_advantages.to(device)[keep]
            b_returns = b_advantages + torch.as_tensor(values.reshape(-1), device=device)[keep]

            for _ in range(p.n_epochs):
                for batch in torch.randperm(len(b_obs), device=device).split(p.batch_size):
                    dist = Categorical(logits=actor(b_obs[batch]), validate_args=False)
                    ratio = torch.exp(dist.log_prob(b_actions[batch]) - b_log_probs[batch])
                    advantage = b_advantages[batch]
                    if p.normalize_advantage and len(batch) > 1:
                        advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
                    policy_loss = clipped_surrogate_loss(ratio, advantage, clip_range)
                    value_loss = F.mse_loss(critic(b_obs[batch]).squeeze(-1), b_returns[batch])
                    entropy = dist.entropy().mean()
                    loss = policy_loss - p.ent_coef * entropy + p.vf_coef * value_loss
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    nn.utils.clip_grad_norm_(parameters, p.max_grad_norm)
                    optimizer.step()

            if curve.due(steps):
                candidate = GreedyPolicy(actor)
                mean = curve.evaluate(steps, candidate)
                if mean >= best_return:  # ties keep the later, better-trained actor
                    best_return, self.policy_ = mean, candidate
        envs.close()

    def act(self, observation: np.ndarray) -> int:
        return self.policy_(observation)
