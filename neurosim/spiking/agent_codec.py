"""Between an environment and a spiking agent: observations to input rates, spikes to actions,
and the temporal-difference error that modulates plasticity.

Pure numpy, so every piece can be checked against a hand-computed case without Brian2.
"""

from __future__ import annotations

import dataclasses

import numpy as np

# The range over which each observation dimension varies while an episode is still running;
# values outside it drive the edge neurons. CartPole: the termination bounds of x and theta, and
# the velocities a failing pole reaches (gymnasium reports +-inf for them).
OBSERVATION_RANGES: dict[str, tuple[tuple[float, float], ...]] = {
    "CartPole-v1": ((-2.4, 2.4), (-2.0, 2.0), (-0.21, 0.21), (-2.5, 2.5)),
    "Acrobot-v1": ((-1, 1), (-1, 1), (-1, 1), (-1, 1), (-12.6, 12.6), (-28.3, 28.3)),
    "MountainCar-v0": ((-1.2, 0.6), (-0.07, 0.07)),
}

OBSERVATION_NAMES: dict[str, tuple[str, ...]] = {
    "CartPole-v1": ("cart x", "cart velocity", "pole angle", "pole angular velocity"),
    "Acrobot-v1": ("cos th1", "sin th1", "cos th2", "sin th2", "th1 velocity", "th2 velocity"),
    "MountainCar-v0": ("position", "velocity"),
}


@dataclasses.dataclass(frozen=True)
class PopulationCode:
    """Gaussian tuning curves, `n_per_dim` per observation dimension, centres evenly spaced
    over the dimension's range; tuning width = `width` x the spacing of the centres.

    Input neuron `d * n_per_dim + k` prefers centre k of dimension d.
    """

    ranges: tuple[tuple[float, float], ...]
    n_per_dim: int
    max_rate_hz: float
    width: float = 1.0

    @property
    def n_inputs(self) -> int:
        return len(self.ranges) * self.n_per_dim

    @property
    def centres(self) -> np.ndarray:
        """(n_dims, n_per_dim) preferred values."""
        return np.array([np.linspace(lo, hi, self.n_per_dim) for lo, hi in self.ranges])

    @property
    def sigmas(self) -> np.ndarray:
        """(n_dims,) tuning widths."""
        spans = np.array([hi - lo for lo, hi in self.ranges])
        return self.width * spans / (self.n_per_dim - 1)

    def rates(self, observation: np.ndarray) -> np.ndarray:
        """Rates (Hz) of all input neurons for one observation (clipped to the ranges)."""
        lows, highs = np.array(self.ranges).T
        x = np.clip(np.asarray(observation, dtype=np.float64), lows, highs)[:, None]
        tuning = np.exp(-0.5 * ((x - self.centres) / self.sigmas[:, None]) ** 2)
        return (self.max_rate_hz * tuning).ravel()


def decode_action(counts: np.ndarray, rng: np.random.Generator) -> int:
    """The action whose population fired most; ties (silence included) are broken at random,
    so a network that cannot tell the actions apart explores instead of always picking action 0.

    `counts` is (n_actions, n_per_action) or (n_actions,).
    """
    totals = np.asarray(counts).reshape(len(counts), -1).sum(axis=1)
    best = np.flatnonzero(totals == totals.max())
    return int(best[0] if len(best) == 1 else rng.choice(best))


def td_error(reward: float, value: float, next_value: float, gamma: float, terminal: bool) -> float:
    """delta = r + gamma V(s') - V(s); a terminal state is worth nothing (V(s') = 0)."""
    return float(reward + (0.0 if terminal else gamma * next_value) - value)
