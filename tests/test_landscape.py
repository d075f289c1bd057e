"""Landscape geometry against what must hold by construction: filter normalisation's row norms,
the ends of an interpolation, the centre of a slice, a trajectory that lies in a plane, and the
rise and barrier figures on hand-made lines."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from neurosim.analysis.landscape import barrier, between, log_slope, max_rise
from neurosim.deep.landscape import (
    classification_probe,
    filter_normalised_direction,
    flatten,
    flatten_snapshot,
    interpolate,
    parameters_of,
    plane,
    trajectory_plane,
)
from neurosim.deep.learners.landscape import LandscapeLearner
from neurosim.learner import Budget, Recorder
from neurosim.tasks import make_task


def small_net(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))


def data() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return torch.randn(40, 5, generator=generator), torch.randint(0, 3, (40,), generator=generator)


def test_filter_normalised_rows_have_the_solutions_row_norms_and_biases_are_zero():
    net = small_net()
    direction = filter_normalised_direction(net, torch.Generator().manual_seed(0))
    offset = 0
    for name, p in net.named_parameters():
        piece = direction[offset : offset + p.numel()].reshape(p.shape)
        offset += p.numel()
        if p.dim() == 1:  # biases and the batch norm's scale and shift
            assert torch.all(piece == 0), name
        else:
            torch.testing.assert_close(piece.norm(dim=1), p.detach().norm(dim=1))
            assert not torch.allclose(piece, p.detach())  # a random direction, not a copy
    assert offset == len(direction)


def test_interpolation_ends_are_the_endpoint_losses_and_the_model_is_restored():
    net, other = small_net(0), small_net(1)
    probe = classification_probe(*data())
    start, end = flatten(net), flatten(other)
    line = interpolate(net, start, end, np.array([0.0, 0.5, 1.0]), probe)
    assert line["loss"][0] == pytest.approx(probe(net)["loss"])
    assert line["loss"][-1] == pytest.approx(probe(other)["loss"])
    assert line["accuracy"][0] == probe(net)["accuracy"]
    torch.testing.assert_close(flatten(net), start)


def test_the_slice_at_its_centre_is_the_solutions_loss():
    net = small_net()
    probe = classification_probe(*data())
    generator = torch.Generator().manual_seed(3)
    d1 = filter_normalised_direction(net, generator)
    d2 = filter_normalised_direction(net, generator)
    alphas, betas = np.linspace(-1, 1, 5), np.linspace(-1, 1, 3)
    grid = plane(net, flatten(net), d1, d2, alphas, betas, probe)
    assert grid["loss"].shape == (3, 5)
    assert grid["loss"][1, 2] == pytest.approx(probe(net)["loss"])
    # a corner is the point centre + alpha d1 + beta d2 (rows along d2, columns along d1)
    with parameters_of(net, flatten(net) - d1 + d2):
        assert grid["loss"][2, 0] == pytest.approx(probe(net)["loss"])


def test_a_trajectory_in_a_plane_projects_exactly():
    rng = np.random.default_rng(0)
    final = rng.normal(size=50)
    basis, _ = np.linalg.qr(rng.normal(size=(50, 2)))
    coords = np.stack([np.linspace(3, 0, 20) ** 2, np.sin(np.linspace(0, 3, 20))], axis=1)
    coords[-1] = 0  # ends at the solution
    trajectory = final + coords @ basis.T
    found = trajectory_plane(trajectory, final)
    rebuilt = final + found.coordinates @ found.directions
    np.testing.assert_allclose(rebuilt, trajectory, atol=1e-10)
    assert found.explained.sum() == pytest.approx(1.0)
    assert found.explained[0] >= found.explained[1]
    np.testing.assert_allclose(found.directions @ found.directions.T, np.eye(2), atol=1e-12)


def test_snapshots_flatten_in_parameter_order():
    net = small_net()
    names = [n for n, _ in net.named_parameters()]
    snapshot = {
        n: np.stack([p.detach().numpy(), 2 * p.detach().numpy()])
        for n, p in zip(names, net.parameters(), strict=True)
    }
    flat = flatten_snapshot(net, snapshot)
    np.testing.assert_allclose(flat[0], flatten(net).numpy())
    np.testing.assert_allclose(flat[1], 2 * flatten(net).numpy())


def test_rise_and_barrier_on_hand_made_lines():
    assert max_rise(np.array([3.0, 2.0, 2.0, 1.0])) == 0  # monotone
    assert max_rise(np.array([3.0, 1.0, 1.5, 0.5, 0.7])) == pytest.approx(0.5)  # 1 -> 1.5
    assert barrier(np.array([1.0, 2.0, 0.5])) == pytest.approx(2.0 - 0.75)
    assert barrier(np.array([1.0, 0.8, 0.5])) == pytest.approx(0.25)  # no ridge: max is an end
    alphas = np.array([-0.25, 0, 0.5, 1, 1.25])
    np.testing.assert_array_equal(between(alphas, np.arange(5)), [1, 2, 3])


def test_log_slope_reads_a_power_law():
    batch = np.array([16, 64, 256, 1024])
    assert log_slope(batch, 3 * batch**0.5) == pytest.approx(0.5)
    assert np.isnan(log_slope(np.array([16, 16]), np.array([1.0, 2.0])))


def test_steps_replace_the_epoch_budget_whatever_the_batch_size():
    """`steps` trains for that many optimizer steps, rounded up to whole epochs: a batch-size
    sweep at equal optimisation. 140 training images: ceil(n / 50) batches per epoch."""
    task = make_task("digits", 0, subset=200)
    n_train = len(task.split("train").y)
    learner = LandscapeLearner(
        hidden=[4],
        batch_size=50,
        steps=7,
        patience=0,
        landscape_samples=20,
        line_points=3,
        grid=3,
        snapshots=2,
        hessian_points=2,
        lanczos_steps=3,
        slq_probes=1,
    )
    history = learner.fit(task, Budget(epochs=100), Recorder(None))
    assert len(history.rows) == math.ceil(7 / math.ceil(n_train / 50))
