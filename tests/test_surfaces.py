"""The 2-D test functions: autograd gradients against hand-written derivatives, zero gradients
at the known minima, the Hessian index of the saddles, the valley's rotation, and the task
parameters (start point, refused values)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neurosim.deep.learners.descent import derivatives
from neurosim.errors import ParameterError
from neurosim.tasks import make_task
from neurosim.tasks.surfaces import SURFACES

pytestmark = pytest.mark.usefixtures("one_torch_thread")

PI2 = 2 * math.pi


def beale_terms(x: float, y: float) -> list[tuple[float, float, float]]:
    """(residual, d/dx, d/dy) of Beale's three squared terms c_i - x + x y^i."""
    return [
        (c - x + x * y**i, y**i - 1, i * x * y ** (i - 1))
        for i, c in ((1, 1.5), (2, 2.25), (3, 2.625))
    ]


def valley_gradient(x: float, y: float, kappa: float = 100.0) -> tuple[float, float]:
    """½(u² + κv²) with u = (x + y)/√2, v = (y - x)/√2 (45°): du = (1, 1)/√2, dv = (-1, 1)/√2."""
    u, v = (x + y) / math.sqrt(2), (y - x) / math.sqrt(2)
    return ((u - kappa * v) / math.sqrt(2), (u + kappa * v) / math.sqrt(2))


# Hand-written gradients of each function.
GRADIENTS = {
    "rosenbrock": lambda x, y: (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)),
    "beale": lambda x, y: (
        sum(2 * r * dx for r, dx, _ in beale_terms(x, y)),
        sum(2 * r * dy for r, _, dy in beale_terms(x, y)),
    ),
    "saddle": lambda x, y: (2 * x, -2 * y),
    "monkey-saddle": lambda x, y: (3 * x**2 - 3 * y**2, -6 * x * y),
    "rastrigin": lambda x, y: (
        2 * x + 10 * PI2 * math.sin(PI2 * x),
        2 * y + 10 * PI2 * math.sin(PI2 * y),
    ),
    "valley": valley_gradient,
}
POINTS = [(-1.2, 1.0), (0.3, -0.7), (2.1, 0.4), (-0.45, -1.9)]


def test_every_surface_has_a_hand_written_gradient():
    assert sorted(GRADIENTS) == sorted(SURFACES)


@pytest.mark.parametrize("name", sorted(SURFACES))
@pytest.mark.parametrize("point", POINTS)
def test_autograd_gradient_matches_the_hand_written_one(name: str, point: tuple[float, float]):
    gradient, _ = derivatives(make_task(name, 0), point)
    np.testing.assert_allclose(gradient, GRADIENTS[name](*point), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_known_minima_have_zero_gradient_and_positive_curvature(name: str):
    task = make_task(name, 0)
    for minimum in task.minima:
        gradient, hessian = derivatives(task, minimum)
        np.testing.assert_allclose(gradient, 0.0, atol=1e-12)
        assert np.all(np.linalg.eigvalsh(hessian) > 0)
        assert task.value(*minimum) == pytest.approx(task.f_min, abs=1e-12)


def test_hessians_at_the_saddles():
    """x² - y²: Hessian diag(2, -2), index 1; the monkey saddle: zero Hessian at the origin,
    ±6|p| away from it (index 1 everywhere else: it is no minimum in any direction)."""
    _, hessian = derivatives(make_task("saddle", 0), (0.0, 0.0))
    np.testing.assert_allclose(hessian, [[2, 0], [0, -2]])
    assert np.sum(np.linalg.eigvalsh(hessian) < 0) == 1
    monkey = make_task("monkey-saddle", 0)
    np.testing.assert_allclose(derivatives(monkey, (0.0, 0.0))[1], 0.0)
    eigenvalues = np.linalg.eigvalsh(derivatives(monkey, (0.3, 0.4))[1])
    np.testing.assert_allclose(eigenvalues, [-3.0, 3.0])  # ±6 * 0.5


def test_valley_is_rotated_so_its_hessian_diagonal_is_flat():
    """At 45° both diagonal entries are (1 + κ)/2: a per-coordinate step size sees no
    difference between the axes, while the eigenvalues are 1 and κ."""
    task = make_task("valley", 0, condition=50.0)
    _, hessian = derivatives(task, (0.0, 0.0))
    np.testing.assert_allclose(np.diag(hessian), [25.5, 25.5])
    np.testing.assert_allclose(np.linalg.eigvalsh(hessian), [1.0, 50.0])
    unrotated = derivatives(make_task("valley", 0, angle_deg=0.0), (0.0, 0.0))[1]
    np.testing.assert_allclose(unrotated, np.diag([1.0, 100.0]), atol=1e-12)


def test_rastrigin_local_minimum_near_the_start():
    """The start (2.2, -1.6) lies in the basin of the local minimum near (2, -2): x = 2 - d with
    2x + 20π sin(2πx) = 0, i.e. (sin 2πd ≈ 2πd) d ≈ 4 / (2 + 40π²) ≈ 0.0101. Newton's method
    from (2, -2) finds it, a minimum (positive curvature) with f ≈ 8."""
    task = make_task("rastrigin", 0)
    d = 4 / (2 + 40 * math.pi**2)
    point = np.array([2.0, -2.0])
    for _ in range(5):
        gradient, hessian = derivatives(task, tuple(point))
        point = point - np.linalg.solve(hessian, gradient)
    gradient, hessian = derivatives(task, tuple(point))
    np.testing.assert_allclose(gradient, 0.0, atol=1e-10)
    np.testing.assert_allclose(point, [2 - d, -2 + d], atol=1e-4)
    assert np.all(np.linalg.eigvalsh(hessian) > 0)
    assert task.value(*point) == pytest.approx(8.0, abs=0.1)


def test_numpy_and_torch_evaluate_the_same_function():
    xs, ys = np.linspace(-2, 2, 7), np.linspace(1.5, -0.5, 7)
    for name in SURFACES:
        task = make_task(name, 0)
        expected = task.f(torch.tensor(xs), torch.tensor(ys), torch).numpy()
        np.testing.assert_allclose(task.value(xs, ys), expected, rtol=1e-13)


def test_start_point_is_a_parameter_with_the_literature_default():
    assert make_task("rosenbrock", 0).start == (-1.2, 1.0)
    assert make_task("saddle", 0, y0=0.25).start == (1.0, 0.25)


def test_valley_parameters_are_refused_elsewhere():
    with pytest.raises(ParameterError, match="field 'condition' only shapes task 'valley'"):
        make_task("rosenbrock", 0, condition=10.0)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tolerance": 0.0}, "tolerance"),
        ({"condition": 0.5}, "condition"),
        ({"x0": math.nan}, "x0"),
    ],
)
def test_bad_parameters_are_refused_by_name(params: dict, field: str):
    with pytest.raises(ParameterError, match=f"field '{field}'"):
        make_task("valley", 0, **params)
