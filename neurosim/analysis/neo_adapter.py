"""Activity to neo: the one place where plain seconds become `quantities` and neo objects.

elephant works on neo objects with units attached; the rest of neurosim works on plain floats in
seconds. Everything that crosses between the two goes through this module, so no other module
imports `quantities`, and callers of `neurosim.analysis` never see a unit object.
"""

from __future__ import annotations

import neo
import numpy as np
import quantities as pq

from neurosim.activity import Activity, Signal, SpikeTrains

SECOND = pq.s


def seconds(value: float) -> pq.Quantity:
    """A duration or time in seconds, as elephant wants it."""
    return value * SECOND


def hertz(value: float) -> pq.Quantity:
    """A rate (or cost per second) in Hz, as elephant wants it."""
    return value * pq.Hz


def plain(value: pq.Quantity, unit: str) -> float | np.ndarray:
    """elephant's answer as a plain float (or array) in `unit` ("s", "Hz", ...)."""
    magnitude = np.asarray(value.rescale(unit).magnitude, dtype=np.float64)
    return float(magnitude) if magnitude.ndim == 0 else magnitude


def to_signal(signal: neo.AnalogSignal, unit: str) -> Signal:
    """A regularly sampled neo signal back as a `Signal` with times in s and values in `unit`."""
    return Signal(
        plain(signal.times, "s"), np.asarray(plain(signal, unit)).reshape(len(signal), -1), unit
    )


def unit_times(trains: SpikeTrains, t_start: float, t_stop: float) -> list[np.ndarray]:
    """Sorted spike times (s) of every unit in [t_start, t_stop), one array per unit.

    Half-open like `SpikeTrains.window`, so a spike on a window edge counts in exactly one window.
    """
    inside = trains.window(t_start, t_stop)
    order = np.lexsort((inside.times, inside.units))
    bounds = np.searchsorted(inside.units[order], np.arange(trains.n_units + 1))
    times = inside.times[order]
    return [times[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def spike_trains(trains: SpikeTrains, t_start: float, t_stop: float) -> list[neo.SpikeTrain]:
    """One `neo.SpikeTrain` (s) per unit, holding its spikes in [t_start, t_stop)."""
    return [
        neo.SpikeTrain(times * SECOND, t_start=t_start * SECOND, t_stop=t_stop * SECOND)
        for times in unit_times(trains, t_start, t_stop)
    ]


def analog_signal(signal: Signal, name: str | None = None) -> neo.AnalogSignal:
    """A `Signal` as neo: `AnalogSignal` when sampled at a fixed step, else irregularly sampled.

    A unit string quantities cannot read ("spikes", "logits") becomes dimensionless, and the
    original string is kept in the annotation "unit".
    """
    units = _quantity_unit(signal.unit)
    steps = np.diff(signal.t)
    annotations = {"unit": signal.unit}
    if len(steps) and np.allclose(steps, steps[0], rtol=1e-9, atol=0) and steps[0] > 0:
        return neo.AnalogSignal(
            signal.values,
            units=units,
            t_start=signal.t[0] * SECOND,
            sampling_period=steps[0] * SECOND,
            name=name,
            **annotations,
        )
    return neo.IrregularlySampledSignal(
        signal.t * SECOND, signal.values, units=units, name=name, **annotations
    )


def to_block(activity: Activity, name: str = "activity") -> neo.Block:
    """The whole Activity as one neo Block with one Segment.

    Every unit of every population becomes a SpikeTrain annotated with `population` and `unit`;
    every signal becomes an (irregularly sampled) AnalogSignal named after it; stimulus onsets,
    where recorded, become an Event labelled with the presented labels. All trains share
    t_start 0 (recordings start at 0) and t_stop just after the last spike, signal sample or
    presentation end.
    """
    t_stop = _end_of(activity)
    t_start = min([0.0] + [float(t.times.min()) for t in activity.spikes.values() if len(t.times)])
    segment = neo.Segment(name=name)
    for population, trains in activity.spikes.items():
        for unit, train in enumerate(spike_trains(trains, t_start, t_stop)):
            train.name = f"{population}[{unit}]"
            train.annotate(population=population, unit=unit)
            segment.spiketrains.append(train)
    for signal_name, signal in activity.signals.items():
        converted = analog_signal(signal, name=signal_name)
        if isinstance(converted, neo.AnalogSignal):
            segment.analogsignals.append(converted)
        else:
            segment.irregularlysampledsignals.append(converted)
    onsets = np.asarray(activity.meta.get("onsets", []), dtype=np.float64)
    if len(onsets):
        labels = [str(label) for label in activity.meta.get("labels", [""] * len(onsets))]
        segment.events.append(
            neo.Event(onsets * SECOND, labels=np.array(labels), name="stimulus onsets")
        )
    block = neo.Block(name=name)
    block.segments.append(segment)
    return block


def _quantity_unit(unit: str) -> pq.Quantity:
    if unit in ("", "1"):
        return pq.dimensionless
    try:
        return pq.Quantity(1.0, unit).units
    except (LookupError, ValueError, SyntaxError, TypeError):
        return pq.dimensionless


def _end_of(activity: Activity) -> float:
    ends = [0.0]
    ends += [float(t.times.max()) for t in activity.spikes.values() if len(t.times)]
    ends += [float(s.t.max()) for s in activity.signals.values() if len(s.t)]
    onsets = np.asarray(activity.meta.get("onsets", []), dtype=np.float64)
    if len(onsets):
        ends.append(float(onsets.max()) + float(activity.meta.get("presentation_s", 0.0)))
    return float(np.nextafter(max(ends), np.inf))
