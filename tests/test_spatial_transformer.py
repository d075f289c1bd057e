"""The spatial transformer's parts against known answers: torch's sampler agrees with the task's
geometry, the localisation network starts at the identity, restricted maps are what they say."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurosim.analysis.invariance import similarity_of
from neurosim.deep.models.spatial_transformer import (
    SpatialTransformer,
    theta_from_parameters,
    warp,
)
from neurosim.tasks import make_task
from neurosim.tasks.transformed_digits import (
    TransformedDigitsParams,
    Transforms,
    affine_sample,
    render,
    rotation,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def as_theta(matrices: np.ndarray, offsets: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.concatenate([matrices, offsets[:, :, None]], axis=2))


def test_identity_theta_returns_the_input():
    images = torch.rand(4, 1, 32, 32, dtype=torch.float64)
    theta = as_theta(np.repeat(np.eye(2)[None], 4, axis=0), np.zeros((4, 2)))
    out = warp(images, theta, (32, 32))
    assert torch.allclose(out, images, atol=1e-6)


def test_torch_sampler_matches_the_tasks_numpy_sampler():
    """Same (A, b), same output: grid_sample(affine_grid) is the geometry the task draws with."""
    rng = np.random.default_rng(0)
    images = rng.random((5, 32, 32))
    matrices = 1.1 * rotation(rng.uniform(-60, 60, 5))
    offsets = rng.uniform(-0.3, 0.3, (5, 2))
    expected = affine_sample(images, matrices, offsets, (32, 32))
    out = warp(torch.as_tensor(images[:, None]), as_theta(matrices, offsets), (32, 32))
    np.testing.assert_allclose(out[:, 0].numpy(), expected, atol=1e-6)


def test_a_known_rotation_by_the_sampler_matches_the_tasks_rotation():
    """Rotating an upright canvas digit with the sampler gives the task's own rotated drawing
    (which samples the 8x8 digit directly, so up to one extra interpolation)."""
    task = make_task("digits-t", 0, max_shift=0.0, subset=100)
    upright = task.split("test").x[:6].reshape(6, 32, 32)
    digits = make_task("digits", 0, subset=100).split("test").x[:6].reshape(6, 8, 8)  # the same
    angle = np.full(6, 35.0)
    params = TransformedDigitsParams()
    drawn, _ = render(digits, Transforms(angle, np.ones(6), np.zeros((6, 2))), params)
    inverse = np.linalg.inv(rotation(angle))
    rotated = warp(torch.as_tensor(upright[:, None]), as_theta(inverse, np.zeros((6, 2))), (32, 32))
    rotated = rotated[:, 0].numpy().reshape(6, -1)
    for a, b in zip(rotated, drawn, strict=True):
        assert np.corrcoef(a, b)[0, 1] > 0.97
        assert np.abs(a - b).max() < 0.35


@pytest.mark.parametrize("transform", ["affine", "similarity", "rotation", "attention"])
def test_localisation_starts_at_the_identity(transform):
    torch.manual_seed(0)
    transformer = SpatialTransformer((32, 32), transform)
    images = torch.rand(3, 1, 32, 32)
    warped, theta = transformer(images)
    identity = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]).expand(3, 2, 3)
    assert torch.allclose(theta, identity, atol=1e-7)
    assert torch.allclose(warped, images, atol=1e-6)


def test_restricted_transforms_are_what_they_say():
    angle = np.deg2rad(30.0)
    theta = theta_from_parameters(torch.tensor([[angle]]), "rotation").numpy()
    rotation_deg, scale = similarity_of(theta)
    assert rotation_deg[0] == pytest.approx(30.0) and scale[0] == pytest.approx(1.0)
    np.testing.assert_allclose(theta[0, :, :2], rotation(np.array([30.0]))[0], atol=1e-7)
    parameters = torch.tensor([[angle, np.log(0.8), 0.2, -0.1]])
    theta = theta_from_parameters(parameters, "similarity").numpy()
    np.testing.assert_allclose(theta[0, :, :2], 0.8 * rotation(np.array([30.0]))[0], atol=1e-6)
    np.testing.assert_allclose(theta[0, :, 2], [0.2, -0.1], atol=1e-7)
    theta = theta_from_parameters(torch.tensor([[np.log(0.5), 0.2, -0.1]]), "attention").numpy()
    np.testing.assert_allclose(theta[0], [[0.5, 0, 0.2], [0, 0.5, -0.1]], atol=1e-7)


def test_similarity_of_recovers_rotation_and_scale():
    angles, scales = np.array([-80.0, 0.0, 45.0]), np.array([0.7, 1.0, 1.2])
    matrices = scales[:, None, None] * rotation(angles)
    theta = np.concatenate([matrices, np.zeros((3, 2, 1))], axis=2)
    rotation_deg, scale = similarity_of(theta)
    np.testing.assert_allclose(rotation_deg, angles)
    np.testing.assert_allclose(scale, scales)


def test_a_trained_transformer_finds_where_the_digit_was_moved():
    """Trained by the classifier's loss alone, the localisation network's predicted shift follows
    the shift the task applied (Jaderberg et al.'s central claim, on a small problem)."""
    from neurosim.learner import Budget, Recorder
    from neurosim.registry import LEARNERS

    task = make_task("digits-t", 0, subset=400)
    learner = LEARNERS.get("stn")(transform="attention", channels=[8], hidden=32)
    learner.fit(task, Budget(epochs=15), Recorder(None))
    test = task.split("test")
    _, theta = learner.transform(test.x)
    applied = task.sample_info("test")
    r_x = np.corrcoef(theta[:, 0, 2], applied["shift_x"])[0, 1]
    r_y = np.corrcoef(theta[:, 1, 2], applied["shift_y"])[0, 1]
    assert r_x > 0.6 and r_y > 0.6, (r_x, r_y)
