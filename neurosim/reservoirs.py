"""What an echo-state network and a liquid state machine share: a fixed random recurrent network
whose state is read by a trained linear readout (Jaeger 2001; Maass, Natschläger & Markram 2002).

Only the readout learns, so both learners differ only in how they turn sequences into states:
`ReservoirLearner.fit` reads the states at the steps the task scores, fits the readout, and
records the recurrent graph's statistics and the reservoir's memory capacity. The readout's L2
penalty is the one of `RIDGES` with the lowest validation loss, unless `ridge` fixes it: how much
shrinkage noisy states need depends on the reservoir and the task, and the split exists for this.
"""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from typing import ClassVar, Literal

import networkx as nx
import numpy as np
from sklearn.linear_model import LogisticRegression

from neurosim.analysis.memory_capacity import MemoryCapacity
from neurosim.families.sequences import SequenceLearner
from neurosim.graphs import graph_statistics
from neurosim.learner import Budget, History, Recorder
from neurosim.params import check_fields
from neurosim.tasks.sequences import SequenceTask

RIDGES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)  # penalties tried on the validation split
GRAM_CHUNK = 65536  # rows per block when the readout sums X^T X (copy: steps x sequences rows)


@dataclasses.dataclass
class ReservoirParams:
    """The recurrent graph, the readout and the memory-capacity probe."""

    n_units: int = 200
    graph: Literal["erdos-renyi", "watts-strogatz", "distance"] = "erdos-renyi"
    mean_degree: float = 10.0  # erdos-renyi, watts-strogatz
    rewire: float = 0.1  # watts-strogatz
    distance_lambda: float = 2.0  # distance: C exp(-(D / lambda)^2)
    distance_c: float = 0.3
    readout: Literal["ridge", "logistic"] = "ridge"  # class targets; values always use ridge
    ridge: float | None = None  # L2 penalty on standardised states; None: chosen on val
    logistic_c: float = 1.0  # inverse L2 strength of the logistic regression (states or scores)
    max_train: int | None = None  # at most this many training sequences
    mc_lags: int = 40
    mc_copies: int = 40  # independent white-noise runs, half to train the readouts, half to score
    mc_length: int = 200  # steps per run, the first mc_lags of them washout

    def validate(self, owner: str) -> None:
        check_fields(owner, self, self.checks())

    def checks(self) -> list[tuple[str, bool, str]]:
        return [
            ("n_units", self.n_units >= 5, "must be >= 5"),
            ("mean_degree", 0 < self.mean_degree < self.n_units, "must lie in (0, n_units)"),
            ("rewire", 0 <= self.rewire <= 1, "must lie in [0, 1]"),
            ("distance_lambda", self.distance_lambda > 0, "must be > 0"),
            ("distance_c", 0 < self.distance_c <= 1, "must lie in (0, 1]"),
            ("ridge", self.ridge is None or self.ridge >= 0, "must be >= 0"),
            ("logistic_c", self.logistic_c > 0, "must be > 0"),
            ("max_train", self.max_train is None or self.max_train >= 2, "must be >= 2"),
            ("mc_lags", self.mc_lags >= 1, "must be >= 1"),
            ("mc_copies", self.mc_copies >= 2, "must be >= 2"),
            ("mc_length", self.mc_length > self.mc_lags, "must be > mc_lags"),
        ]


def graph_record(generator: str, graph: nx.DiGraph, spectral_radius: float) -> dict[str, object]:
    """The `graph` json artifact: the generator's name, networkx statistics, and the spectral
    radius of the recurrent weight matrix built on it."""
    return {"generator": generator, **graph_statistics(graph), "spectral_radius": spectral_radius}


class Readout:
    """A linear map from states to the task's outputs.

    Values: ridge regression. Classes: logistic regression on the states, or ridge regression on
    one-hot targets (one linear solve, fast for copy's steps x sequences rows) whose class scores
    are calibrated by a logistic regression on those few scores, so that the cross-entropy is
    that of calibrated probabilities, not of raw regression scores.
    """

    def __init__(self, kind: str, ridge: float, logistic_c: float):
        self.kind, self.ridge, self.logistic_c = kind, ridge, logistic_c

    def fit(self, task: SequenceTask, states: np.ndarray, y: np.ndarray) -> Readout:
        x = states.reshape(-1, states.shape[-1])
        self.mean_ = x.mean(axis=0)
        spread = x.std(axis=0)
        # a unit constant in training (a silent neuron) carries nothing the readout could use:
        # an infinite scale zeroes it, where a tiny one would blow up its first test spike
        self.scale_ = np.where(spread > 1e-6 * max(spread.max(), 1e-12), spread, np.inf)
        x = self._standardise(x)
        # a unit that fired in a handful of training sequences has a small spread, so its
        # standardised value in a new sequence can be huge, and a weight fitted on those few
        # carries it to the output (a liquid gave one adding sequence an error of 154): new
        # states are clipped to the range each unit covered in training
        self.low_, self.high_ = x.min(axis=0), x.max(axis=0)
        y = y.reshape(-1)
        if task.target == "value":
            self.weights_ = _ridge(x, y[:, None].astype(np.float64), self.ridge)
            return self
        if self.kind == "ridge":
            self.weights_ = _ridge(x, np.eye(task.n_outputs)[y], self.ridge)
            x = _affine(x, self.weights_)
        self.model_ = LogisticRegression(C=self.logistic_c, max_iter=1000).fit(x, y)
        return self

    def outputs(self, task: SequenceTask, states: np.ndarray) -> np.ndarray:
        """Values (n,) or logits shaped like the states with classes for units."""
        x = np.clip(self._standardise(states.reshape(-1, states.shape[-1])), self.low_, self.high_)
        if task.target == "value":
            return _affine(x, self.weights_)[:, 0]
        if self.kind == "ridge":
            x = _affine(x, self.weights_)
        logits = np.full((len(x), task.n_outputs), -1e9)  # classes never seen in training
        logits[:, self.model_.classes_] = _class_scores(self.model_.decision_function(x))
        return logits.reshape(*states.shape[:-1], task.n_outputs)

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean_) / self.scale_


