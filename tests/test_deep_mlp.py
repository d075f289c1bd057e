"""MLPLearner on the digits task: learning, budgets, early stopping, recording, parameters."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from neurosim.artifacts import Artifacts
from neurosim.deep.device import THREADS_ENV, apply_thread_limit, resolve_device
from neurosim.deep.learners.mlp import MLPLearner, MLPParams
from neurosim.deep.optimizers import OPTIMIZERS
from neurosim.errors import ParameterError, UserError
from neurosim.learner import Budget, Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks import ClassificationTask, make_task

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def task() -> ClassificationTask:
    return make_task("digits", seed=0)


@pytest.fixture(scope="module")
def recorded(
    task: ClassificationTask, tmp_path_factory: pytest.TempPathFactory
) -> tuple[MLPLearner, Path]:
    """One 15-epoch Adam run, recorded, shared by the tests that only inspect its result."""
    folder = tmp_path_factory.mktemp("mlp")
    learner = MLPLearner(patience=None)
    learner.fit(task, Budget(epochs=15), Recorder(folder))
    return learner, folder


def test_registered() -> None:
    assert LEARNERS.get("mlp") is MLPLearner


def test_optimizer_choices_match_make_optimizer() -> None:
    hint = typing.get_type_hints(MLPParams)["optimizer"]
    assert typing.get_args(hint) == OPTIMIZERS


def test_learns_digits(task: ClassificationTask, recorded: tuple[MLPLearner, Path]) -> None:
    learner, _ = recorded
    rows = learner.history_.rows
    n_train = len(task.split("train"))
    assert [row["epoch"] for row in rows] == list(range(1, 16))
    assert [row["samples"] for row in rows] == [n_train * epoch for epoch in range(1, 16)]
    assert rows[-1]["train_loss"] < rows[0]["train_loss"] / 2
    assert learner.evaluate(task, "test")["accuracy"] >= 0.9


def test_evaluate_is_accuracy_of_predict(
    task: ClassificationTask, recorded: tuple[MLPLearner, Path]
) -> None:
    learner, _ = recorded
    predicted = learner.predict(task, "test")
    assert predicted.shape == task.split("test").y.shape
    assert np.issubdtype(predicted.dtype, np.integer)
    assert learner.evaluate(task, "test")["accuracy"] == np.mean(predicted == task.split("test").y)


def test_keeps_the_best_validation_model(
    task: ClassificationTask, recorded: tuple[MLPLearner, Path]
) -> None:
    learner, _ = recorded
    logged = learner.history_.column("val_accuracy")
    assert learner.evaluate(task, "val")["accuracy"] == logged.max()
    assert logged[learner.best_epoch_ - 1] == logged.max()
    assert learner.best_epoch_ == 1 + np.flatnonzero(logged == logged.max())[-1]  # ties: latest


def test_early_stopping_after_patience_epochs(task: ClassificationTask) -> None:
    learner = MLPLearner(lr=0.01, patience=2)
    history = learner.fit(task, Budget(epochs=40), Recorder())
    assert len(history.rows) == learner.best_epoch_ + 2 < 40
    assert learner.evaluate(task, "val")["accuracy"] == history.column("val_accuracy").max()


def test_records_receptive_fields_and_hidden_activity(
    task: ClassificationTask, recorded: tuple[MLPLearner, Path]
) -> None:
    learner, folder = recorded
    with np.load(folder / "receptive_fields.npz") as fields:
        weights = fields["weights"]
        assert fields["image_shape"].tolist() == [8, 8]
    first = learner.model_[0]
    assert weights.shape == (100, 64)
    np.testing.assert_array_equal(weights, first.weight.detach().numpy())

    (entry,) = Artifacts(folder).entries("activity")
    assert entry.meta["probe"] == task.probe_set().name
    activity = Artifacts.load(entry)
    test = task.split("test")
    hidden = activity.signals["hidden"]
    assert activity.meta["labels"] == test.y[:10].tolist()
    np.testing.assert_array_equal(hidden.t, np.arange(10.0))
    expected = np.maximum(test.x[:10] @ weights.T + first.bias.detach().numpy(), 0.0)
    np.testing.assert_allclose(hidden.values, expected, rtol=1e-4, atol=1e-5)
    output = activity.signals["output"].values
    np.testing.assert_allclose(output.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(output.argmax(axis=1), learner.predict(task, "test")[:10])


def test_same_seed_same_predictions_other_seed_other_model(task: ClassificationTask) -> None:
    def fit(seed: int) -> MLPLearner:
        learner = MLPLearner(dropout=0.2)
        learner.fit(make_task("digits", seed=seed), Budget(epochs=3), Recorder())
        return learner

    first, again, other = fit(0), fit(0), fit(1)
    np.testing.assert_array_equal(first.predict(task, "test"), again.predict(task, "test"))
    assert first.history_.rows == again.history_.rows
    assert not torch.equal(first.model_[0].weight, other.model_[0].weight)


def test_no_hidden_layer_is_a_linear_model(task: ClassificationTask, tmp_path: Path) -> None:
    learner = MLPLearner(hidden=[], lr=0.01, patience=None)
    learner.fit(task, Budget(epochs=10), Recorder(tmp_path))
    (layer,) = learner.model_
    assert isinstance(layer, nn.Linear)
    assert layer.weight.shape == (10, 64)
    assert learner.evaluate(task, "test")["accuracy"] >= 0.85
    (entry,) = Artifacts(tmp_path).entries("activity")
    assert set(Artifacts.load(entry).signals) == {"output"}


def test_tanh_and_dropout_layers(task: ClassificationTask) -> None:
    learner = MLPLearner(hidden=[32, 16], activation="tanh", dropout=0.5)
    learner.fit(task, Budget(epochs=1), Recorder())
    kinds = [type(layer) for layer in learner.model_]
    assert kinds == [nn.Linear, nn.Tanh, nn.Dropout, nn.Linear, nn.Tanh, nn.Dropout, nn.Linear]
    # eval mode switches dropout off: predictions are repeatable
    np.testing.assert_array_equal(learner.predict(task, "val"), learner.predict(task, "val"))


def test_weight_decay_shrinks_weights(task: ClassificationTask) -> None:
    def weight_norm(weight_decay: float) -> float:
        learner = MLPLearner(weight_decay=weight_decay, patience=None)
        learner.fit(task, Budget(epochs=5), Recorder())
        return learner.model_[0].weight.detach().norm().item()

    assert weight_norm(0.1) < 0.8 * weight_norm(0.0)


@pytest.mark.parametrize("samples", [500, 2000])
def test_sample_budget(task: ClassificationTask, samples: int) -> None:
    history = MLPLearner().fit(task, Budget(samples=samples), Recorder())
    n_train = len(task.split("train"))
    assert history.rows[-1]["samples"] == samples
    assert len(history.rows) == -(-samples // n_train)


def test_wall_time_budget_stops_after_one_batch(task: ClassificationTask) -> None:
    history = MLPLearner(batch_size=16).fit(task, Budget(wall_time_s=0.0), Recorder())
    assert len(history.rows) == 1
    assert history.rows[0]["samples"] == 16


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"hiden": [10]}, "hiden"),
        ({"lr": "fast"}, "lr"),
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"activation": "sigmoid"}, "activation"),
        ({"hidden": [10, "a"]}, "hidden[1]"),
        ({"hidden": [0]}, "hidden"),
        ({"lr": 0.0}, "lr"),
        ({"momentum": 1.0}, "momentum"),
        ({"weight_decay": -1e-4}, "weight_decay"),
        ({"dropout": 1.0}, "dropout"),
        ({"batch_size": 0}, "batch_size"),
        ({"patience": -1}, "patience"),
        ({"device": "gpu7"}, "device"),
    ],
)
def test_bad_params_name_the_field(params: dict, field: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(f"'{field}'")):
        MLPLearner(**params)


def test_resolve_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ParameterError, match="'device'"):
        resolve_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


def test_thread_limit_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV, "2")
    apply_thread_limit()
    assert torch.get_num_threads() == 2
    monkeypatch.setenv(THREADS_ENV, "1")
    apply_thread_limit()
    assert torch.get_num_threads() == 1
    monkeypatch.setenv(THREADS_ENV, "zero")
    with pytest.raises(UserError, match=THREADS_ENV):
        apply_thread_limit()


def test_batch_norm_sits_between_each_linear_and_its_activation(task: ClassificationTask) -> None:
    learner = MLPLearner(hidden=[32, 16], batch_norm=True, patience=None)
    model = learner.build(task)
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Linear", "BatchNorm1d", "ReLU", "Linear"]
    learner.fit(task, Budget(epochs=10), Recorder())
    assert learner.evaluate(task, "test")["accuracy"] > 0.9


def test_l1_drives_first_layer_weights_towards_zero(task: ClassificationTask) -> None:
    def mean_abs_weight(l1: float) -> float:
        learner = MLPLearner(l1=l1, patience=None)
        learner.fit(task, Budget(epochs=10), Recorder())
        return float(learner.model_[0].weight.detach().abs().mean())

    assert mean_abs_weight(1e-3) < 0.5 * mean_abs_weight(0.0)
