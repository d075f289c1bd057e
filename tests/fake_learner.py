"""A cheap learner ("fake") and task ("toy") for the experiment tests: no torch, no brian2.

Registered on import; spawned workers import this module themselves (the engine passes them the
module that registered the learner), so it must stay importable from the tests folder.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from pathlib import Path
from typing import Literal

import numpy as np

from neurosim.errors import ParameterError
from neurosim.families.classification import Classifier
from neurosim.learner import Budget, History, Recorder
from neurosim.params import build_params
from neurosim.registry import LEARNERS, TASKS
from neurosim.tasks.base import ClassificationTask, Split

SLEEP_SEED_ENV = "NEUROSIM_FAKE_SLEEP_SEED"  # fit() of this seed hangs, so tests can kill it
ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NEUROSIM_TORCH_THREADS", "NEUROSIM_WORKER_CACHE")


def read_log(path: Path) -> list[dict]:
    """The entries fit() logged, one per execution."""
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@dataclasses.dataclass
class FakeParams:
    shift: float = 0.0  # moves the centroids, so different params give different metrics
    noise: float = 0.05  # drawn from numpy's global RNG, which the runner seeds
    fail: Literal["no", "error", "user", "kill"] = "no"
    log: str = ""  # fit() appends a JSON line here (seed, pid, env), so tests count executions


@LEARNERS.register("fake")
class FakeLearner(Classifier):
    """Nearest centroid with seeded noise."""

    name = "fake"
    Params = FakeParams
    budget_fields = frozenset({"epochs"})
    metrics = ("accuracy", "probe_accuracy")
    artifacts = ("arrays", "predictions")
    default_epochs = 2

    def fit(self, task: ClassificationTask, budget: Budget, recorder: Recorder) -> History:
        p = self.params
        if p.log:
            entry = {
                "seed": task.seed,
                "pid": os.getpid(),
                "env": {k: os.environ.get(k) for k in ENV},
            }
            with Path(p.log).open("a") as log:
                log.write(json.dumps(entry) + "\n")
        if os.environ.get(SLEEP_SEED_ENV) == str(task.seed):
            time.sleep(120)
        if p.fail == "error":
            raise RuntimeError("fake learner exploded")
        if p.fail == "user":
            raise ParameterError("learner 'fake': field 'fail' asked for a user error")
        if p.fail == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        train = task.split("train")
        centroids = np.stack([train.x[train.y == c].mean(0) for c in range(task.n_classes)])
        self.centroids_ = centroids + p.shift + np.random.normal(0, p.noise, centroids.shape)
        history = History()
        for epoch in range(budget.resolve_epochs(self.default_epochs)):
            history.log(epoch=epoch + 1, samples=(epoch + 1) * len(train), loss=1.0 / (epoch + 1))
        recorder.arrays("centroids", centroids=self.centroids_)
        return history

    def predict(self, task: ClassificationTask, split: str) -> np.ndarray:
        x = task.split(split).x
        return np.argmin(((x[:, None, :] - self.centroids_[None]) ** 2).sum(-1), axis=1)

    def evaluate(self, task: ClassificationTask, split: str) -> dict[str, float]:
        metrics = super().evaluate(task, split)
        return {**metrics, "probe_accuracy": min(1.0, metrics["accuracy"] + 0.01)}


@dataclasses.dataclass
class ToyParams:
    n_per_class: int = 30
    spread: float = 0.15


@TASKS.register("toy")
def make_toy(seed: int, **params: object) -> ClassificationTask:
    """Three Gaussian blobs in 4 dimensions, in [0, 1]."""
    p = build_params(ToyParams, params, owner="task 'toy'")
    rng = np.random.default_rng(seed)
    centers = rng.uniform(0.2, 0.8, (3, 4))

    def split(n: int) -> Split:
        y = np.repeat(np.arange(3), n)
        x = np.clip(centers[y] + rng.normal(0, p.spread, (len(y), 4)), 0, 1)
        return Split(x, y)

    return ClassificationTask(
        name="toy",
        seed=seed,
        splits={"train": split(p.n_per_class), "val": split(10), "test": split(10)},
        n_classes=3,
        image_shape=None,
        params=dataclasses.asdict(p),
    )
