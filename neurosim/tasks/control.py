"""Classic-control tasks from gymnasium: the ground where deep RL agents and spiking agents meet.

A ControlTask hands agents seeded environments and one evaluation protocol, so a DQN, a PPO and
a Brian2 network in a closed loop are scored the same way: mean return over greedy evaluation
episodes on seeds the agent never trained on, env steps and wall time until that mean first
reaches the task's threshold, and the area under the learning curve.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import ClassVar

import gymnasium as gym
import numpy as np

from neurosim.errors import ParameterError
from neurosim.params import build_params
from neurosim.registry import TASKS
from neurosim.tasks.base import ProbeSet, Task

EVAL_SEED_OFFSET = 1_000_000  # evaluation episodes never reuse a training episode's seed


@dataclasses.dataclass(frozen=True)
class ControlSpec:
    """What is fixed about one environment: its id, threshold and what was measured on it."""

    env_id: str
    solved_return: float  # gymnasium's reward_threshold
    default_env_steps: int
    references: dict[str, str]


CONTROL_TASKS: dict[str, ControlSpec] = {
    "cartpole": ControlSpec(
        env_id="CartPole-v1",
        solved_return=475.0,
        default_env_steps=50_000,
        references={
            "random policy (measured here)": "~22",
            "Stable-Baselines3 DQN, rl-zoo hyperparameters (measured here)": (
                "greedy mean >= 475 after 12.5k-27.5k steps; 500 after 50k on 3/3 seeds"
            ),
            "Stable-Baselines3 PPO, rl-zoo hyperparameters (measured here)": (
                ">= 475 after 20-25k steps; 500 after 100k on 3/3 seeds"
            ),
            "CleanRL DQN / PPO, 500k steps, 3 seeds (reported)": "488.69 ± 16.11 / 490.04 ± 6.12",
            "R-STDP spiking agent with a non-spiking critic (prototype here)": "plateau ~100",
        },
    ),
    "acrobot": ControlSpec(
        env_id="Acrobot-v1",
        solved_return=-100.0,
        default_env_steps=100_000,
        references={"random policy (measured here)": "~ -500 (the time limit)"},
    ),
    "mountaincar": ControlSpec(
        env_id="MountainCar-v0",
        solved_return=-110.0,
        default_env_steps=200_000,
        references={"random policy (measured here)": "-200 (the goal is almost never reached)"},
    ),
}


@dataclasses.dataclass
class ControlParams:
    eval_episodes: int = 20  # greedy episodes per evaluation
    eval_every: int | None = None  # env steps between evaluations; None: 1/20 of the budget

    def validate(self, owner: str) -> None:
        if self.eval_episodes < 1:
            raise ParameterError(f"{owner}: field 'eval_episodes' must be >= 1")
        if self.eval_every is not None and self.eval_every < 1:
            raise ParameterError(f"{owner}: field 'eval_every' must be >= 1")


Policy = Callable[[np.ndarray], int]


@dataclasses.dataclass(frozen=True)
class ControlTask(Task):
    """One seeded control problem; agents build their environments from it."""

    family: ClassVar[str] = "control"
    name: str
    seed: int
    spec: ControlSpec
    eval_episodes: int
    eval_every: int | None
    params: dict[str, object] = dataclasses.field(default_factory=dict)

    evaluation_splits = ("eval",)  # greedy episodes on held-out seeds

    @property
    def env_id(self) -> str:
        return self.spec.env_id

    @property
    def solved_return(self) -> float:
        return self.spec.solved_return

    @property
    def references(self) -> dict[str, str]:
        return self.spec.references

    # The environment's sizes are read once per task: each read would build an environment
    # (~550 us), and agents ask for them while they set up.
    @functools.cached_property
    def observation_size(self) -> int:
        return int(np.prod(self.make_env().observation_space.shape))

    @functools.cached_property
    def n_actions(self) -> int:
        return int(self.make_env().action_space.n)

    @functools.cached_property
    def max_episode_steps(self) -> int:
        return int(self.make_env().spec.max_episode_steps)

    def make_env(self) -> gym.Env:
        """A training environment; seed its first reset with `task.seed` (the agent's job)."""
        return gym.make(self.env_id)

    def make_vector_env(self, n_envs: int) -> gym.vector.VectorEnv:
        """`n_envs` copies stepped together (CartPole's numpy-native vector env when it exists).

        gymnasium 1.x resets a finished copy on the *next* step: the step after `done` returns
        the first observation of the new episode with reward 0, which agents must skip.
        """
        try:
            return gym.make_vec(
                self.env_id, num_envs=n_envs, vectorization_mode="vector_entry_point"
            )
        except (gym.error.Error, ValueError):
            return gym.make_vec(self.env_id, num_envs=n_envs, vectorization_mode="sync")

    def probe_set(self, n: int = 10) -> ProbeSet:
        """The first observations of `n` evaluation episodes: states every agent can be shown."""
        env = self.make_env()
        x = np.stack([env.reset(seed=EVAL_SEED_OFFSET + 1000 * self.seed + k)[0] for k in range(n)])
        env.close()
        return ProbeSet(name=f"eval-starts[:{n}]", x=x, y=None, meta={"env_id": self.env_id})

    def evaluate_policy(self, policy: Policy, episodes: int | None = None) -> np.ndarray:
        """Returns of `episodes` greedy episodes on evaluation seeds disjoint from training."""
        episodes = episodes or self.eval_episodes
        env = self.make_env()
        returns = np.zeros(episodes)
        for episode in range(episodes):
            observation, _ = env.reset(seed=EVAL_SEED_OFFSET + 1000 * self.seed + episode)
            done = False
            while not done:
                observation, reward, terminated, truncated, _ = env.step(policy(observation))
                returns[episode] += reward
                done = terminated or truncated
        env.close()
        return returns


def make_control(name: str) -> Callable[..., ControlTask]:
    def factory(seed: int, **params: object) -> ControlTask:
        p = build_params(ControlParams, params, owner=f"task '{name}'")
        return ControlTask(
            name=name,
            seed=seed,
            spec=CONTROL_TASKS[name],
            eval_episodes=p.eval_episodes,
            eval_every=p.eval_every,
            params=dataclasses.asdict(p),
        )

    factory.__doc__ = f"{CONTROL_TASKS[name].env_id} from gymnasium's classic control."
    return factory


for _name in CONTROL_TASKS:
    TASKS.register(_name)(make_control(_name))
