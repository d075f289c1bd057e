"""The loss over a trained model's weight space, seen along lines and on planes.

A network's loss lives in thousands of dimensions; these views cut it down to one or two:
- the straight line from initialisation to solution (Goodfellow et al. 2015 found it monotone:
  no barrier on the way down) and between the solutions of two seeds (a barrier there says the
  two minima are not linearly mode connected);
- a plane spanned by two filter-normalised random directions (Li et al. 2018: each row of each
  weight matrix scaled to the norm of the solution's row, biases and batch-norm parameters left
  at zero, so that planes of differently scaled networks are comparable);
- the plane of the training trajectory's two principal directions (PCA of theta_i - theta_final,
  Li et al. section 7): random directions are almost orthogonal to the path the optimizer took,
  so only this plane shows the trajectory.

Parameter vectors are flat, in `model.parameters()` order, on the CPU.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

Probe = Callable[[nn.Module], dict[str, float]]  # figures of the model at its current weights


def flatten(model: nn.Module) -> torch.Tensor:
    """All parameters, concatenated, detached, on the CPU."""
    return torch.cat([p.detach().reshape(-1).cpu() for p in model.parameters()])


def flatten_snapshot(model: nn.Module, snapshot: Mapping[str, np.ndarray]) -> np.ndarray:
    """Stacked named parameters (ParameterSnapshots.arrays) as (n, P), in parameter order."""
    names = [name for name, _ in model.named_parameters()]
    count = len(snapshot[names[0]])
    return np.concatenate([np.asarray(snapshot[n]).reshape(count, -1) for n in names], axis=1)


def assign(model: nn.Module, flat: torch.Tensor) -> None:
    """Set the model's parameters from a flat vector (cast to each parameter's dtype/device)."""
    with torch.no_grad():
        offset = 0
        for p in model.parameters():
            p.copy_(flat[offset : offset + p.numel()].reshape(p.shape))
            offset += p.numel()


@contextlib.contextmanager
def parameters_of(model: nn.Module, flat: torch.Tensor) -> Iterator[nn.Module]:
    """The model with `flat` as its parameters, its own restored afterwards."""
    original = flatten(model)
    assign(model, flat)
    try:
        yield model
    finally:
        assign(model, original)


def classification_probe(x: torch.Tensor, y: torch.Tensor) -> Probe:
    """Cross-entropy and accuracy on (x, y), in eval mode: dropout off, batch norm on its
    running statistics (the same function at every point of the landscape)."""

    def probe(model: nn.Module) -> dict[str, float]:
        model.eval()
        with torch.inference_mode():
            out = model(x)
        return {
            "loss": F.cross_entropy(out, y).item(),
            "accuracy": (out.argmax(dim=1) == y).double().mean().item(),
        }

    return probe


def evaluate_points(model: nn.Module, points: torch.Tensor, probe: Probe) -> dict[str, np.ndarray]:
    """The probe's figures at each row of `points` (n, P); one array per figure."""
    rows = []
    for point in points:
        with parameters_of(model, point):
            rows.append(probe(model))
    return {key: np.array([row[key] for row in rows]) for key in rows[0]}


def interpolate(
    model: nn.Module, start: torch.Tensor, end: torch.Tensor, alphas: np.ndarray, probe: Probe
) -> dict[str, np.ndarray]:
    """The probe along (1 - alpha) start + alpha end: alpha 0 is `start`, 1 is `end`."""
    a = torch.as_tensor(alphas, dtype=start.dtype)[:, None]
    return evaluate_points(model, (1 - a) * start + a * end, probe)


def filter_normalised_direction(model: nn.Module, generator: torch.Generator) -> torch.Tensor:
    """A Gaussian direction with each row of each weight matrix (each filter of a conv layer)
    rescaled to the norm of that row in the model's current weights; one-dimensional parameters
    (biases, batch-norm scales and shifts) get zero (Li et al. 2018, section 4)."""
    pieces = []
    for p in model.parameters():
        weights = p.detach().cpu()
        if weights.dim() <= 1:
            pieces.append(torch.zeros(weights.numel(), dtype=weights.dtype))
            continue
        d = torch.randn(weights.shape, generator=generator, dtype=weights.dtype)
        rows, d_rows = weights.reshape(len(weights), -1), d.reshape(len(d), -1)
        scale = rows.norm(dim=1, keepdim=True) / d_rows.norm(dim=1, keepdim=True).clamp_min(1e-12)
        pieces.append((d_rows * scale).reshape(-1))
    return torch.cat(pieces)


def plane(
    model: nn.Module,
    centre: torch.Tensor,
    d1: torch.Tensor,
    d2: torch.Tensor,
    alphas: np.ndarray,
    betas: np.ndarray,
    probe: Probe,
) -> dict[str, np.ndarray]:
    """The probe at centre + a d1 + b d2 on the grid: arrays of shape (len(betas), len(alphas)),
    rows along d2, as matplotlib's contour(alphas, betas, values) reads them."""
    a = torch.as_tensor(alphas, dtype=centre.dtype)
    b = torch.as_tensor(betas, dtype=centre.dtype)
    points = centre + b[:, None, None] * d2 + a[None, :, None] * d1
    found = evaluate_points(model, points.reshape(-1, len(centre)), probe)
    return {key: values.reshape(len(betas), len(alphas)) for key, values in found.items()}


@dataclasses.dataclass(frozen=True)
class TrajectoryPlane:
    """The trajectory's two principal directions (unit, orthogonal) and its coordinates there."""

    directions: np.ndarray  # (2, P)
    coordinates: np.ndarray  # (n, 2): (theta_i - final) projected on each direction
    explained: np.ndarray  # (2,) fraction of the trajectory's variance about `final` per direction


def trajectory_plane(trajectory: np.ndarray, final: np.ndarray) -> TrajectoryPlane:
    """PCA of the snapshots' displacements from the solution (not centred on their mean: the
    plane passes through the solution, as in Li et al.), via SVD."""
    displacements = np.asarray(trajectory, dtype=np.float64) - np.asarray(final, dtype=np.float64)
    _, s, vt = np.linalg.svd(displacements, full_matrices=False)
    directions = vt[:2]
    total = float(np.sum(s**2))
    explained = s[:2] ** 2 / total if total > 0 else np.zeros(2)
    return TrajectoryPlane(directions, displacements @ directions.T, explained)


def covering_grid(values: np.ndarray, points: int, margin: float = 0.2) -> np.ndarray:
    """`points` evenly spaced values covering `values` with `margin` of their range each side."""
    low, high = float(np.min(values)), float(np.max(values))
    pad = margin * max(high - low, 1e-6)
    return np.linspace(low - pad, high + pad, points)
