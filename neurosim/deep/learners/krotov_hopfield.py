"""Unsupervised learning by competing hidden units (Krotov & Hopfield 2019), then a supervised
readout: the "no error information at all" end of the credit-assignment spectrum.

The first layer learns with a local rule only (no labels, no gradients): each minibatch, the
hidden units are ranked by their input current; the most driven one moves towards the sample
(Hebbian), the k-th most driven one moves away (anti-Hebbian, strength Delta), so units compete
and spread over the data. A linear softmax layer on the frozen features f(h) = relu(h)^n is then
trained by the shared Trainer, so budgets and learning curves mean what they mean for mlp.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Literal

import numpy as np
import torch
from torch import nn

from neurosim.analysis.cost import samples_seen
from neurosim.deep.cost import classifier_cost, count_macs
from neurosim.deep.device import apply_thread_limit, resolve_device
from neurosim.deep.objectives import logits, to_tensors
from neurosim.deep.optimizers import OptimizerName
from neurosim.deep.trainer import Trainer, training_checks
from neurosim.families.classification import Classifier
from neurosim.learner import Budget, History, Recorder, Stopwatch
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.base import ClassificationTask, Split


def input_currents(weights: torch.Tensor, v: torch.Tensor, p: float) -> torch.Tensor:
    """I[a, mu] = <W_mu, v_a> = sum_i |W_mu,i|^(p-2) W_mu,i v_a,i: the p-norm inner product,
    whose metric makes ||W_mu||_p = 1 the fixed point of the rule."""
    return v @ (weights.sign() * weights.abs().pow(p - 1)).T


def competition(currents: torch.Tensor, k: int, delta: float) -> torch.Tensor:
    """g[a, mu]: 1 for each sample's most driven unit, -delta for its k-th most driven, else 0."""
    g = torch.zeros_like(currents)
    ranked = currents.argsort(dim=1, descending=True)
    rows = torch.arange(len(currents), device=currents.device)
    g[rows, ranked[:, 0]] = 1.0
    g[rows, ranked[:, k - 1]] = -delta
    return g


def krotov_update(
    weights: torch.Tensor, v: torch.Tensor, p: float, k: int, delta: float
) -> torch.Tensor:
    """dW_mu = sum_a g(a, mu) (v_a - <W_mu, v_a> W_mu), summed over the minibatch (before eps).

    The -<W, v> W term is Oja-like: it makes d||W_mu||_p^p / dt proportional to
    <W_mu, v> (1 - ||W_mu||_p^p), so each unit's p-norm relaxes to 1.
    """
    currents = input_currents(weights, v, p)
    g = competition(currents, k, delta)
    return g.T @ v - (g * currents).sum(dim=0)[:, None] * weights


@dataclasses.dataclass
class KrotovHopfieldParams:
    """The local rule's p, k, Delta and learning rate eps0 (annealed linearly to 0 over
    `unsupervised_epochs`); `normalize` divides each minibatch's update by its largest entry
    (Krotov's reference code), so eps0 is the largest weight change per step. The readout sees
    relu(W v)^n, standardized on the training set, and is trained by the shared Trainer."""

    hidden: int = 100
    p: float = 3.0
    k: int = 7  # the paper's MNIST value (Krotov & Hopfield 2019, Fig. 3)
    delta: float = 0.4
    eps0: float = 0.02
    unsupervised_epochs: int = 100
    unsupervised_batch_size: int = 100
    normalize: bool = True
    n: float = 4.5  # power of the readout's features relu(h)^n (the paper's MNIST value)
    optimizer: OptimizerName = "adam"
    lr: float = 1e-2
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 32
    patience: int | None = 20
    device: str = "auto"
    init: Literal["normal", "uniform"] = "normal"

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                ("hidden", self.hidden >= 2, "must be >= 2 (units compete)"),
                ("p", math.isfinite(self.p) and self.p >= 2, "must be a finite number >= 2"),
                ("k", 2 <= self.k <= self.hidden, "must be in [2, hidden]"),
                ("delta", math.isfinite(self.delta) and self.delta >= 0, "must be >= 0"),
                ("eps0", math.isfinite(self.eps0) and self.eps0 > 0, "must be > 0"),
                ("unsupervised_epochs", self.unsupervised_epochs >= 0, "must be >= 0"),
                ("unsupervised_batch_size", self.unsupervised_batch_size >= 1, "must be >= 1"),
                ("n", math.isfinite(self.n) and self.n >= 1, "must be a finite number >= 1"),
                *training_checks(self),
            ],
        )


