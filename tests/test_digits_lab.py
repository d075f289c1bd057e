"""digits-lab against what it promises: the digits splits, exactly the stated share of training
labels randomised (val and test kept), train scored, a reduced training set, and augmentation that
re-draws training images per epoch, leaves val and test alone and moves a hand-made image by the
stated pixels."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.artifacts import Recorder
from neurosim.errors import ParameterError
from neurosim.learner import Budget
from neurosim.registry import LEARNERS
from neurosim.tasks import make_task
from neurosim.tasks.digits_lab import PIXEL, augment, randomise_labels
from neurosim.tasks.transformed_digits import principal_axis_deg


def test_the_splits_are_those_of_digits_and_train_is_scored():
    lab, digits = make_task("digits-lab", 3), make_task("digits", 3)
    assert lab.evaluation_splits == ("train", "val", "test")
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(lab.split(split).x, digits.split(split).x)
        np.testing.assert_array_equal(lab.split(split).y, digits.split(split).y)
    memorise = make_task("digits-lab-memorise", 3)
    assert memorise.evaluation_splits == ("train", "test")


@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.5, 1.0])
def test_label_noise_redraws_exactly_the_stated_share(fraction):
    task = make_task("digits-lab", 0, label_noise=fraction)
    clean = make_task("digits", 0)
    n = len(clean.split("train"))
    assert len(task.randomised) == round(fraction * n) == len(set(task.randomised.tolist()))
    changed = np.flatnonzero(task.split("train").y != clean.split("train").y)
    assert set(changed) <= set(task.randomised.tolist())  # only the chosen ones can change
    np.testing.assert_array_equal(task.true_train_y, clean.split("train").y)
    for split in ("val", "test"):  # scored against the truth
        np.testing.assert_array_equal(task.split(split).y, clean.split(split).y)
    if fraction:
        # uniform over 10 classes: 9 in 10 of the redrawn labels differ from the true one
        share = len(changed) / len(task.randomised)
        sd = np.sqrt(0.09 / len(task.randomised))
        assert abs(share - 0.9) < 4 * sd


def test_randomised_labels_are_uniform_and_seeded():
    y = np.zeros(20_000, dtype=np.int64)
    noisy, chosen = randomise_labels(y, 0.5, 10, np.random.default_rng(1))
    assert len(chosen) == 10_000
    counts = np.bincount(noisy[chosen], minlength=10)
    assert np.all(np.abs(counts - 1000) < 4 * np.sqrt(1000 * 0.9))  # chi-by-eye, 4 sd
    np.testing.assert_array_equal(np.delete(noisy, chosen), 0)
    again, _ = randomise_labels(y, 0.5, 10, np.random.default_rng(1))
    np.testing.assert_array_equal(noisy, again)
    a = make_task("digits-lab", 0, label_noise=0.5).split("train").y
    b = make_task("digits-lab", 1, label_noise=0.5, split_seed=0).split("train").y
    assert not np.array_equal(a, b)  # another seed randomises other labels


def test_train_size_reduces_train_only_and_keeps_classes():
    small, full = make_task("digits-lab", 0, train_size=300), make_task("digits-lab", 0)
    assert len(small.split("train")) == 300
    assert set(np.unique(small.split("train").y)) == set(range(10))
    assert np.bincount(small.split("train").y).min() >= 28  # stratified: ~30 per class
    for split in ("val", "test"):
        np.testing.assert_array_equal(small.split(split).x, full.split(split).x)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"label_noise": 1.5}, "label_noise"),
        ({"augment_shift_px": 5}, "augment_shift_px"),
        ({"augment_rotation_deg": 90.0}, "augment_rotation_deg"),
        ({"train_size": 5000}, "train_size"),
        ({"subset": 10}, "subset"),
    ],
)
def test_errors_name_the_task_and_field(params, field):
    with pytest.raises(ParameterError, match=f"task 'digits-lab'.*{field}"):
        make_task("digits-lab", 0, **params)


def _image_with_bar() -> np.ndarray:
    image = np.zeros((1, 8, 8))
    image[0, 3:5, 2:6] = 1.0  # a 2x4 horizontal bar, centred
    return image


@pytest.mark.parametrize(("dx", "dy"), [(1, 0), (0, 2), (-2, 1)])
def test_a_shift_of_k_pixels_moves_the_centre_of_mass_by_k_pixels(dx, dy):
    image = _image_with_bar()
    before, _ = principal_axis_deg(image)
    after, _ = principal_axis_deg(augment(image, np.array([[dx, dy]]), np.zeros(1)))
    np.testing.assert_allclose((after - before) / PIXEL, [[dx, dy]], atol=1e-9)


def test_a_quarter_turn_stands_the_bar_up():
    _, angle = principal_axis_deg(_image_with_bar())
    _, turned = principal_axis_deg(augment(_image_with_bar(), np.zeros((1, 2)), np.array([90.0])))
    assert abs(angle[0]) < 1e-6 and abs(abs(turned[0]) - 90.0) < 1e-6


def test_augmentation_redraws_train_per_epoch_and_leaves_val_and_test():
    params = {"augment_shift_px": 1, "augment_rotation_deg": 10.0, "subset": 200}
    task, plain = make_task("digits-lab", 0, **params), make_task("digits-lab", 0, subset=200)
    first, second = task.train_epoch(1), task.train_epoch(2)
    assert not np.allclose(first.x, second.x)
    np.testing.assert_array_equal(first.x, make_task("digits-lab", 0, **params).train_epoch(1).x)
    np.testing.assert_array_equal(first.y, plain.split("train").y)
    for split in ("train", "val", "test"):  # what is scored is never augmented
        np.testing.assert_array_equal(task.split(split).x, plain.split(split).x)
    assert plain.train_epoch(2) is plain.split("train")


@pytest.mark.parametrize(
    ("learner", "params", "budget"),
    [
        ("logreg", {}, {}),
        ("random-features", {"n_features": 50}, {}),
        ("mlp", {"hidden": [8], "device": "cpu"}, {"epochs": 2}),
        pytest.param(
            "stdp-wta", {"n_neurons": 10}, {"epochs": 1}, marks=pytest.mark.slow, id="stdp-wta"
        ),
    ],
)
def test_learners_score_the_train_split(learner, params, budget):
    task = make_task("digits-lab", 0, subset=100, label_noise=0.5)
    model = LEARNERS.get(learner)(**params)
    model.fit(task, Budget(**budget), Recorder())
    scores = {split: model.evaluate(task, split) for split in task.evaluation_splits}
    assert set(scores) == {"train", "val", "test"}
    assert 0.0 <= scores["train"]["accuracy"] <= 1.0
    predicted = model.predict(task, "train")
    assert scores["train"]["accuracy"] == pytest.approx(
        np.mean(predicted == task.split("train").y)  # against the labels it trained on
    )
