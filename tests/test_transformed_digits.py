"""The invariance tasks: geometry checked by hand, determinism from the seed, bad fields named."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.errors import ParameterError
from neurosim.tasks import make_task
from neurosim.tasks.transformed_digits import (
    affine_sample,
    circular_sd_deg,
    principal_axis_deg,
    rotation,
)

SMALL = {"subset": 100}


def test_identity_sampling_returns_the_image():
    images = np.random.default_rng(0).random((3, 5, 7))
    eye = np.repeat(np.eye(2)[None], 3, axis=0)
    out = affine_sample(images, eye, np.zeros((3, 2)), (5, 7))
    np.testing.assert_allclose(out, images, atol=1e-12)


def test_a_quarter_turn_moves_pixels_where_the_screen_says():
    """Counter-clockwise on screen: what was at the top of the image ends up on the left."""
    image = np.zeros((1, 5, 5))
    image[0, 0, 2] = 1.0  # top centre
    # The digit drawn at p = R q reads the source at R^-1 p.
    inverse = np.linalg.inv(rotation(np.array([90.0])))
    out = affine_sample(image, inverse, np.zeros((1, 2)), (5, 5))
    assert np.unravel_index(out[0].argmax(), (5, 5)) == (2, 0)  # middle row, left column
    assert out[0].max() == pytest.approx(1.0)


def test_a_shift_by_one_pixel_is_exact():
    """Shifting by 2/width normalised units moves the image one pixel to the right."""
    image = np.random.default_rng(1).random((1, 4, 6))
    out = affine_sample(image, np.eye(2)[None], np.array([[-2 / 6, 0.0]]), (4, 6))
    np.testing.assert_allclose(out[0, :, 1:], image[0, :, :-1], atol=1e-12)
    np.testing.assert_allclose(out[0, :, 0], 0.0)  # what came from outside is zero


def test_task_is_deterministic_from_the_seed_and_differs_between_seeds():
    a, b = make_task("digits-rts", 3, **SMALL), make_task("digits-rts", 3, **SMALL)
    for split in a.splits:
        np.testing.assert_array_equal(a.split(split).x, b.split(split).x)
        np.testing.assert_array_equal(
            a.sample_info(split)["rotation_deg"], b.sample_info(split)["rotation_deg"]
        )
    np.testing.assert_array_equal(a.train_epoch(5).x, b.train_epoch(5).x)
    other = make_task("digits-rts", 4, **SMALL)
    assert not np.array_equal(
        a.sample_info("test")["rotation_deg"], other.sample_info("test")["rotation_deg"]
    )


def test_training_draws_change_per_epoch_unless_told_not_to():
    task = make_task("digits-r", 0, **SMALL)
    first, second = task.train_epoch(1), task.train_epoch(2)
    np.testing.assert_array_equal(first.x, task.split("train").x)
    assert not np.array_equal(first.x, second.x)
    np.testing.assert_array_equal(first.y, second.y)  # the same digits, new distortions
    fixed = make_task("digits-r", 0, redraw_train=False, **SMALL)
    np.testing.assert_array_equal(fixed.train_epoch(2).x, fixed.split("train").x)


def test_variants_draw_within_their_ranges():
    r = make_task("digits-r", 0, **SMALL).sample_info("test")
    assert np.abs(r["rotation_deg"]).max() <= 90 and np.abs(r["rotation_deg"]).max() > 60
    assert np.all(r["scale"] == 1) and np.all(r["shift_x"] == 0)
    rts = make_task("digits-rts", 0, **SMALL).sample_info("test")
    assert rts["scale"].min() >= 0.7 and rts["scale"].max() <= 1.2
    assert np.abs(rts["shift_y"]).max() <= 0.3
    t = make_task("digits-t", 0, **SMALL)
    assert np.all(t.sample_info("val")["rotation_deg"] == 0)
    assert t.split("test").x.shape[1] == 32 * 32 and t.image_shape == (32, 32)
    assert 0 <= t.split("test").x.min() and t.split("test").x.max() <= 1


def test_an_undistorted_digit_is_the_8x8_digit_upsampled_in_the_centre():
    task = make_task("digits-t", 0, max_shift=0.0, **SMALL)
    image = task.split("test").x[0].reshape(32, 32)
    # A 16 px digit in the middle of 32: 8 px margins, of which bilinear blurs the innermost.
    assert image[:7].sum() == 0 and image[-7:].sum() == 0 and image[:, :7].sum() == 0
    centre, _ = principal_axis_deg(image[None])
    plain = make_task("digits", 0, **SMALL).split("test").x[0].reshape(8, 8)
    plain_centre, _ = principal_axis_deg(plain[None])
    # The centre of mass scales with the digit's share of the canvas (16/32), up to interpolation.
    np.testing.assert_allclose(centre, plain_centre * 0.5, atol=0.02)


def test_principal_axis_of_a_bar_and_circular_spread():
    bar = np.zeros((2, 9, 9))
    bar[0, 4, :] = 1  # horizontal
    bar[1, :, 4] = 1  # vertical
    centre, angle = principal_axis_deg(bar)
    np.testing.assert_allclose(centre, 0.0, atol=1e-12)
    assert angle[0] == pytest.approx(0.0) and abs(angle[1]) == pytest.approx(90.0)
    assert circular_sd_deg(np.array([89.0, -89.0])) < 2  # axes at ±89° are 2° apart
    assert circular_sd_deg(np.array([10.0, 10.0])) == pytest.approx(0.0, abs=1e-5)


def test_bad_fields_are_named():
    with pytest.raises(ParameterError, match="max_rotation_deg"):
        make_task("digits-r", 0, max_rotation_deg=200)
    with pytest.raises(ParameterError, match="min_scale"):
        make_task("digits-rts", 0, min_scale=1.5)
    # The split fields are digits', but the mistake is named where the user made it.
    with pytest.raises(ParameterError, match="task 'digits-t': test_fraction"):
        make_task("digits-t", 0, test_fraction=0.7)