def _ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Intercept row then weights, from the normal equations summed in blocks (float64)."""
    d = x.shape[1]
    gram = np.zeros((d + 1, d + 1))
    cross = np.zeros((d + 1, y.shape[1]))
    for start in range(0, len(x), GRAM_CHUNK):
        rows = x[start : start + GRAM_CHUNK]
        block = np.hstack([np.ones((len(rows), 1)), rows])
        gram += block.T @ block
        cross += block.T @ y[start : start + GRAM_CHUNK]
    penalty = alpha * len(x) * np.eye(d + 1)
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    return np.linalg.solve(gram + penalty, cross)


def _class_scores(decision: np.ndarray) -> np.ndarray:
    """Logits per class: scikit-learn gives one column when only two classes were seen."""
    return np.stack([np.zeros_like(decision), decision], axis=1) if decision.ndim == 1 else decision


def _affine(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return weights[0] + x @ weights[1:]


class ReservoirLearner(SequenceLearner):
    """A fixed reservoir plus a trained readout. Subclasses build the reservoir (`_build`), turn
    sequences into states (`states`), measure memory capacity and record their activity.

    `budget.samples` (like `max_train`) caps the training sequences: only the readout learns, so
    epochs and wall time have nothing to stop.
    """

    budget_fields: ClassVar[frozenset[str]] = frozenset({"samples"})
    artifacts: ClassVar[tuple[str, ...]] = ("arrays", "json", "activity")

    @abstractmethod
    def _build(self, task: SequenceTask, n_train: int) -> None:
        """Draw the reservoir for this task (seeded by the task's seed)."""

    @abstractmethod
    def states(self, task: SequenceTask, x: np.ndarray) -> np.ndarray:
        """States at the steps the task reads: (n, units), or (n, steps, units) per step."""

    def representations(self, task: SequenceTask, x: np.ndarray) -> dict[str, np.ndarray]:
        """The reservoir's state after each sequence, and the readout's output."""
        states = self.states(task, x)
        return {"reservoir": states, "output": self.readout_.outputs(task, states)}

    @abstractmethod
    def graph_record(self) -> dict[str, object]:
        """The `graph` json artifact of the reservoir built."""

    @abstractmethod
    def memory_capacity(self) -> MemoryCapacity:
        """MC of the reservoir on white noise of its own (seeded)."""

    @abstractmethod
    def record_activity(self, task: SequenceTask, recorder: Recorder) -> None:
        """What the reservoir did on the first probe sequence."""

    def fit(self, task: SequenceTask, budget: Budget, recorder: Recorder) -> History:
        p = self.params
        train = task.split("train")
        n = min(len(train), p.max_train or len(train), budget.samples or len(train))
        self._build(task, n)
        states = self.states(task, train.x[:n])
        ridges = (p.ridge,) if p.ridge is not None else RIDGES if "val" in task.splits else (1e-3,)
        row: dict[str, float] = {}
        for ridge in ridges:
            readout = Readout(p.readout, ridge, p.logistic_c).fit(task, states, train.y[:n])
            val_loss = self._val_loss(task, readout)
            if not row or val_loss < row["val_loss"]:
                self.readout_ = readout
                row = {"ridge": ridge, "val_loss": val_loss}
        outputs = self.readout_.outputs(task, states)
        row |= {"samples": n, "train_loss": task.score(outputs, train.y[:n])["loss"]}
        history = History()
        history.log(**{k: v for k, v in row.items() if not np.isnan(v)})
        if recorder.enabled:
            recorder.json("graph", self.graph_record())
            mc = self.memory_capacity()
            recorder.arrays(
                "memory_capacity",
                lags=mc.lags.astype(np.int64),
                capacity=mc.capacity.astype(np.float64),
                total=np.array(mc.total),
                n_units=np.array(mc.n_units, dtype=np.int64),
            )
            self.record_activity(task, recorder)
        return history

    def _val_loss(self, task: SequenceTask, readout: Readout) -> float:
        """The readout's validation loss (NaN without a validation split)."""
        if "val" not in task.splits:
            return float("nan")
        val = task.split("val")
        return task.score(readout.outputs(task, self.states(task, val.x)), val.y)["loss"]

    def outputs(self, task: SequenceTask, x: np.ndarray) -> np.ndarray:
        return self.readout_.outputs(task, self.states(task, x))
