"""Double DQN (van Hasselt, Guez & Silver 2016), written to be read top to bottom like CleanRL's.

The deep-RL reference for the control tasks: the defaults are rl-baselines3-zoo's tuned
CartPole-v1 DQN hyperparameters, with SB3's Huber loss and gradient clipping, so the figures
can be checked against Stable-Baselines3 run on the same machine. Two departures from SB3's DQN,
both asked for: the target is double DQN's (`double_q = false` gives SB3's max target), and the
model kept is the best greedy evaluation.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from neurosim.deep.cost import count_macs, inference
from neurosim.deep.device import choose_device, is_device_name, use_torch_threads
from neurosim.deep.models.q_network import build_q_network
from neurosim.deep.optimizers import OptimizerName, make_optimizer
from neurosim.deep.rl.frozen_policy import FrozenPolicy
from neurosim.deep.rl.replay import ReplayBuffer
from neurosim.families.control import ControlAgent, LearningCurve
from neurosim.learner import Recorder
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.control import ControlTask

ACT_TIMING_CALLS = 200  # one call takes microseconds: time many


@dataclasses.dataclass
class DQNParams:
    """rl-baselines3-zoo's CartPole-v1 DQN hyperparameters (hyperparams/dqn.yml).

    Every interval counts environment steps: a burst of `gradient_steps` minibatch updates every
    `train_freq` steps once more than `learning_starts` steps were taken (random actions until
    then), and a hard target-network copy every `target_update_interval` steps (counting
    gradient steps instead diverged). Epsilon falls linearly from `exploration_initial_eps` to
    `exploration_final_eps` over the first `exploration_fraction` of the budget.
    """

    net_arch: list[int] = dataclasses.field(default_factory=lambda: [256, 256])
    lr: float = 2.3e-3
    batch_size: int = 64
    buffer_size: int = 100_000
    learning_starts: int = 1000
    gamma: float = 0.99
    target_update_interval: int = 10
    train_freq: int = 256
    gradient_steps: int = 128
    exploration_fraction: float = 0.16
    exploration_initial_eps: float = 1.0
    exploration_final_eps: float = 0.04
    max_grad_norm: float = 10.0  # SB3's DQN default
    double_q: bool = True  # False: the original max target (Mnih et al. 2015), as SB3's DQN
    optimizer: OptimizerName = "adam"
    device: str = "auto"

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                ("net_arch", all(units >= 1 for units in self.net_arch), "needs layer sizes >= 1"),
                ("lr", math.isfinite(self.lr) and self.lr > 0, "must be a finite number > 0"),
                ("batch_size", self.batch_size >= 1, "must be >= 1"),
                ("buffer_size", self.buffer_size >= 1, "must be >= 1"),
                ("learning_starts", self.learning_starts >= 0, "must be >= 0"),
                ("gamma", 0 <= self.gamma <= 1, "must be in [0, 1]"),
                ("target_update_interval", self.target_update_interval >= 1, "must be >= 1"),
                ("train_freq", self.train_freq >= 1, "must be >= 1"),
                ("gradient_steps", self.gradient_steps >= 1, "must be >= 1"),
                ("exploration_fraction", 0 < self.exploration_fraction <= 1, "must be in (0, 1]"),
                (
                    "exploration_initial_eps",
                    0 <= self.exploration_initial_eps <= 1,
                    "must be in [0, 1]",
                ),
                (
                    "exploration_final_eps",
                    0 <= self.exploration_final_eps <= 1,
                    "must be in [0, 1]",
                ),
                ("max_grad_norm", self.max_grad_norm > 0, "must be > 0"),
                ("device", is_device_name(self.device), "must be 'auto' or a torch device"),
            ],
        )


def linear_epsilon(step: int, total_steps: int, fraction: float, start: float, end: float) -> float:
    """SB3's linear schedule: `start` at step 0, `end` from `fraction * total_steps` on."""
    progress = min(1.0, step / (fraction * total_steps))
    return start + progress * (end - start)


