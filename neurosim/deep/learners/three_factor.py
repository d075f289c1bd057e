"""A reward-modulated Hebbian learner (`three-factor`): the "scalar reward only" point of the
credit-assignment spectrum, on the mlp's 64-H-10 network (h = relu(W1 x + b1), z = W2 h + b2).

The rule is node perturbation / REINFORCE on stochastic units (Williams 1992; Fiete & Seung 2006;
the three-factor family of Fremaux & Gerstner 2016), rate-based and local. For each sample x:

- the hidden units are noisy: u = W1 x + b1 + xi, xi ~ N(0, sigma^2) per unit, h = relu(u);
- the network samples a class a ~ softmax(W2 h + b2) = p; the reward is r = 1[a == y];
- a running baseline r_bar is an exponential average of past rewards (time constant
  `baseline_tau` samples, updated after each minibatch from the rewards it got: never p(correct));
- third factor M = r - r_bar; eligibility = post-synaptic deviation x pre-synaptic activity:
    dW2 = lr * M * (onehot(a) - p) h^T,   db2 = lr * M * (onehot(a) - p)
    dW1 = hidden_lr * M * (xi / sigma^2) x^T,    db1 = hidden_lr * M * xi / sigma^2
  averaged over the minibatch. Both eligibilities are the score function of the sampled
  (xi, a) given the weights, so E[dW] = rate * grad E[r] (the baseline only cuts the variance).
  The hidden rate is smaller: node perturbation's estimate has a variance ~ H / sigma^2 times
  REINFORCE's, and a large step lets that noise wash out the features the readout relies on.

As sigma -> 0, E[r] -> p_y of the deterministic network, whose gradient per sample is p_y times
the negative cross-entropy gradient: the expected update leans towards backprop's, weighting the
samples by how right they already are. Each epoch logs, on a fixed batch, the angle between the
Monte Carlo expected update (`angle_repeats` noise draws) and backprop's negative cross-entropy
gradient: `update_angle_deg` (the hidden layer, the same column fa and dfa log) and
`readout_angle_deg`. Updates use no autograd; only the reference gradient does.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import torch
from torch.nn import functional

from neurosim.deep.cost import count_macs
from neurosim.deep.device import apply_thread_limit, is_device_name, resolve_device
from neurosim.deep.learners.feedback_alignment import ANGLE_BATCH, angle_deg
from neurosim.deep.models.mlp import build_mlp
from neurosim.families.classification import Classifier
from neurosim.learner import Budget, History, Recorder, Stopwatch
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.base import ClassificationTask


@dataclasses.dataclass
class ThreeFactorParams:
    """Hidden width, learning rate, hidden noise sd, baseline time constant (in samples), the
    minibatch whose per-sample updates are averaged, and the noise draws of the angle log."""

    hidden: int = 100
    lr: float = 0.5
    hidden_lr: float = 0.0002  # node perturbation's estimate is far noisier than REINFORCE's
    noise_sd: float = 0.2
    baseline_tau: float = 100.0
    batch_size: int = 16
    angle_repeats: int = 64
    device: str = "auto"

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                ("hidden", self.hidden >= 1, "must be >= 1"),
                ("lr", math.isfinite(self.lr) and self.lr > 0, "must be a finite number > 0"),
                (
                    "hidden_lr",
                    math.isfinite(self.hidden_lr) and self.hidden_lr >= 0,
                    "must be a finite number >= 0",
                ),
                ("noise_sd", math.isfinite(self.noise_sd) and self.noise_sd > 0, "must be > 0"),
                (
                    "baseline_tau",
                    math.isfinite(self.baseline_tau) and self.baseline_tau >= 1,
                    "must be a finite number >= 1",
                ),
                ("batch_size", self.batch_size >= 1, "must be >= 1"),
                ("angle_repeats", self.angle_repeats >= 1, "must be >= 1"),
                ("device", is_device_name(self.device), "must be 'auto' or a torch device"),
            ],
        )


@dataclasses.dataclass
class Net:
    """The 64-H-10 network's weights as plain tensors (updated in place, no autograd)."""

    w1: torch.Tensor
    b1: torch.Tensor
    w2: torch.Tensor
    b2: torch.Tensor

    def tensors(self) -> tuple[torch.Tensor, ...]:
        return self.w1, self.b1, self.w2, self.b2

    def forward(
        self, x: torch.Tensor, xi: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden activity and output probabilities, with hidden noise xi when given."""
        u = x @ self.w1.T + self.b1
        if xi is not None:
            u = u + xi
        h = u.clamp_min(0)
        return h, (h @ self.w2.T + self.b2).softmax(dim=1)


def three_factor_update(
    net: Net,
    x: torch.Tensor,
    y: torch.Tensor,
    xi: torch.Tensor,
    actions: torch.Tensor,
    baseline: float,
    noise_sd: float,
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The minibatch-mean update direction (before lr) for [w1, b1, w2, b2], given the hidden
    noise xi and the sampled classes; also returns the rewards r = 1[a == y]."""
    h, p = net.forward(x, xi)
    rewards = (actions == y).to(x.dtype)
    m = (rewards - baseline)[:, None] / len(x)  # third factor, minibatch mean folded in
    post_out = (functional.one_hot(actions, p.shape[1]).to(x.dtype) - p) * m
    post_hidden = xi / noise_sd**2 * m
    return [post_hidden.T @ x, post_hidden.sum(0), post_out.T @ h, post_out.sum(0)], rewards


def sample_step(
    net: Net, x: torch.Tensor, noise_sd: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw the hidden noise and the classes the noisy network picks."""
    xi = (
        torch.randn((len(x), net.w1.shape[0]), generator=generator, device=x.device, dtype=x.dtype)
        * noise_sd
    )
    _, p = net.forward(x, xi)
    return xi, torch.multinomial(p, 1, generator=generator).squeeze(1)


def expected_update(
    net: Net,
    x: torch.Tensor,
    y: torch.Tensor,
    baseline: float,
    noise_sd: float,
    repeats: int,
    generator: torch.Generator,
) -> list[torch.Tensor]:
    """The mean of `repeats` noisy updates on one fixed batch: a Monte Carlo E[dW] / lr (the
    batch tiled, in chunks of at most 2**16 rows, so one draw is one tile)."""
    total = [torch.zeros_like(t) for t in (net.w1, net.b1, net.w2, net.b2)]
    per_chunk = max(1, 2**16 // len(x))
    done = 0
    while done < repeats:
        n = min(per_chunk, repeats - done)
        xs, ys = x.repeat(n, 1), y.repeat(n)
        xi, actions = sample_step(net, xs, noise_sd, generator)
        update, _ = three_factor_update(net, xs, ys, xi, actions, baseline, noise_sd)
        total = [t + u * (n / repeats) for t, u in zip(total, update, strict=True)]
        done += n
    return total


def backprop_direction(net: Net, x: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
    """Backprop's negative gradient of the mean cross-entropy for [w1, b1, w2, b2]."""
    params = [t.detach().clone().requires_grad_(True) for t in (net.w1, net.b1, net.w2, net.b2)]
    w1, b1, w2, b2 = params
    logits = (x @ w1.T + b1).clamp_min(0) @ w2.T + b2
    grads = torch.autograd.grad(functional.cross_entropy(logits, y), params)
    return [-g for g in grads]


@LEARNERS.register("three-factor")
class ThreeFactorLearner(Classifier):
    """Node perturbation + REINFORCE with a running reward baseline; predicts with the noiseless
    network's argmax."""

    name = "three-factor"
    Params = ThreeFactorParams
    budget_fields = frozenset({"epochs", "samples", "wall_time_s"})
    artifacts = ("receptive_fields", "predictions", "activity")
    default_epochs = 50

    def fit(self, task: ClassificationTask, budget: Budget, recorder: Recorder) -> History:
        apply_thread_limit()
        p = self.params
        clock = Stopwatch(budget)
        self.device_ = device = resolve_device(p.device)
        torch.manual_seed(task.seed)  # the mlp's init for the same seed
        model = build_mlp(task.n_features, [p.hidden], task.n_classes, "relu", 0.0)
        w1, w2 = model[0], model[2]
        self.net_ = net = Net(
            *(t.detach().clone().to(device) for t in (w1.weight, w1.bias, w2.weight, w2.bias))
        )
        generator = torch.Generator(device).manual_seed(task.seed)
        train = task.split("train")
        angle_x = torch.as_tensor(train.x[:ANGLE_BATCH], dtype=torch.float32, device=device)
        angle_y = torch.as_tensor(train.y[:ANGLE_BATCH], dtype=torch.long, device=device)
        baseline = 1.0 / task.n_classes  # chance: no reward seen yet
        samples, history = 0, History()
        for epoch in range(1, budget.resolve_epochs(self.default_epochs) + 1):
            data = task.train_epoch(epoch)
            x = torch.as_tensor(data.x, dtype=torch.float32, device=device)
            y = torch.as_tensor(data.y, dtype=torch.long, device=device)
            order = torch.randperm(len(x), generator=generator, device=device)
            if budget.samples is not None:
                order = order[: budget.samples - samples]
            reward_sum, seen = 0.0, 0
            for batch in order.split(p.batch_size):
                xi, actions = sample_step(net, x[batch], p.noise_sd, generator)
                update, rewards = three_factor_update(
                    net, x[batch], y[batch], xi, actions, baseline, p.noise_sd
                )
                rates = (p.hidden_lr, p.hidden_lr, p.lr, p.lr)
                for weight, change, rate in zip(net.tensors(), update, rates, strict=True):
                    weight += rate * change
                alpha = 1 - math.exp(-len(batch) / p.baseline_tau)
                baseline += alpha * (rewards.mean().item() - baseline)
                reward_sum += rewards.sum().item()
                seen += len(batch)
                if clock.expired():
                    break
            samples += seen
            row = {"epoch": epoch, "samples": samples, "train_reward": reward_sum / max(seen, 1)}
            row["reward_baseline"] = baseline
            row.update(self._angles(angle_x, angle_y, baseline, generator))
            for split in ("train", "val"):
                if split in task.splits:
                    row[f"{split}_accuracy"] = self.evaluate(task, split)["accuracy"]
            history.log(**row)
            if clock.expired() or (budget.samples is not None and samples >= budget.samples):
                break
        self.history_ = history
        if recorder.enabled:
            recorder.receptive_fields(
                net.w1.cpu().numpy(), signed=True, image_shape=task.image_shape
            )
        return history

    def _angles(
        self, x: torch.Tensor, y: torch.Tensor, baseline: float, generator: torch.Generator
    ) -> dict[str, float]:
        p = self.params
        expected = expected_update(
            self.net_, x, y, baseline, p.noise_sd, p.angle_repeats, generator
        )
        exact = backprop_direction(self.net_, x, y)
        return {
            "update_angle_deg": angle_deg(expected[0], exact[0]),
            "readout_angle_deg": angle_deg(expected[2], exact[2]),
        }

    def cost(self, task: ClassificationTask) -> dict:
        """MACs counted by torch on one training minibatch: the noisy forward that samples the
        classes, the forward the update recomputes and the two outer products (no autograd);
        inference is the noiseless forward. The weights are not changed."""
        p = self.params
        x = torch.as_tensor(
            task.split("train").x[: p.batch_size], dtype=torch.float32, device=self.device_
        )
        y = torch.as_tensor(
            task.split("train").y[: p.batch_size], dtype=torch.long, device=self.device_
        )
        generator = torch.Generator(self.device_).manual_seed(task.seed)

        def train_step() -> None:
            xi, actions = sample_step(self.net_, x, p.noise_sd, generator)
            baseline = 1.0 / task.n_classes  # the reward baseline changes no product
            three_factor_update(self.net_, x, y, xi, actions, baseline, p.noise_sd)

        train_macs = count_macs(train_step) / len(x)
        inference_macs = count_macs(lambda: self.net_.forward(x)) / len(x)
        test = torch.as_tensor(task.split("test").x, dtype=torch.float32, device=self.device_)
        start = time.perf_counter()
        self.net_.forward(test)
        return {
            "op": "MAC",
            "train_ops_per_sample": train_macs,
            "inference_ops_per_sample": inference_macs,
            "inference_seconds_per_sample": (time.perf_counter() - start) / len(test),
            "how": f"MACs per sample counted by torch's FlopCounterMode on a minibatch of"
            f" {len(x)} training samples, divided by {len(x)}: training is the noisy forward"
            " that samples a class, the forward the update recomputes, and the outer products"
            " of the third factor's eligibilities with x and h; inference is one noiseless"
            " forward; elementwise work and the per-epoch accuracy and angle logs are not"
            " counted",
        }

    def predict(self, task: ClassificationTask, split: str) -> np.ndarray:
        x = torch.as_tensor(task.split(split).x, dtype=torch.float32, device=self.device_)
        _, probabilities = self.net_.forward(x)
        return probabilities.argmax(dim=1).cpu().numpy()

    def representations(self, task: ClassificationTask, x: np.ndarray) -> dict[str, np.ndarray]:
        """The hidden layer without noise (`hidden`) and the logits W2 h + b2 (`output`)."""
        x_tensor = torch.as_tensor(x, dtype=torch.float32, device=self.device_)
        hidden, _ = self.net_.forward(x_tensor)
        out = hidden @ self.net_.w2.T + self.net_.b2
        return {"hidden": hidden.cpu().numpy(), "output": out.cpu().numpy()}
