"""`sine`: noisy samples of one period of a sine, seeded; the noise variance is the floor of mse."""

from __future__ import annotations

import dataclasses

import numpy as np

from neurosim.params import build_params
from neurosim.registry import TASKS
from neurosim.tasks import Split
from neurosim_regression.family import RegressionTask


@dataclasses.dataclass
class SineParams:
    n_train: int = 100
    noise: float = 0.1  # sd of the Gaussian noise on the targets


@TASKS.register("sine")
def make_sine(seed: int, **params: object) -> RegressionTask:
    p = build_params(SineParams, params, owner="task 'sine'")
    rng = np.random.default_rng(seed)

    def split(n: int) -> Split:
        x = rng.uniform(0, 1, (n, 1))
        return Split(x, np.sin(2 * np.pi * x[:, 0]) + rng.normal(0, p.noise, n))

    return RegressionTask(
        name="sine",
        seed=seed,
        splits={"train": split(p.n_train), "val": split(100), "test": split(500)},
        references={"noise floor (mse)": f"{p.noise**2:.4g}"},
        params=dataclasses.asdict(p),
    )
