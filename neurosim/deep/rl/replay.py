"""Experience replay for off-policy agents: what was seen, kept in fixed numpy arrays.

Preallocated arrays make `add` a few index writes (no per-step allocation) and let a whole
training burst's minibatches be gathered in one fancy-indexing call.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Batch(NamedTuple):
    """Transitions with a leading (n_batches, batch_size) shape; `terminated` is 1.0 or 0.0."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_observations: np.ndarray
    terminated: np.ndarray


class ReplayBuffer:
    """A circular buffer of transitions, sampled uniformly with replacement (as SB3 does).

    It stores `terminated`, not `terminated or truncated`: the bootstrap mask must be 0 only where
    the environment really ended. A time-limit cut leaves a state whose value is not zero, so its
    target still bootstraps from the next observation, which is why the true final observation
    (not the next episode's first one) is stored as `next_observation`.
    """

    def __init__(self, capacity: int, observation_size: int):
        self.capacity = capacity
        self.observations = np.zeros((capacity, observation_size), dtype=np.float32)
        self.next_observations = np.zeros((capacity, observation_size), dtype=np.float32)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.terminated = np.zeros(capacity, dtype=np.float32)
        self.position = 0  # the slot the next transition goes into (the oldest once full)
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(
        self,
        observation: np.ndarray,
        action: int,
        reward: float,
        next_observation: np.ndarray,
        terminated: bool,
    ) -> None:
        i = self.position
        self.observations[i] = observation
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_observations[i] = next_observation
        self.terminated[i] = terminated
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, rng: np.random.Generator, batch_size: int, n_batches: int = 1) -> Batch:
        """`n_batches` minibatches at once, drawn from the filled slots only.

        Drawing a whole training burst at once gives the same distribution as drawing before
        each gradient step, because nothing is added to the buffer during a burst.
        """
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        index = rng.integers(0, self.size, size=(n_batches, batch_size))
        return Batch(
            observations=self.observations[index],
            actions=self.actions[index],
            rewards=self.rewards[index],
            next_observations=self.next_observations[index],
            terminated=self.terminated[index],
        )
