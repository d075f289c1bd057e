"""The Trainer and its callbacks against what is known independently: hook counts from the batch
arithmetic, gradients and gradient-descent steps worked out by hand for a linear softmax model."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from neurosim.deep.callbacks import Callback, GradientNorms, ParameterSnapshots, TrainState
from neurosim.deep.trainer import Trainer, TrainResult
from neurosim.learner import Budget
from neurosim.tasks.base import Split

pytestmark = pytest.mark.usefixtures("one_torch_thread")

N_FEATURES, N_CLASSES = 3, 2


def toy_split(n: int, seed: int) -> Split:
    """Two classes on either side of a plane through the origin."""
    x = np.random.default_rng(seed).normal(size=(n, N_FEATURES))
    return Split(x=x, y=(x @ np.array([1.0, -1.0, 0.5]) > 0).astype(np.int64))


def linear() -> nn.Module:
    return nn.Sequential(nn.Linear(N_FEATURES, N_CLASSES))


def fit(
    train: Split,
    budget: Budget,
    *callbacks: Callback,
    val: Split | None = None,
    build=linear,
    **settings,
) -> TrainResult:
    settings = {"optimizer": "sgd", "lr": 0.5, "batch_size": 4, **settings}
    trainer = Trainer(default_epochs=1, device="cpu", callbacks=callbacks, **settings)
    return trainer.fit(build, train, val, budget, seed=0)


class Log(Callback):
    """Every hook call as (hook, epoch, step, samples)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int, int]] = []

    def _log(self, hook: str, state: TrainState) -> None:
        self.calls.append((hook, state.epoch, state.step, state.samples))

    def on_fit_start(self, state: TrainState) -> None:
        self._log("fit_start", state)

    def on_before_step(self, state: TrainState) -> None:
        self._log("before_step", state)

    def on_batch_end(self, state: TrainState) -> None:
        self._log("batch_end", state)

    def on_epoch_end(self, state: TrainState) -> None:
        self._log("epoch_end", state)

    def on_fit_end(self, state: TrainState) -> None:
        self._log("fit_end", state)


