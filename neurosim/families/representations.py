"""The "representations" Activity: what a learner's layers did on its task's probe set.

Classifiers and sequence learners record it the same way, so RDMs and CKA can compare a spiking
circuit's spike counts, a reservoir's states and an MLP's or LSTM's hidden units stimulus by
stimulus (report section `representations`).
"""

from __future__ import annotations

import numpy as np

from neurosim.activity import Activity, Signal
from neurosim.artifacts import Recorder
from neurosim.tasks.base import ProbeSet

# Probe stimuli every learner's layers are recorded on: enough for stable RDMs (19900 pairs),
# few enough to keep every run's artifact small.
REPRESENTATION_PROBE_SIZE = 200
# Wider layers (a conv net's first feature maps on 32x32 images: 4096 units) are left out: at
# 200 stimuli each would add megabytes to every run for a comparison the later layers make.
MAX_RECORDED_UNITS = 2048


def record_representations(
    recorder: Recorder, probe: ProbeSet, layers: dict[str, np.ndarray], unit: str = "1"
) -> None:
    """Record `layers` (name -> (len(probe), units), input side first) with the stimuli as
    "input" (flattened), one row per probe stimulus; nothing when there are no layers."""
    if not layers:
        return
    t = np.arange(len(probe), dtype=np.float64)
    signals = {"input": Signal(t=t, values=probe.x.reshape(len(probe), -1))}
    too_wide = {name: v.shape[1] for name, v in layers.items() if v.shape[1] > MAX_RECORDED_UNITS}
    for name, values in layers.items():
        if name not in too_wide:
            signals[name] = Signal(t=t, values=values, unit=unit)
    activity = Activity(
        signals=signals,
        meta={
            "labels": [] if probe.y is None else np.asarray(probe.y).tolist(),
            "layers": list(signals),
            "not_recorded": too_wide,  # layer -> units, wider than MAX_RECORDED_UNITS
            "note": "one row per probe stimulus; t is the stimulus index",
        },
    )
    recorder.activity(activity, probe=probe.name, name="representations")
