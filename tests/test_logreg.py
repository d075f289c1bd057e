"""LogRegLearner: the linear floor on digits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from neurosim.baselines.logreg import LogRegLearner
from neurosim.errors import ParameterError
from neurosim.learner import Budget, Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks import ClassificationTask, make_task


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread() -> Iterator[None]:
    """A threaded BLAS on a busy 2-core box makes this 0.05 s fit take seconds."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def task() -> ClassificationTask:
    return make_task("digits", seed=0)


def test_registered() -> None:
    assert LEARNERS.get("logreg") is LogRegLearner


def test_accuracy_history_and_determinism(task: ClassificationTask, tmp_path: Path) -> None:
    learner = LogRegLearner()
    history = learner.fit(task, Budget(), Recorder(tmp_path))
    predicted = learner.predict(task, "test")
    assert np.mean(predicted == task.split("test").y) >= 0.95
    (row,) = history.rows
    assert row["epoch"] == 1
    assert row["samples"] == len(task.split("train"))
    assert row["val_accuracy"] == learner.evaluate(task, "val")["accuracy"]
    assert row["train_accuracy"] == learner.evaluate(task, "train")["accuracy"]
    with np.load(tmp_path / "receptive_fields.npz") as fields:
        assert fields["weights"].shape == (10, 64)
        assert fields["image_shape"].tolist() == [8, 8]

    again = LogRegLearner()
    again.fit(task, Budget(), Recorder())
    np.testing.assert_array_equal(again.predict(task, "test"), predicted)


def test_sample_budget_uses_the_first_samples(task: ClassificationTask) -> None:
    subset = LogRegLearner()
    (row,) = subset.fit(task, Budget(samples=200), Recorder()).rows
    train = task.split("train")
    assert row["samples"] == 200
    assert row["train_accuracy"] == subset.model_.score(train.x[:200], train.y[:200])
    full = LogRegLearner()
    full.fit(task, Budget(), Recorder())
    assert subset.evaluate(task, "test")["accuracy"] < full.evaluate(task, "test")["accuracy"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"c": 1.0}, "c"), ({"C": "big"}, "C"), ({"C": 0.0}, "C"), ({"max_iter": 0}, "max_iter")],
)
def test_bad_params_name_the_field(params: dict, field: str) -> None:
    with pytest.raises(ParameterError, match=f"'{field}'"):
        LogRegLearner(**params)