def softmax_gradient(
    weight: np.ndarray, bias: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """d(mean cross-entropy)/d(W, b) of logits x W^T + b: (softmax - one-hot) back through x."""
    z = x @ weight.T + bias
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    error = (p - np.eye(weight.shape[0])[y]) / len(y)
    return error.T @ x, error.sum(axis=0)


def test_hooks_run_in_order_once_per_batch_and_epoch() -> None:
    n, batch_size, epochs = 10, 4, 2
    log = Log()
    fit(toy_split(n, 1), Budget(epochs=epochs), log, batch_size=batch_size)
    per_epoch = math.ceil(n / batch_size)
    assert [hook for hook, *_ in log.calls] == [
        "fit_start",
        *(["before_step", "batch_end"] * per_epoch + ["epoch_end"]) * epochs,
        "fit_end",
    ]
    before = [(epoch, step) for hook, epoch, step, _ in log.calls if hook == "before_step"]
    after = [(epoch, step, seen) for hook, epoch, step, seen in log.calls if hook == "batch_end"]
    assert before == [(1, 0), (1, 1), (1, 2), (2, 3), (2, 4), (2, 5)]  # steps taken so far
    assert after == [(1, 1, 4), (1, 2, 8), (1, 3, 10), (2, 4, 14), (2, 5, 18), (2, 6, 20)]


def test_callbacks_change_nothing() -> None:
    train, val = toy_split(30, 1), toy_split(10, 2)

    def mlp() -> nn.Module:
        return nn.Sequential(nn.Linear(N_FEATURES, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 2))

    watched = fit(
        train,
        Budget(epochs=4),
        Log(),
        GradientNorms(),
        ParameterSnapshots(1),
        val=val,
        build=mlp,
        optimizer="adam",
        lr=0.01,
    )
    alone = fit(train, Budget(epochs=4), val=val, build=mlp, optimizer="adam", lr=0.01)
    assert watched.history.rows == alone.history.rows
    for a, b in zip(watched.model.parameters(), alone.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_samples_budget_stops_at_exactly_that_many() -> None:
    log = Log()
    result = fit(toy_split(10, 1), Budget(samples=23, epochs=100), log)
    sizes = np.diff([0] + [seen for hook, *_, seen in log.calls if hook == "batch_end"])
    assert sizes.tolist() == [4, 4, 2, 4, 4, 2, 3]  # the third epoch is cut to 3 samples
    assert [row["samples"] for row in result.history.rows] == [10, 20, 23]


def test_gradient_norms_are_the_hand_computed_gradient_norms() -> None:
    # Full batches: every step's gradient is the whole set's, whatever the order.
    train = toy_split(12, 1)
    norms, snapshots = GradientNorms(), ParameterSnapshots(1)
    fit(train, Budget(epochs=3), norms, snapshots, batch_size=len(train))
    recorded = norms.arrays()
    trajectory = snapshots.arrays()
    assert recorded["steps"].tolist() == [1, 2, 3]
    assert set(recorded) == {"steps", "0"}  # one layer, named as in named_modules
    for i in range(3):  # the gradient at step i + 1 is taken at the parameters after step i
        weight = trajectory["0.weight"][i].astype(np.float64)
        bias = trajectory["0.bias"][i].astype(np.float64)
        grad_w, grad_b = softmax_gradient(weight, bias, train.x, train.y)
        by_hand = np.sqrt(np.sum(grad_w**2) + np.sum(grad_b**2))
        np.testing.assert_allclose(recorded["0"][i], by_hand, rtol=1e-5)


def test_gradient_norms_per_layer_match_autograd() -> None:
    train = toy_split(12, 1)

    def mlp() -> nn.Module:
        return nn.Sequential(nn.Linear(N_FEATURES, 5), nn.Tanh(), nn.Linear(5, 2))

    norms, snapshots = GradientNorms(every=2), ParameterSnapshots(1)
    fit(train, Budget(epochs=4), norms, snapshots, build=mlp, batch_size=len(train))
    recorded, trajectory = norms.arrays(), snapshots.arrays()
    assert recorded["steps"].tolist() == [2, 4]
    x = torch.as_tensor(train.x, dtype=torch.float32)
    y = torch.as_tensor(train.y)
    for row, step in enumerate(recorded["steps"]):
        model = mlp()
        model.load_state_dict(
            {k: torch.as_tensor(v[step - 1]) for k, v in trajectory.items() if k != "steps"}
        )
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        for layer in ("0", "2"):
            grads = torch.cat([p.grad.reshape(-1) for p in model[int(layer)].parameters()])
            torch.testing.assert_close(
                torch.tensor(recorded[layer][row]),
                torch.linalg.vector_norm(grads),
                rtol=1e-5,
                atol=0.0,
            )


def test_snapshots_every_k_steps_follow_gradient_descent_by_hand() -> None:
    train, lr, k = toy_split(12, 1), 0.5, 2
    snapshots = ParameterSnapshots(k)
    result = fit(train, Budget(epochs=5), snapshots, batch_size=len(train), lr=lr)
    trajectory = snapshots.arrays()
    assert trajectory["steps"].tolist() == [0, 2, 4]
    weight = trajectory["0.weight"][0].astype(np.float64)
    bias = trajectory["0.bias"][0].astype(np.float64)
    for step in range(1, 6):
        grad_w, grad_b = softmax_gradient(weight, bias, train.x, train.y)
        weight, bias = weight - lr * grad_w, bias - lr * grad_b
        if step % k == 0:
            i = step // k
            np.testing.assert_allclose(trajectory["0.weight"][i], weight, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(trajectory["0.bias"][i], bias, rtol=1e-5, atol=1e-6)
    final = result.model[0]  # no val split: the last model is kept
    np.testing.assert_allclose(final.weight.detach().numpy(), weight, rtol=1e-5, atol=1e-6)


class EpochWeights(Callback):
    """The parameters at the end of every epoch."""

    def __init__(self) -> None:
        self.weights: list[dict[str, torch.Tensor]] = []

    def on_epoch_end(self, state: TrainState) -> None:
        self.weights.append({k: v.clone() for k, v in state.model.state_dict().items()})


def test_the_best_val_model_is_restored() -> None:
    # val holds the training inputs with the other label: the better the fit, the worse val does
    train = toy_split(20, 1)
    val = Split(x=train.x, y=1 - train.y)
    epochs = EpochWeights()
    result = fit(train, Budget(epochs=8), epochs, val=val, lr=0.05, patience=None)
    accuracies = result.history.column("val_accuracy")
    best = int(np.flatnonzero(accuracies == accuracies.max())[-1]) + 1  # ties: the later epoch
    assert best < len(accuracies)  # the last model is not the best one
    assert result.best_epoch == best
    for key, value in result.model.state_dict().items():
        assert torch.equal(value, epochs.weights[best - 1][key])
    assert not torch.equal(result.model[0].weight, epochs.weights[-1]["0.weight"])


def test_patience_stops_after_that_many_epochs_without_a_better_val() -> None:
    train = toy_split(20, 1)
    val = Split(x=train.x, y=1 - train.y)
    result = fit(train, Budget(epochs=50), val=val, lr=0.05, patience=3)
    assert len(result.history.rows) == result.best_epoch + 3 < 50


def test_a_function_of_the_epoch_supplies_each_epochs_data():
    """Re-drawn training data (distortions, augmentation): each epoch trains on its own draw,
    and with all draws equal the result is the fixed split's, step for step."""
    draws = {epoch: toy_split(8, epoch) for epoch in (1, 2, 3)}
    asked: list[int] = []

    def train(epoch: int) -> Split:
        asked.append(epoch)
        return draws[epoch]

    result = fit(train, Budget(epochs=3))
    assert asked == [1, 2, 3]
    # The train_accuracy of each row is measured on that epoch's own draw.
    model = result.model
    with torch.no_grad():
        last = model(torch.as_tensor(draws[3].x, dtype=torch.float32)).argmax(1).numpy()
    assert result.history.rows[-1]["train_accuracy"] == pytest.approx(np.mean(last == draws[3].y))
    fixed = fit(draws[1], Budget(epochs=3))
    same = fit(lambda epoch: draws[1], Budget(epochs=3))
    for a, b in zip(fixed.model.parameters(), same.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_l1_adds_lambda_times_the_sign_of_each_weight_to_its_gradient() -> None:
    """One full-batch SGD step with l1: W -= lr (grad + l1 sign(W)); biases feel no penalty;
    train_loss stays the cross-entropy alone (the same as without l1)."""
    train, lr, l1 = toy_split(12, 1), 0.5, 0.1
    snapshots = ParameterSnapshots(1)
    result = fit(train, Budget(epochs=1), snapshots, batch_size=len(train), lr=lr, l1=l1)
    trajectory = snapshots.arrays()
    weight = trajectory["0.weight"][0].astype(np.float64)
    bias = trajectory["0.bias"][0].astype(np.float64)
    grad_w, grad_b = softmax_gradient(weight, bias, train.x, train.y)
    expected_w = weight - lr * (grad_w + l1 * np.sign(weight))
    np.testing.assert_allclose(trajectory["0.weight"][1], expected_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(trajectory["0.bias"][1], bias - lr * grad_b, rtol=1e-5, atol=1e-6)
    plain = fit(train, Budget(epochs=1), batch_size=len(train), lr=lr)
    assert result.history.rows[0]["train_loss"] == pytest.approx(
        plain.history.rows[0]["train_loss"], rel=1e-6
    )


def test_keep_best_false_keeps_the_last_model() -> None:
    train = toy_split(20, 1)
    val = Split(x=train.x, y=1 - train.y)  # the better the fit, the worse val does
    epochs = EpochWeights()
    result = fit(train, Budget(epochs=8), epochs, val=val, lr=0.05, keep_best=False)
    assert result.best_epoch == 8
    for key, value in result.model.state_dict().items():
        assert torch.equal(value, epochs.weights[-1][key])
