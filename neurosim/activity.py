"""The Activity record: what neurons did, in one format for Brian2 networks and torch models.

Times are plain floats in seconds and signals carry their unit as a string: units are stripped
once, where a backend hands its recordings over, so analysis and plotting never see Brian2 units
or torch tensors.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np


@dataclasses.dataclass
class SpikeTrains:
    """Spikes of one population: parallel arrays of times (s) and unit indices."""

    times: np.ndarray
    units: np.ndarray
    n_units: int

    def __post_init__(self) -> None:
        self.times = np.asarray(self.times, dtype=np.float64)
        self.units = np.asarray(self.units, dtype=np.int64)
        if self.times.shape != self.units.shape:
            raise ValueError("spike times and unit indices must have the same length")
        if len(self.units) and (self.units.min() < 0 or self.units.max() >= self.n_units):
            raise ValueError(f"unit indices must lie in [0, {self.n_units})")

    def window(self, t0: float, t1: float) -> SpikeTrains:
        keep = (self.times >= t0) & (self.times < t1)
        return SpikeTrains(self.times[keep], self.units[keep], self.n_units)

    def counts(self, t0: float | None = None, t1: float | None = None) -> np.ndarray:
        lower = -np.inf if t0 is None else t0
        upper = np.inf if t1 is None else t1
        trains = self.window(lower, upper)
        return np.bincount(trains.units, minlength=self.n_units)

    def rates(self, t0: float, t1: float) -> np.ndarray:
        """Mean firing rate of each unit (Hz) in [t0, t1)."""
        return self.counts(t0, t1) / (t1 - t0)


@dataclasses.dataclass
class Signal:
    """A continuous recording: values (time x units) sampled at times t (s)."""

    t: np.ndarray
    values: np.ndarray
    unit: str = "1"

    def __post_init__(self) -> None:
        self.t = np.asarray(self.t, dtype=np.float64)
        self.values = np.asarray(self.values, dtype=np.float64)
        if self.values.ndim == 1:
            self.values = self.values[:, None]
        if self.values.shape[0] != self.t.shape[0]:
            raise ValueError("a signal needs one row of values per time point")


@dataclasses.dataclass
class Activity:
    """Spike trains and continuous signals by population name, plus weight snapshots and notes."""

    spikes: dict[str, SpikeTrains] = dataclasses.field(default_factory=dict)
    signals: dict[str, Signal] = dataclasses.field(default_factory=dict)
    weights: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    meta: dict[str, object] = dataclasses.field(default_factory=dict)

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {}
        header = {"spikes": {}, "signals": {}, "weights": list(self.weights), "meta": self.meta}
        for name, trains in self.spikes.items():
            arrays[f"spikes/{name}/times"] = trains.times
            arrays[f"spikes/{name}/units"] = trains.units
            header["spikes"][name] = trains.n_units
        for name, signal in self.signals.items():
            arrays[f"signals/{name}/t"] = signal.t
            arrays[f"signals/{name}/values"] = signal.values
            header["signals"][name] = signal.unit
        for name, weights in self.weights.items():
            arrays[f"weights/{name}"] = weights
        arrays["header"] = np.array(json.dumps(header, default=_to_json))
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: Path) -> Activity:
        with np.load(path) as data:
            header = json.loads(str(data["header"]))
            spikes = {
                name: SpikeTrains(data[f"spikes/{name}/times"], data[f"spikes/{name}/units"], n)
                for name, n in header["spikes"].items()
            }
            signals = {
                name: Signal(data[f"signals/{name}/t"], data[f"signals/{name}/values"], unit)
                for name, unit in header["signals"].items()
            }
            weights = {name: data[f"weights/{name}"] for name in header["weights"]}
        return cls(spikes=spikes, signals=signals, weights=weights, meta=header["meta"])


def _to_json(value: object) -> object:
    """Let meta hold numpy scalars and arrays."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in Activity.meta")
