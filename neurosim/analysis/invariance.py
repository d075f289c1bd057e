"""How well a spatial transformer undoes distortions: predicted against applied transformations,
and how centred and upright the digits are before and after it. numpy only, so the report reads
the same numbers the learner scored.
"""

from __future__ import annotations

import math

import numpy as np

from neurosim.metrics import METRICS, Metric
from neurosim.tasks.transformed_digits import circular_sd_deg, principal_axis_deg

METRICS.declare(
    Metric(
        "rotation_r",
        "Pearson r of the transformer's predicted rotation against the applied one",
        "",
        True,
        True,
    ),
    Metric("scale_r", "Pearson r of the predicted scale against the applied scale", "", True),
    Metric(
        "centre_sd_ratio",
        "spread of the digits' centres of mass after the transformer over before (< 1: centred)",
        "",
        False,
    ),
    Metric(
        "axis_sd_ratio",
        "circular sd of the digits' principal-axis angles after the transformer over before "
        "(< 1: more upright)",
        "",
        False,
    ),
)


def similarity_of(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rotation (degrees, counter-clockwise on screen) and scale of the similarity closest
    to each A of [A | b]: for A = s R(θ) exactly θ and s."""
    a = theta[:, :, :2]
    rotation = np.rad2deg(np.arctan2(a[:, 0, 1] - a[:, 1, 0], a[:, 0, 0] + a[:, 1, 1]))
    scale = np.sqrt(np.abs(np.linalg.det(a)))
    return rotation, scale


def transformer_scores(
    inputs: np.ndarray, warped: np.ndarray, theta: np.ndarray, info: dict[str, np.ndarray]
) -> dict[str, float]:
    """Predicted against applied rotation and scale (r; NaN where the task did not vary them),
    and how much the digits' centres and axes spread after the transformer relative to before."""
    rotation, scale = similarity_of(theta)
    centre_in, axis_in = principal_axis_deg(inputs)
    centre_out, axis_out = principal_axis_deg(warped)
    spread_in, spread_out = centre_spread(centre_in), centre_spread(centre_out)
    return {
        "rotation_r": _pearson(rotation, info.get("rotation_deg")),
        "scale_r": _pearson(scale, info.get("scale")),
        "centre_sd_ratio": spread_out / spread_in if spread_in > 0 else math.nan,
        "axis_sd_ratio": circular_sd_deg(axis_out) / max(circular_sd_deg(axis_in), 1e-9),
    }


def centre_spread(centres: np.ndarray) -> float:
    """√ of the summed variances of (x, y) centres: one number for how scattered they are."""
    return float(np.sqrt(np.sum(np.var(np.asarray(centres, dtype=np.float64), axis=0))))


def _pearson(predicted: np.ndarray, applied: np.ndarray | None) -> float:
    if applied is None or np.std(applied) == 0 or np.std(predicted) == 0:
        return math.nan
    return float(np.corrcoef(predicted, applied)[0, 1])
