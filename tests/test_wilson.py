"""Wilson et al. 2017's separable construction (section 3.3): its structure, and the paper's two
arguments checked in closed form. The minimum-norm interpolant (what gradient descent from 0
reaches) labels every test point right; the adaptive methods' ray w ∝ sign(X^T y) interpolates
the training set too (X sign(X^T y) = 4y) but labels every test point with the majority class.
Full-batch gradient descent of the `least-squares` learner stays in X's row space and ends at
np.linalg.pinv's solution."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.errors import ParameterError
from neurosim.learner import Budget, Recorder
from neurosim.tasks import make_task
from neurosim.tasks.wilson import BLOCK, SHARED

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def signed(y: np.ndarray) -> np.ndarray:
    return 2.0 * y - 1.0


def unique_columns(x: np.ndarray) -> list[set[int]]:
    return [set(np.flatnonzero(row[SHARED:]) + SHARED) for row in x]


@pytest.fixture(scope="module")
def task():
    return make_task("wilson-separable", 3, n_train=40, n_test=60, p=0.6)


def test_shared_features_are_the_label_and_two_ones(task):
    for split in ("train", "test"):
        data = task.split(split)
        assert np.array_equal(data.x[:, 0], signed(data.y))
        assert np.all(data.x[:, 1:SHARED] == 1.0)


def test_a_positive_owns_one_feature_and_a_negative_five(task):
    for split in ("train", "test"):
        data = task.split(split)
        counts = np.array([len(columns) for columns in unique_columns(data.x)])
        assert np.array_equal(counts, np.where(data.y == 1, 1, 5))
        assert set(np.unique(data.x[:, SHARED:])) == {0.0, 1.0}


def test_unique_features_are_never_shared_not_even_between_train_and_test(task):
    rows = [*unique_columns(task.split("train").x), *unique_columns(task.split("test").x)]
    seen: set[int] = set()
    for columns in rows:
        assert not columns & seen
        seen |= columns
    assert task.n_features == SHARED + BLOCK * (40 + 60)


def test_positives_are_the_fixed_majority(task):
    assert task.split("train").y.sum() == 24  # round(0.6 * 40)
    assert task.split("test").y.sum() == 36  # round(0.6 * 60)
    assert task.n_classes == 2


def test_seeds_draw_different_label_orders():
    a = make_task("wilson-separable", 0).split("train").y
    b = make_task("wilson-separable", 1).split("train").y
    assert a.sum() == b.sum() and not np.array_equal(a, b)


def test_the_minimum_norm_interpolant_labels_every_test_point_right(task):
    x, t = task.split("train").x, signed(task.split("train").y)
    w = np.linalg.pinv(x) @ t
    np.testing.assert_allclose(x @ w, t, atol=1e-10)  # it interpolates
    test = task.split("test")
    assert np.array_equal(test.x @ w > 0, test.y == 1)
    # Why: it leans on x_1 = y far more than on the two constant features.
    assert w[0] > 2 * abs(w[1]) and w[1] == pytest.approx(w[2])


def test_the_adaptive_ray_interpolates_and_labels_every_test_point_positive(task):
    x, t = task.split("train").x, signed(task.split("train").y)
    direction = np.sign(x.T @ t)
    np.testing.assert_array_equal(x @ direction, 4 * t)  # X sign(X^T y) = c y with c = 4
    w = direction / 4
    np.testing.assert_allclose(x @ w, t)
    test = task.split("test")
    assert np.all(test.x @ w > 0)  # w.x = (y + 2) / 4: the majority label everywhere
    error = np.mean((test.x @ w > 0) != (test.y == 1))
    assert error == pytest.approx(1 - 36 / 60)


def test_full_batch_gradient_descent_from_zero_reaches_the_pinv_solution(task):
    from neurosim.deep.learners.least_squares import LeastSquaresLearner

    learner = LeastSquaresLearner(optimizer="sgd", lr=0.2, device="cpu")
    learner.fit(task, Budget(epochs=3000), Recorder(None))
    w = learner.weights()
    x = task.split("train").x
    # In the row space of X: no weight on a feature no training sample has (the test ones).
    unseen = np.flatnonzero(np.abs(x).sum(axis=0) == 0)
    assert len(unseen) > 0 and np.all(w[unseen] == 0.0)
    coefficients, *_ = np.linalg.lstsq(x.T, w, rcond=None)
    np.testing.assert_allclose(x.T @ coefficients, w, atol=1e-6)
    np.testing.assert_allclose(w, np.linalg.pinv(x) @ signed(task.split("train").y), atol=1e-4)
    assert learner.evaluate(task, "test")["accuracy"] == 1.0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"p": 0.5}, "p"),
        ({"p": 1.0}, "p"),
        ({"n_test": 1}, "n_test"),
        ({"n_train": 2, "p": 0.55}, "n_train"),  # round(1.1) = 1 of 2: not a strict majority
    ],
)
def test_bad_parameters_name_the_field(params: dict, field: str):
    with pytest.raises(ParameterError, match=f"'{field}'"):
        make_task("wilson-separable", 0, **params)
