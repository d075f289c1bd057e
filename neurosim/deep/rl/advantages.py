"""Credit assignment for policy gradients: discounted returns and GAE(lambda), in plain numpy.

Kept apart from the agents so the arithmetic, where off-by-one bugs hide, is tested on hand cases.
Arrays are time-major: axis 0 is the step, any further axes are parallel environments.
"""

from __future__ import annotations

import numpy as np


def discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """G_t = r_t + gamma * G_{t+1} over one whole episode (G after the last step is 0)."""
    rewards = np.asarray(rewards, dtype=np.float64)
    returns = np.zeros_like(rewards)
    running = 0.0
    for t in reversed(range(len(rewards))):
        running = rewards[t] + gamma * running
        returns[t] = running
    return returns


def gae(
    rewards: np.ndarray,
    values: np.ndarray,
    next_values: np.ndarray,
    terminated: np.ndarray,
    truncated: np.ndarray,
    gamma: float,
    lam: float,
) -> np.ndarray:
    """Generalized advantage estimates (Schulman et al. 2016) for a rollout of T steps.

    `next_values[t]` is V of the observation step t led to. A terminated step's future is worth 0;
    a truncated one (time limit) still bootstraps from V of its final observation, as SB3 does,
    because the state itself had a future. Both end the episode, so neither lets the next step's
    advantage flow back across the boundary.
    """
    terminated = np.asarray(terminated, dtype=np.float64)
    ended = np.maximum(terminated, np.asarray(truncated, dtype=np.float64))
    deltas = rewards + gamma * (1.0 - terminated) * next_values - values
    advantages = np.zeros_like(deltas, dtype=np.float64)
    running = 0.0
    for t in reversed(range(len(deltas))):
        running = deltas[t] + gamma * lam * (1.0 - ended[t]) * running
        advantages[t] = running
    return advantages