@LEARNERS.register("krotov-hopfield")
class KrotovHopfieldLearner(Classifier):
    """Competing hidden units learned without labels, then a softmax readout by Adam."""

    name = "krotov-hopfield"
    Params = KrotovHopfieldParams
    budget_fields = frozenset({"epochs", "samples", "wall_time_s"})
    artifacts = ("receptive_fields", "predictions", "activity")
    default_epochs = 100

    def fit(self, task: ClassificationTask, budget: Budget, recorder: Recorder) -> History:
        apply_thread_limit()
        clock = Stopwatch(budget)
        self.device_ = resolve_device(self.params.device)
        self.weights_ = self.learn_features(task.train_epoch(1).x, task.seed, clock)
        train = task.split("train")
        h = self._hidden(train.x)
        self.mean_, self.std_ = h.mean(dim=0), h.std(dim=0) + 1e-8
        features = {
            name: Split(self.features(task.split(name).x).cpu().numpy(), task.split(name).y)
            for name in ("train", "val")
            if name in task.splits
        }
        left = None if budget.wall_time_s is None else max(budget.wall_time_s - clock.elapsed, 0)
        p = self.params
        result = Trainer.from_params(p, self.default_epochs).fit(
            lambda: nn.Linear(p.hidden, task.n_classes),  # the frozen layer is not in it
            features["train"],
            features.get("val"),
            dataclasses.replace(budget, wall_time_s=left),
            task.seed,
        )
        self.readout_, self.history_ = result.model, result.history
        if recorder.enabled:
            recorder.receptive_fields(
                self.weights_.cpu().numpy(), signed=True, image_shape=task.image_shape
            )
        return self.history_

    def learn_features(
        self, x: np.ndarray, seed: int, clock: Stopwatch | None = None
    ) -> torch.Tensor:
        """The first layer's weights (hidden x features) after the unsupervised epochs, seeded:
        the init and the minibatch order draw from one generator."""
        p = self.params
        generator = torch.Generator().manual_seed(seed)
        shape = (p.hidden, x.shape[1])
        if p.init == "normal":
            weights = torch.randn(shape, generator=generator, dtype=torch.float64)
        else:
            weights = torch.rand(shape, generator=generator, dtype=torch.float64)
        device = resolve_device(p.device)
        weights = weights.to(device)
        v = torch.as_tensor(x, dtype=torch.float64, device=device)
        batches = math.ceil(len(v) / p.unsupervised_batch_size)
        total = max(p.unsupervised_epochs * batches, 1)
        step = 0
        for _ in range(p.unsupervised_epochs):
            order = torch.randperm(len(v), generator=generator).to(device)
            for batch in order.split(p.unsupervised_batch_size):
                eps = p.eps0 * (1 - step / total)
                weights += eps * self.step_direction(weights, v[batch])
                step += 1
            if clock is not None and clock.expired():
                break
        return weights

    def step_direction(self, weights: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """One minibatch's update before eps: Krotov's rule, scaled to a largest entry of 1."""
        p = self.params
        update = krotov_update(weights, v, p.p, p.k, p.delta)
        if p.normalize:
            update = update / update.abs().max().clamp_min(1e-30)
        return update

    def _hidden(self, x: np.ndarray) -> torch.Tensor:
        h = torch.as_tensor(x, dtype=torch.float64, device=self.device_) @ self.weights_.T
        return h.clamp_min(0).pow(self.params.n)

    def features(self, x: np.ndarray) -> torch.Tensor:
        """relu(W x)^n, standardized with the training set's statistics (float32)."""
        return ((self._hidden(x) - self.mean_) / self.std_).float()

    def predict(self, task: ClassificationTask, split: str) -> np.ndarray:
        data = task.split(split)
        x, _ = to_tensors(Split(self.features(data.x).cpu().numpy(), data.y), self.device_)
        return logits(self.readout_, x).argmax(dim=1).cpu().numpy()

    def cost(self, task: ClassificationTask) -> dict:
        """MACs counted by torch on one minibatch of each phase: the local rule's step, the
        features relu(W x)^n, the readout's optimizer step. The unsupervised phase and the
        features (computed once per training and validation sample) are spread over the
        readout's samples, so per sample x samples seen is what the whole fit spent."""
        p = self.params
        train = task.split("train")
        batch = torch.as_tensor(
            train.x[: p.unsupervised_batch_size], dtype=torch.float64, device=self.device_
        )
        rule = count_macs(lambda: self.step_direction(self.weights_, batch)) / len(batch)
        feature_macs = count_macs(lambda: self._hidden(train.x[:1]))
        head = Split(self.features(train.x[: p.batch_size]).cpu().numpy(), train.y[: p.batch_size])
        readout = classifier_cost(self.readout_, head, p.batch_size, self.device_)
        featured = sum(len(task.split(name)) for name in ("train", "val") if name in task.splits)
        unsupervised = p.unsupervised_epochs * len(task.train_epoch(1).x) * rule
        samples = samples_seen(self.history_.to_json()) or 1.0
        test = task.split("test").x
        start = time.perf_counter()
        self.predict(task, "test")
        return {
            "op": "MAC",
            "train_ops_per_sample": readout["train_ops_per_sample"]
            + (unsupervised + featured * feature_macs) / samples,
            "inference_ops_per_sample": feature_macs + readout["inference_ops_per_sample"],
            "inference_seconds_per_sample": (time.perf_counter() - start) / len(test),
            "how": f"MACs counted by torch's FlopCounterMode: the local rule's step costs"
            f" {rule:g} per sample (a minibatch of {len(batch)}, divided by {len(batch)}), the"
            f" features relu(W x)^n {feature_macs:g}, the readout's step"
            f" {readout['train_ops_per_sample']:g}; training spreads the"
            f" {p.unsupervised_epochs} unsupervised epochs asked for and the features of the"
            f" {featured} training and validation samples over the readout's {samples:g}"
            " samples, so x samples seen gives the whole fit; inference is the features then"
            " the readout; argsort, elementwise work and the per-epoch evaluation are not"
            " counted",
        }

    def representations(self, task: ClassificationTask, x: np.ndarray) -> dict[str, np.ndarray]:
        """The hidden units' activity relu(W x)^n (`hidden`, before the readout's
        standardisation) and the readout's logits (`output`)."""
        out = logits(self.readout_, self.features(x))
        return {"hidden": self._hidden(x).cpu().numpy(), "output": out.cpu().numpy()}
