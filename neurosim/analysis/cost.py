"""What a run cost per sample: operations (synaptic events or MACs) and wall time.

Spiking circuits spend energy per synaptic event (a presynaptic spike arriving at one synapse),
deep networks per multiply-accumulate; both are counted per training sample and per inference so
one table can put them side by side. Wall time is known for every run (timings and history), so
it is filled in here for runs whose learner counts no operations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

COST_KEYS = (
    "op",
    "train_ops_per_sample",
    "inference_ops_per_sample",
    "train_seconds_per_sample",
    "inference_seconds_per_sample",
    "how",
)


def synaptic_events(spikes: Mapping[str, np.ndarray], fan_out: Mapping[str, float]) -> np.ndarray:
    """Synaptic events per presentation: each population's spike counts (one per presentation)
    times the number of synapses each of its spikes reaches, summed over populations."""
    total = sum(np.asarray(spikes[name], dtype=np.float64) * fan_out[name] for name in fan_out)
    return np.asarray(total, dtype=np.float64)


def training_seconds_per_sample(
    timings: Mapping[str, float], history: Sequence[Mapping[str, float]]
) -> float | None:
    """The fit's wall time over the training samples seen."""
    samples = samples_seen(history)
    if not samples or "fit_s" not in timings:
        return None
    return float(timings["fit_s"]) / samples


def samples_seen(history: Sequence[Mapping[str, float]]) -> float | None:
    """The training samples a fit counted (the history's last `samples`; a sample shown in
    every epoch counts once per epoch)."""
    return next((float(row["samples"]) for row in reversed(history) if "samples" in row), None)


def with_wall_time(
    cost: Mapping[str, Any],
    timings: Mapping[str, float],
    history: Sequence[Mapping[str, float]],
) -> dict[str, Any]:
    """A learner's cost with every key of COST_KEYS, the training wall time per sample filled in
    from the run's timings unless the learner measured it; None where nothing was counted."""
    filled = {key: cost.get(key) for key in COST_KEYS}
    if filled["train_seconds_per_sample"] is None:
        filled["train_seconds_per_sample"] = training_seconds_per_sample(timings, history)
    return filled