def max_target(
    rewards: torch.Tensor, terminated: torch.Tensor, next_q_target: torch.Tensor, gamma: float
) -> torch.Tensor:
    """r + gamma * max_a Q_target(s', a), without the bootstrap at a terminal s' (Mnih et al.)."""
    return rewards + gamma * (1.0 - terminated) * next_q_target.max(dim=1).values


def double_dqn_target(
    rewards: torch.Tensor,
    terminated: torch.Tensor,
    next_q_online: torch.Tensor,
    next_q_target: torch.Tensor,
    gamma: float,
) -> torch.Tensor:
    """r + gamma * Q_target(s', argmax_a Q_online(s', a)), without the bootstrap at a terminal s'.

    The online net picks the action and the target net scores it: the max over one net's noisy
    estimates is biased upwards, and decoupling choice from evaluation removes most of that bias.
    """
    best_actions = next_q_online.argmax(dim=1, keepdim=True)
    next_values = next_q_target.gather(1, best_actions).squeeze(1)
    return rewards + gamma * (1.0 - terminated) * next_values


def train_burst(
    p: DQNParams,
    buffer: ReplayBuffer,
    rng: np.random.Generator,
    q_network: nn.Module,
    target_network: nn.Module,
    optimizer: torch.optim.Optimizer,
) -> tuple[torch.Tensor, torch.Tensor]:
    """`gradient_steps` Huber-loss updates on fresh minibatches; returns the last one's mean
    Q(s, a) and loss (as tensors, so no device sync unless someone reads them).

    A function of its inputs (the networks' device included), so benchmarks/gpu_check.py can time
    the very update the agent makes.
    """
    device = next(q_network.parameters()).device
    batch = buffer.sample(rng, p.batch_size, p.gradient_steps)
    observations, actions, rewards, next_observations, terminated = (
        torch.from_numpy(array).to(device) for array in batch
    )
    actions = actions.unsqueeze(-1)
    parameters = list(q_network.parameters())
    for i in range(p.gradient_steps):
        with torch.no_grad():
            next_q_target = target_network(next_observations[i])
            if p.double_q:
                targets = double_dqn_target(
                    rewards[i],
                    terminated[i],
                    q_network(next_observations[i]),
                    next_q_target,
                    p.gamma,
                )
            else:
                targets = max_target(rewards[i], terminated[i], next_q_target, p.gamma)
        q_taken = q_network(observations[i]).gather(1, actions[i]).squeeze(1)
        loss = F.smooth_l1_loss(q_taken, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(parameters, p.max_grad_norm, foreach=True)
        optimizer.step()
    return q_taken.detach().mean(), loss.detach()


@LEARNERS.register("dqn")
class DQN(ControlAgent):
    """Double DQN with uniform replay, a hard-copied target network and best-model keeping.

    After `fit`: `q_network_` is the online network as training left it, `replay_` the replay
    buffer, and `policy_` the kept model that `act` uses: the snapshot whose greedy evaluation
    was best (ties go to the later one; the final network if no evaluation ran).
    """

    name = "dqn"
    Params = DQNParams
    artifacts = ("json", "arrays")  # episodes; Q-values of the evaluation states

    def train(
        self, task: ControlTask, env_steps: int, curve: LearningCurve, recorder: Recorder
    ) -> None:
        p: DQNParams = self.params
        use_torch_threads()
        torch.manual_seed(task.seed)
        rng = np.random.default_rng(task.seed)
        n_actions = task.n_actions

        q_network = build_q_network(task.observation_size, p.net_arch, n_actions)
        self.device_ = device = choose_device(p.device, [q_network])
        self.q_network_ = q_network = q_network.to(device)
        target_network = build_q_network(task.observation_size, p.net_arch, n_actions)
        target_network = target_network.to(device).requires_grad_(False)
        target_network.load_state_dict(q_network.state_dict())
        optimizer = make_optimizer(
            p.optimizer, q_network.parameters(), p.lr, device_type=device.type
        )
        self.replay_ = buffer = ReplayBuffer(p.buffer_size, task.observation_size)

        acting = self.policy_ = FrozenPolicy(q_network)  # refreshed after every training burst
        best_return = -np.inf
        trace: dict[str, list[float]] = {"env_steps": [], "mean_q": [], "loss": []}

        env = task.make_env()
        observation, _ = env.reset(seed=task.seed)
        episode_return = 0.0
        for step in range(env_steps):
            epsilon = linear_epsilon(
                step,
                env_steps,
                p.exploration_fraction,
                p.exploration_initial_eps,
                p.exploration_final_eps,
            )
            if step < p.learning_starts or rng.random() < epsilon:
                action = int(rng.integers(n_actions))
            else:
                action = acting(observation)
            next_observation, reward, terminated, truncated, _ = env.step(action)
            buffer.add(observation, action, float(reward), next_observation, terminated)
            episode_return += float(reward)
            observation = next_observation
            done_steps = step + 1
            if terminated or truncated:
                curve.episode(done_steps, episode_return)
                observation, _ = env.reset()
                episode_return = 0.0

            if done_steps % p.target_update_interval == 0:
                target_network.load_state_dict(q_network.state_dict())
            if done_steps % p.train_freq == 0 and done_steps > p.learning_starts:
                mean_q, loss = train_burst(p, buffer, rng, q_network, target_network, optimizer)
                acting = FrozenPolicy(q_network)
                if recorder.enabled:
                    trace["env_steps"].append(done_steps)
                    trace["mean_q"].append(mean_q.item())
                    trace["loss"].append(loss.item())

            if curve.due(done_steps):
                mean_return = curve.evaluate(done_steps, acting)
                if mean_return >= best_return:
                    best_return, self.policy_ = mean_return, acting
        env.close()
        if best_return == -np.inf:
            self.policy_ = acting
        recorder.arrays("q_values", **{key: np.array(values) for key, values in trace.items()})

    def act(self, observation: np.ndarray) -> int:
        return self.policy_(observation)

    def cost(self, task: ControlTask) -> dict:
        """MACs per environment step counted by torch on copies of the trained networks: one
        forward to act, and in steady state `gradient_steps / train_freq` updates per step."""
        p: DQNParams = self.params
        q_network = copy.deepcopy(self.q_network_)
        target_network = copy.deepcopy(self.q_network_).requires_grad_(False)
        optimizer = make_optimizer(
            p.optimizer, q_network.parameters(), p.lr, device_type=self.device_.type
        )
        one_update = dataclasses.replace(p, gradient_steps=1)
        rng = np.random.default_rng(task.seed)
        update = count_macs(
            lambda: train_burst(one_update, self.replay_, rng, q_network, target_network, optimizer)
        )
        observation = np.zeros(task.observation_size, dtype=np.float32)
        act = count_macs(
            lambda: inference(q_network, torch.as_tensor(observation, device=self.device_)[None])
        )
        start = time.perf_counter()
        for _ in range(ACT_TIMING_CALLS):
            self.policy_(observation)
        acting_s = (time.perf_counter() - start) / ACT_TIMING_CALLS
        return {
            "op": "MAC",
            "train_ops_per_sample": act + update * p.gradient_steps / p.train_freq,
            "inference_ops_per_sample": act,
            "inference_seconds_per_sample": acting_s,
            "how": "MACs per environment step counted by torch's FlopCounterMode: inference is"
            " one forward of the Q-network on one observation; training adds to it the steady"
            f" state's {p.gradient_steps} updates per {p.train_freq} steps, each on a minibatch"
            f" of {p.batch_size} (target and online forwards on the next states, online forward"
            " and backward on the states); the warm-up without updates, random exploratory"
            " actions that need no forward, elementwise work and the optimizer's update are not"
            " counted; seconds per inference: the numpy policy's time to act once",
        }
