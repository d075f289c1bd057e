"""Hessian-vector products, Lanczos and the negative-eigenvalue fraction against answers known
without them: a quadratic whose Hessian is chosen, and a tiny tanh network whose dense Hessian
torch.autograd.functional.hessian computes entry by entry."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from neurosim.deep.hessian import (
    hessian_vector_product,
    lanczos,
    n_parameters,
    negative_fraction,
    spectral_density,
    top_eigenvalues,
)


class Quadratic(nn.Module):
    """loss(x) = x^T A x / 2: its Hessian is A everywhere."""

    def __init__(self, n: int):
        super().__init__()
        self.x = nn.Parameter(torch.ones(n, dtype=torch.float64))


def known_matrix(eigenvalues: np.ndarray, seed: int = 0) -> torch.Tensor:
    """A dense symmetric matrix with these eigenvalues (a random rotation of the diagonal)."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(len(eigenvalues),) * 2))
    return torch.from_numpy(q @ np.diag(eigenvalues) @ q.T)


def quadratic_hvp(eigenvalues: np.ndarray):
    a = known_matrix(eigenvalues)
    model = Quadratic(len(eigenvalues))
    return hessian_vector_product(model, lambda: model.x @ a @ model.x / 2), a


def test_hvp_of_a_quadratic_is_the_matrix_times_the_vector():
    hvp, a = quadratic_hvp(np.array([3.0, 1.0, -2.0, 0.5]))
    v = torch.tensor([1.0, -2.0, 0.5, 4.0], dtype=torch.float64)
    torch.testing.assert_close(hvp(v), a @ v)


def test_lanczos_finds_the_top_eigenvalues_of_a_quadratic():
    eigenvalues = np.linspace(-1.0, 1.0, 40)
    eigenvalues[-3:] = [5.0, 7.0, 10.0]  # well separated: converged long before 40 steps
    hvp, _ = quadratic_hvp(eigenvalues)
    np.testing.assert_allclose(top_eigenvalues(hvp, 40, k=3, steps=20), [10.0, 7.0, 5.0], rtol=1e-6)


def test_a_full_krylov_space_gives_the_whole_spectrum_exactly():
    eigenvalues = np.array([-3.0, -1.0, 0.5, 2.0, 4.0, 9.0])
    hvp, _ = quadratic_hvp(eigenvalues)
    values, weights = lanczos(hvp, torch.ones(6, dtype=torch.float64), 6).ritz()
    np.testing.assert_allclose(values, eigenvalues, atol=1e-10)
    assert weights.sum() == pytest.approx(1.0)


def test_negative_fraction_of_a_quadratic_with_a_known_count():
    """12 of 40 eigenvalues below zero: SLQ with many probes lands on 0.3."""
    eigenvalues = np.concatenate([-np.linspace(0.5, 2, 12), np.linspace(0.5, 3, 28)])
    hvp, _ = quadratic_hvp(eigenvalues)
    density = spectral_density(hvp, 40, steps=40, probes=200)
    # Hutchinson with Rademacher probes: sd of one probe's mass <= sqrt(2 * 12 * 28 / 40^3) ~ 0.1
    assert negative_fraction(density) == pytest.approx(0.3, abs=4 * 0.1 / np.sqrt(200))


# ---------------------------------------------------------------- a tiny network, densely


def tiny_network() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """3-4-2 with tanh, float64, at random weights on 10 random samples: a saddle-ish point."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    x = torch.randn(10, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (10,))
    return net, x, y


def dense_hessian(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    names = [name for name, _ in net.named_parameters()]
    shapes = [p.shape for p in net.parameters()]
    sizes = [p.numel() for p in net.parameters()]

    def loss_of(flat: torch.Tensor) -> torch.Tensor:
        pieces = flat.split(sizes)
        params = {n: p.reshape(s) for n, p, s in zip(names, pieces, shapes, strict=True)}
        return F.cross_entropy(torch.func.functional_call(net, params, (x,)), y)

    flat = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
    return torch.autograd.functional.hessian(loss_of, flat).numpy()


def test_lanczos_eigenvalues_match_the_dense_hessian_of_a_tiny_network():
    """The issue's acceptance: HVP + Lanczos against the dense Hessian's eigenvalues, to 1e-4."""
    net, x, y = tiny_network()
    dense = np.linalg.eigvalsh(dense_hessian(net, x, y))
    hvp = hessian_vector_product(net, lambda: F.cross_entropy(net(x), y))
    n = n_parameters(net)
    assert n == 3 * 4 + 4 + 4 * 2 + 2
    np.testing.assert_allclose(top_eigenvalues(hvp, n, k=3, steps=n), dense[::-1][:3], atol=1e-4)
    # the top one alone converges in far fewer steps than there are parameters
    assert top_eigenvalues(hvp, n, k=1, steps=12)[0] == pytest.approx(dense[-1], abs=1e-4)


def test_negative_fraction_matches_the_dense_count_of_a_tiny_network():
    net, x, y = tiny_network()
    dense = np.linalg.eigvalsh(dense_hessian(net, x, y))
    hvp = hessian_vector_product(net, lambda: F.cross_entropy(net(x), y))
    n = n_parameters(net)
    tolerance = 1e-3 * dense[-1]
    count = int(np.sum(dense < -tolerance))
    assert 0 < count < n  # a saddle: both signs of curvature
    density = spectral_density(hvp, n, steps=n, probes=300)
    # each probe's mass is v^T P v / n for the projector P on the negative eigenspace:
    # sd <= sqrt(2 count (n - count)) / n; four sd of the mean over 300 probes
    sd = np.sqrt(2 * count * (n - count)) / n
    assert negative_fraction(density) * n == pytest.approx(count, abs=4 * sd / np.sqrt(300) * n)
