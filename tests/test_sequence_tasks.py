"""The sequence tasks against what is known of them: their memoryless baselines, their layout
and the scoring of outputs whose loss can be worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurosim.errors import ParameterError
from neurosim.tasks import make_task
from neurosim.tasks.sequences import ADDING_BASELINE, copy_baseline

SMALL = {"n_train": 200, "n_val": 50, "n_test": 400}


def test_copy_layout_and_targets():
    task = make_task("copy", 0, T=12, **SMALL)
    data = task.split("train")
    codes = data.x.argmax(axis=2)
    assert data.x.shape == (200, 32, 10) and task.steps == 32 and task.n_outputs == 9
    assert np.all((codes[:, :10] >= 1) & (codes[:, :10] <= 8))
    assert np.all(codes[:, 10:21] == 0) and np.all(codes[:, 21] == 9) and np.all(codes[:, 22:] == 0)
    np.testing.assert_array_equal(data.y[:, -10:], codes[:, :10])
    assert np.all(data.y[:, :-10] == 0)


def test_copy_memoryless_guess_scores_the_baseline_exactly():
    """Blank with certainty until the recall, then uniform over the 8 symbols: 10 ln 8 / (T+20)."""
    task = make_task("copy", 0, T=30, **SMALL)
    test = task.split("test")
    logits = np.full((len(test), task.steps, 9), -1e9)
    logits[:, :-10, 0] = 0.0
    logits[:, -10:, 1:] = 0.0
    scores = task.score(logits, test.y)
    assert scores["loss"] == pytest.approx(10 * math.log(8) / 50)
    assert scores["loss"] == pytest.approx(copy_baseline(30))
    assert scores["loss_ratio"] == pytest.approx(1.0)


def test_copy_perfect_recall_scores_zero_loss_and_full_accuracy():
    task = make_task("copy", 1, T=10, **SMALL)
    test = task.split("test")
    logits = np.where(np.eye(9)[test.y] > 0, 50.0, -50.0)
    scores = task.score(logits, test.y)
    assert scores["loss"] < 1e-12 and scores["accuracy"] == 1.0


def test_copy_accuracy_counts_the_recall_steps_only():
    """All-blank predictions are right on T + 10 of T + 20 steps but on none of the recall."""
    task = make_task("copy", 0, T=10, **SMALL)
    test = task.split("test")
    logits = np.zeros((len(test), task.steps, 9))
    logits[..., 0] = 1.0
    assert task.score(logits, test.y)["accuracy"] == 0.0


def test_adding_targets_and_the_mean_prediction_baseline():
    task = make_task("adding", 0, T=40, n_train=20, n_val=20, n_test=20000)
    test = task.split("test")
    values, markers = test.x[..., 0], test.x[..., 1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :20].sum(axis=1) == 1)  # one marker in each half
    np.testing.assert_allclose(test.y, (values * markers).sum(axis=1), atol=1e-6)
    scores = task.score(np.ones(len(test)), test.y)
    assert scores["loss"] == pytest.approx(ADDING_BASELINE, rel=0.03)  # 1/6 up to sampling
    assert scores["accuracy"] == pytest.approx(2 * 0.04 - 0.04**2, abs=0.005)  # P(|S - 1| < .04)


def test_adding_accuracy_is_the_fraction_within_tolerance():
    task = make_task("adding", 0, T=10, **SMALL)
    test = task.split("test")
    outputs = test.y.copy()
    outputs[:100] += 0.05  # outside the 0.04 tolerance
    outputs[100:200] += 0.03  # inside
    assert task.score(outputs, test.y)["accuracy"] == pytest.approx(300 / 400)


def test_generated_tasks_are_fixed_by_the_seed_and_splits_are_independent():
    a = make_task("adding", 3, T=20, **SMALL)
    b = make_task("adding", 3, T=20, **{**SMALL, "n_train": 300})
    np.testing.assert_array_equal(a.split("test").x, b.split("test").x)
    c = make_task("adding", 4, T=20, **SMALL)
    assert not np.array_equal(a.split("test").x, c.split("test").x)


def test_seq_digits_rows_and_pixels_read_the_digits_images():
    digits = make_task("digits", 2)
    rows = make_task("seq-digits", 2, read="rows")
    pixels = make_task("seq-digits", 2, read="pixels")
    for name in ("train", "val", "test"):
        image = digits.split(name).x
        np.testing.assert_allclose(rows.split(name).x.reshape(len(image), 64), image, atol=1e-7)
        np.testing.assert_array_equal(pixels.split(name).y, digits.split(name).y)
    assert rows.split("test").x.shape[1:] == (8, 8)
    assert pixels.split("test").x.shape[1:] == (64, 1)
    assert pixels.baseline_loss == pytest.approx(math.log(10))


def test_seq_digits_permutation_is_one_fixed_order_for_every_image():
    plain = make_task("seq-digits", 0, read="pixels")
    permuted = make_task("seq-digits", 0, read="pixels", permute=True)
    x, xp = plain.split("train").x[..., 0], permuted.split("train").x[..., 0]
    order = np.random.default_rng(0).permutation(64)
    np.testing.assert_array_equal(xp, x[:, order])
    other_split = make_task("seq-digits", 5, read="pixels")  # another run seed: same order
    again = make_task("seq-digits", 5, read="pixels", permute=True)
    np.testing.assert_array_equal(
        again.split("test").x[..., 0], other_split.split("test").x[:, order, 0]
    )


def test_bad_parameters_name_the_field():
    with pytest.raises(ParameterError, match="task 'copy': field 'T'"):
        make_task("copy", 0, T=1)
    with pytest.raises(ParameterError, match="field 'read'"):
        make_task("seq-digits", 0, read="columns")
