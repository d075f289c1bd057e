"""Spike raster: one panel per population, stimulus onsets and labels, optional stimulus strip."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from neurosim.activity import Activity

_TIME_SCALE = {"s": 1.0, "ms": 1e3}


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

    Onsets and labels default to `activity.meta["onsets"]` / `["labels"]`; each onset gets a
    vertical line and its label written above. If the meta holds "images" and "image_shape", a top
    strip shows each presented stimulus, so one can check which input drove which burst.
    Populations not present in the activity are skipped.
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
    t0, t1 = _time_window(activity, names, onsets, t0, t1)
    shown = np.flatnonzero((onsets >= t0) & (onsets < t1))

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
        _draw_stimuli(axes[0], onsets, shown, images, image_shape, meta, t1, scale)
        axes = axes[1:]

    for ax, name in zip(axes, names, strict=True):
        trains = activity.spikes[name].window(t0, t1)
        ax.scatter(
            trains.times * scale,
            trains.units,
            s=_dot_size(len(trains.times)),
            c="k",
            marker=".",
            linewidths=0,
            rasterized=True,
        )
        ax.set_ylim(-0.5, activity.spikes[name].n_units - 0.5)
        ax.set_ylabel(f"{name}\nunit")
        for onset in onsets[shown]:
            ax.axvline(onset * scale, color="tab:blue", lw=0.6, alpha=0.6)
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


def _dot_size(n_spikes: int) -> float:
    """Dots large enough to see when spikes are sparse, small enough not to merge when dense."""
    return float(np.clip(4000 / max(n_spikes, 1), 4, 30))


def _time_window(
    activity: Activity,
    names: list[str],
    onsets: np.ndarray,
    t0: float | None,
    t1: float | None,
) -> tuple[float, float]:
    """Defaults: from the first onset (or 0) to the last spike of the shown populations."""
    if t0 is None:
        t0 = float(onsets[0]) if len(onsets) else 0.0
    if t1 is None:
        last = [
            activity.spikes[name].times.max() for name in names if len(activity.spikes[name].times)
        ]
        t1 = max([t0 + 1e-3, *last, *(onsets[-1:] if len(onsets) else [])]) + 1e-6
    if t1 <= t0:
        raise ValueError(f"empty time window [{t0}, {t1})")
    return t0, t1


def _draw_stimuli(ax, onsets, shown, images, image_shape, meta, t1, scale) -> None:
    """Each stimulus image drawn over [onset, onset + presentation) on a strip without axes."""
    gaps = np.diff(onsets)
    default = float(np.median(gaps)) if len(gaps) else t1 - onsets[shown[0]]
    duration = float(meta.get("presentation_s", default))
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
