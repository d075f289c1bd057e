"""Spike raster: one panel per population, units grouped by preferred class, presentation periods
shaded with their labels, and an optional stimulus strip.

Why group units: in unit-index order a selective population looks like noise; sorted by the class
each unit prefers, a presentation lights up one band, and a reader sees selectivity at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from neurosim.activity import Activity, SpikeTrains

_TIME_SCALE = {"s": 1.0, "ms": 1e3}
SILENT = -1  # the class of a unit that never fired during a presentation


def plot_raster(
    activity: Activity,
    populations: Sequence[str] = ("exc", "inh"),
    t0: float | None = None,
    t1: float | None = None,
    onsets: Sequence[float] | None = None,
    labels: Sequence[object] | None = None,
    time_unit: str = "ms",
    title: str | None = None,
) -> Figure:
    """Raster of `populations` in [t0, t1) (s), stacked on a shared time axis in `time_unit`.

    Onsets and labels default to `activity.meta["onsets"]` / `["labels"]`; each presentation
    (onset to onset + meta "presentation_s") is shaded, its label written above. With labels,
    units are grouped by preferred class (`preferred_classes`; for "exc", meta "assignments" where
    the learner assigned them), the classes on the y axis and lines between the groups. If the meta
    holds "images" and "image_shape", a top strip shows each presented stimulus, so one can check
    which input drove which burst. Populations not present in the activity are skipped.
    """
    names = [name for name in populations if name in activity.spikes]
    if not names:
        raise ValueError(f"activity has none of the populations {list(populations)}")
    if time_unit not in _TIME_SCALE:
        raise ValueError(f"time_unit must be one of {list(_TIME_SCALE)}")
    scale = _TIME_SCALE[time_unit]
    meta = activity.meta
    onsets = np.asarray(meta.get("onsets", []) if onsets is None else onsets, dtype=np.float64)
    labels = list(meta.get("labels", []) if labels is None else labels)
    t0, t1 = _time_window(activity, names, onsets, t0, t1, float(meta.get("presentation_s", 0)))
    shown = np.flatnonzero((onsets >= t0) & (onsets < t1))
    duration = _presentation_s(meta, onsets, t1)

    images = meta.get("images")
    image_shape = meta.get("image_shape")
    with_strip = images is not None and image_shape is not None and len(shown) > 0
    sizes = [activity.spikes[name].n_units for name in names]
    ratios = [max(0.35, n / max(max(sizes), 1)) * 3 for n in sizes]
    if with_strip:
        ratios = [0.9, *ratios]

    fig = Figure(figsize=(10, 1.2 + 1.6 * len(names) + 0.9 * with_strip), layout="constrained")
    axes = fig.subplots(len(ratios), 1, sharex=True, height_ratios=ratios, squeeze=False)[:, 0]
    top = axes[0]
    if with_strip:
        _draw_stimuli(axes[0], onsets, shown, images, image_shape, duration, scale)
        axes = axes[1:]

    for ax, name in zip(axes, names, strict=True):
        trains = activity.spikes[name]
        classes = _unit_classes(activity, name, onsets, duration, labels)
        order = np.arange(trains.n_units) if classes is None else _sorted_units(classes[0])
        rank = np.empty(trains.n_units, dtype=np.int64)
        rank[order] = np.arange(trains.n_units)  # the row each unit is drawn in
        shown_trains = trains.window(t0, t1)
        ax.scatter(
            shown_trains.times * scale,
            rank[shown_trains.units],
            s=_dot_size(len(shown_trains.times)),
            c="k",
            marker=".",
            linewidths=0,
            rasterized=True,
        )
        ax.set_ylim(-0.5, trains.n_units - 0.5)
        if classes is None:
            ax.set_ylabel(f"{name}\nunit")
        else:
            mark_class_groups(ax, classes[0][order], classes[1])
            ax.set_ylabel(f"{name} units\nby preferred class")
        for onset in onsets[shown]:
            ax.axvspan(onset * scale, (onset + duration) * scale, color="tab:blue", alpha=0.1, lw=0)
    axes[-1].set_xlim(t0 * scale, t1 * scale)
    axes[-1].set_xlabel(f"time ({time_unit})")

    for i in shown:
        if i < len(labels):
            top.annotate(
                str(labels[i]),
                (onsets[i] * scale, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, 3),
                textcoords="offset points",
                fontsize=9,
                color="tab:blue",
                annotation_clip=False,
            )
    if title:
        fig.suptitle(title)
    return fig


def preferred_classes(
    trains: SpikeTrains, onsets: np.ndarray, duration: float, labels: Sequence[object]
) -> np.ndarray:
    """Each unit's preferred class: the label whose presentations ([onset, onset + duration))
    evoke the most spikes on average; SILENT for a unit that fired in none. Classes are numbered
    by their rank among the sorted distinct labels."""
    names, label_index = np.unique(np.asarray(labels)[: len(onsets)], return_inverse=True)
    counts = np.array([trains.counts(t, t + duration) for t in onsets[: len(label_index)]])
    mean = np.array([counts[label_index == k].mean(axis=0) for k in range(len(names))])
    preferred = mean.argmax(axis=0)
    preferred[mean.max(axis=0) == 0] = SILENT
    return preferred


def _unit_classes(
    activity: Activity,
    name: str,
    onsets: np.ndarray,
    duration: float,
    labels: list[object],
) -> tuple[np.ndarray, list[str]] | None:
    """Each unit's class (an index into the class names, SILENT for none) and the names: the
    learner's assignments for "exc" where the meta has them, else preferred classes from the
    presentations; None without either."""
    assigned = activity.meta.get("assignments")
    if name == "exc" and assigned is not None and len(assigned) == activity.spikes[name].n_units:
        assigned = np.asarray(assigned, dtype=np.int64)
        names = np.unique(assigned[assigned != SILENT])
        index = np.where(assigned == SILENT, SILENT, np.searchsorted(names, assigned))
        return index, [str(n) for n in names]
    if not labels or not len(onsets):
        return None
    preferred = preferred_classes(activity.spikes[name], onsets, duration, labels)
    return preferred, [str(n) for n in np.unique(np.asarray(labels)[: len(onsets)])]


def _sorted_units(classes: np.ndarray) -> np.ndarray:
    """Units sorted by class, silent ones last, in index order within a class."""
    return np.lexsort((np.arange(len(classes)), classes, classes == SILENT))


def mark_class_groups(ax, sorted_classes: np.ndarray, names: Sequence[str]) -> None:
    """Class names at the centre of each group of rows, and a line between groups."""
    starts = np.flatnonzero(np.r_[True, sorted_classes[1:] != sorted_classes[:-1]])
    stops = np.r_[starts[1:], len(sorted_classes)]
    for stop in stops[:-1]:
        ax.axhline(stop - 0.5, color="0.6", lw=0.5)
    ax.set_yticks((starts + stops - 1) / 2)
    ticks = ["no class" if c == SILENT else names[c] for c in sorted_classes[starts]]
    ax.set_yticklabels(ticks, fontsize=7)
    ax.tick_params(axis="y", length=0)


def _dot_size(n_spikes: int) -> float:
    """Dots large enough to see when spikes are sparse, small enough not to merge when dense."""
    return float(np.clip(4000 / max(n_spikes, 1), 4, 30))


def _time_window(
    activity: Activity,
    names: list[str],
    onsets: np.ndarray,
    t0: float | None,
    t1: float | None,
    presentation_s: float,
) -> tuple[float, float]:
    """Defaults: from the first onset (or 0) to the last spike of the shown populations or the
    end of the last presentation, whichever is later."""
    if t0 is None:
        t0 = float(onsets[0]) if len(onsets) else 0.0
    if t1 is None:
        last = [
            activity.spikes[name].times.max() for name in names if len(activity.spikes[name].times)
        ]
        t1 = max([t0 + 1e-3, *last, *(onsets[-1:] + presentation_s)]) + 1e-6
    if t1 <= t0:
        raise ValueError(f"empty time window [{t0}, {t1})")
    return t0, t1


def _presentation_s(meta: dict, onsets: np.ndarray, t1: float) -> float:
    """How long each stimulus was on: meta "presentation_s", else the typical gap between onsets."""
    if "presentation_s" in meta:
        return float(meta["presentation_s"])
    gaps = np.diff(onsets)
    return float(np.median(gaps)) if len(gaps) else t1 - (onsets[0] if len(onsets) else 0.0)


def _draw_stimuli(ax, onsets, shown, images, image_shape, duration, scale) -> None:
    """Each stimulus image drawn over [onset, onset + presentation) on a strip without axes."""
    shape = tuple(int(n) for n in image_shape)
    for i in shown:
        if i >= len(images):
            continue
        start = onsets[i] * scale
        ax.imshow(
            np.reshape(np.asarray(images[i], dtype=np.float64), shape),
            cmap="gray_r",
            extent=(start, start + duration * scale, 0, 1),
            aspect="auto",
            interpolation="nearest",
        )
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_ylabel("stimulus")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
