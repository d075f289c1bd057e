"""Figures of one run's activity for `neurosim show`: numbers in, matplotlib Figures out.

The statistics (rates, ISIs, PSTHs, correlograms) are computed by `neurosim.analysis`; these
functions only draw them, so each figure reads the same for a Brian2 circuit and a torch model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from neurosim.activity import Activity, SpikeTrains
from neurosim.plotting.raster import SILENT, mark_class_groups
from neurosim.plotting.sequences import signal_colours

Curve = tuple[np.ndarray, np.ndarray]  # (times in s, values)
SHADE = "tab:blue"  # presentation periods and onsets, as in the report's raster


def plot_raster_with_rate(
    activity: Activity,
    populations: Sequence[str],
    t0: float,
    t1: float,
    rates: Mapping[str, Curve],
    *,
    classes: Mapping[str, np.ndarray] | None = None,
    class_names: Sequence[str] = (),
    onsets: Sequence[float] = (),
    labels: Sequence[object] = (),
    presentation_s: float | None = None,
    title: str | None = None,
) -> Figure:
    """Spikes of each population in [t0, t1) (s), the population rates (Hz per unit) below.

    With `classes` (each unit's preferred class: an index into `class_names`, SILENT for none)
    the units that fired are grouped by class, named on the y axis, so a presentation lights up
    one band; units that never fired get no row, or a sparse winner-take-all layer would be a
    blank panel with a few dots squeezed together. Without, every unit in index order.
    Presentation periods [onset, onset + presentation_s) are shaded on every panel, and each
    stimulus label is written above.
    """
    names = [name for name in populations if name in activity.spikes]
    shown_trains = {name: activity.spikes[name].window(t0, t1) for name in names}
    rows = {name: _rows(trains, (classes or {}).get(name)) for name, trains in shown_trains.items()}
    ratios = [max(1.0, min(2.5, len(rows[n]) / 30)) for n in names] + [1.0]
    fig = Figure(figsize=(10, 1.2 + 1.6 * sum(ratios)), layout="constrained")
    axes = fig.subplots(len(ratios), 1, sharex=True, height_ratios=ratios, squeeze=False)[:, 0]
    onsets = np.asarray(onsets, dtype=np.float64)
    shown = np.flatnonzero((onsets >= t0) & (onsets < t1))
    for ax, name in zip(axes, names, strict=False):
        trains, drawn = shown_trains[name], rows[name]
        if classes is not None and name in classes:
            mark_class_groups(ax, np.asarray(classes[name])[drawn], class_names)
            label = f"{name} by class\n({len(drawn)} of {trains.n_units} fired)"
        else:
            label = f"{name} unit"
        row = np.full(trains.n_units, -1, dtype=np.int64)
        row[drawn] = np.arange(len(drawn))
        size = float(np.clip(3000 / max(len(trains.times), 1), 2, 25))
        ax.scatter(
            1e3 * trains.times,
            row[trains.units],
            s=size,
            c="k",
            marker=".",
            linewidths=0,
            rasterized=True,
        )
        ax.set_ylim(-0.5, max(len(drawn), 1) - 0.5)
        ax.set_ylabel(label, fontsize=9)
    rate_ax = axes[-1]
    for k, (name, (t, hz)) in enumerate(rates.items()):
        style = ("-", "--", ":", "-.")[k % 4]  # identical rates stay visible
        rate_ax.plot(1e3 * np.asarray(t), hz, lw=1.3, ls=style, color=f"C{k}", label=name)
    rate_ax.set_ylabel("rate (Hz per unit)", fontsize=9)
    rate_ax.set_ylim(bottom=0)
    rate_ax.grid(alpha=0.3)
    if rates:
        rate_ax.legend(fontsize=8, loc="upper right")
    for ax in axes:
        for i in shown:
            end = onsets[i] + presentation_s if presentation_s else onsets[i]
            if presentation_s:
                ax.axvspan(1e3 * onsets[i], 1e3 * end, color=SHADE, alpha=0.08, lw=0)
            ax.axvline(1e3 * onsets[i], color=SHADE, lw=0.6, alpha=0.6)
    for i in shown:
        if i < len(labels):
            axes[0].annotate(
                str(labels[i]),
                (1e3 * onsets[i], 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, 3),
                textcoords="offset points",
                fontsize=9,
                color=SHADE,
                annotation_clip=False,
            )
    rate_ax.set_xlim(1e3 * t0, 1e3 * t1)
    rate_ax.set_xlabel("time (ms)")
    if title:
        fig.suptitle(title)
    return fig


def plot_isi_histograms(
    isis: Mapping[str, np.ndarray], cvs: Mapping[str, float], title: str | None = None
) -> Figure:
    """Pooled inter-spike intervals of each population, one panel each, with the median CV.

    Intervals that span more than a factor of 20 are binned logarithmically on a log axis, so both
    the refractory edge and the long pauses between presentations are visible.
    """
    names = list(isis)
    fig = Figure(figsize=(4.2 * max(len(names), 1), 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(names), 1)))
    for ax, name in zip(axes, names, strict=False):
        ms = 1e3 * np.asarray(isis[name], dtype=np.float64)
        ms = ms[ms > 0]
        if len(ms) == 0:
            ax.text(0.5, 0.5, "fewer than 2 spikes per unit", ha="center", transform=ax.transAxes)
        elif ms.max() / ms.min() > 20:
            ax.hist(ms, bins=np.geomspace(ms.min(), ms.max(), 40), color="0.35")
            ax.set_xscale("log")
        else:
            ax.hist(ms, bins=40, color="0.35")
        cv = cvs.get(name, float("nan"))
        ax.set_title(f"{name}: {len(ms)} intervals, median CV {cv:.2f}", fontsize=10)
        ax.set_xlabel("inter-spike interval (ms)")
        ax.set_ylabel("intervals")
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def plot_psth(
    t: np.ndarray,
    rates: Mapping[object, np.ndarray],
    counts: Mapping[object, int],
    *,
    population: str,
    presentation_s: float | None = None,
    title: str | None = None,
) -> Figure:
    """Rate against time from stimulus onset, one line per stimulus class.

    `t` (s from onset) is shared by every class; `rates` are Hz per unit, averaged over the
    `counts[class]` presentations of that class. The presentation period is shaded.
    """
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    colors = colormaps["tab10" if len(rates) <= 10 else "tab20"]
    for k, (label, hz) in enumerate(rates.items()):
        color = colors(k)
        ax.plot(1e3 * np.asarray(t), hz, lw=1.5, color=color, label=f"{label} (n={counts[label]})")
    if presentation_s:
        ax.axvspan(0, 1e3 * presentation_s, color=SHADE, alpha=0.08, lw=0, label="stimulus on")
    ax.set_xlabel("time from stimulus onset (ms)")
    ax.set_ylabel(f"{population} rate (Hz per unit)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(title="class (presentations)", fontsize=8, ncols=2 if len(rates) > 5 else 1)
    if title:
        ax.set_title(title, fontsize=11)
    return fig


def plot_cross_correlograms(
    lags_s: np.ndarray,
    correlograms: Sequence[tuple[str, np.ndarray]],
    bin_s: float,
    title: str | None = None,
) -> Figure:
    """Spike counts of the second unit at each lag from a spike of the first, one panel per pair.

    A peak at a positive lag means the second unit tends to fire after the first.
    """
    fig = Figure(figsize=(4.0 * max(len(correlograms), 1), 3.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(correlograms), 1), sharey=True))
    lags_ms = 1e3 * np.asarray(lags_s, dtype=np.float64)
    for ax, (pair, counts) in zip(axes, correlograms, strict=False):
        ax.bar(lags_ms, counts, width=1e3 * bin_s, color="0.35", lw=0)
        ax.axvline(0, color="tab:red", lw=0.8, ls="--")
        ax.set_title(pair, fontsize=10)
        ax.set_xlabel("lag (ms)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("coincident spikes")
    axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    return fig


def plot_weight_matrix(weights: np.ndarray, title: str | None = None) -> Figure:
    """A weight matrix (receiving x sending units) as an image: signed weights on a diverging
    scale centred on zero, non-negative ones on a sequential scale from zero.

    Negative weights smaller than 1% of the largest |w| (rounding around a bound at zero) do not
    make a matrix signed: they would spend half the colour scale on nothing.
    """
    weights = np.asarray(weights, dtype=np.float64)
    rows, columns = weights.shape
    width = float(np.clip(3 + columns / 25, 4.5, 10))
    height = float(np.clip(2 + rows / 25, 2.5, 8))
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.subplots()
    top = float(np.max(np.abs(weights))) or 1.0
    if weights.min() < -0.01 * top:
        cmap, vmin, vmax = "RdBu_r", -top, top
    else:
        cmap, vmin, vmax = "viridis", min(0.0, float(weights.min())), top
    image = ax.imshow(
        weights, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest"
    )
    fig.colorbar(image, ax=ax, label="weight", shrink=0.9)
    ax.set_xlabel(f"sending unit ({columns})")
    ax.set_ylabel(f"receiving unit ({rows})")
    if title:
        ax.set_title(title, fontsize=11)
    return fig


def plot_layer_responses(
    values: np.ndarray,
    labels: Sequence[object] | None,
    *,
    name: str,
    unit: str = "1",
    xlabel: str = "stimulus (index in the probe set)",
    title: str | None = None,
) -> Figure:
    """Every unit (rows) on every stimulus (columns); with labels, beside it each unit's mean
    per class, on the same rows and colour scale.

    With labels, stimuli are sorted by class and units by preferred class (the class with the
    largest mean), so class-selective units form a block diagonal in both panels.
    """
    values = np.asarray(values, dtype=np.float64)
    columns = np.arange(len(values))
    units = np.arange(values.shape[1])
    if labels is not None:
        labels = np.asarray(labels)
        columns = np.argsort(labels, kind="stable")
        units = _units_by_preferred_class(values, labels)
    shown = values[columns][:, units].T
    cmap, norm = signal_colours(name, shown) if shown.min() < 0 else ("magma", None)
    if norm is None:
        norm = Normalize(0.0, float(shown.max()) or 1.0)
    height = float(np.clip(2 + len(units) / 20, 3, 8))
    fig = Figure(figsize=(11 if labels is not None else 9, height), layout="constrained")
    if labels is None:
        ax = fig.subplots()
        axes = [ax]
    else:
        ax, means_ax = axes = fig.subplots(1, 2, sharey=True, width_ratios=[3, 1])
    style = {"aspect": "auto", "cmap": cmap, "norm": norm, "interpolation": "nearest"}
    image = ax.imshow(shown, origin="lower", **style)
    fig.colorbar(image, ax=axes, label=f"{name} ({unit})" if unit != "1" else name, pad=0.01)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{name} unit" + (", sorted by preferred class" if labels is not None else ""))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if labels is not None:
        sorted_labels = labels[columns]
        edges = np.flatnonzero(sorted_labels[1:] != sorted_labels[:-1]) + 0.5
        for edge in edges:  # white on a dark sequential map, black on a diverging one
            ax.axvline(edge, color="w" if cmap == "magma" else "k", lw=1.0)
        starts = np.concatenate([[-0.5], edges])
        ends = np.concatenate([edges, [len(columns) - 0.5]])
        names = [str(v) for v in sorted_labels[(starts + 0.5).astype(int)]]
        ax.set_xticks((starts + ends) / 2, names)
        ax.set_xlabel("stimulus, sorted by class (label at the centre of each block)")
        classes = np.unique(labels)
        means = np.stack([values[labels == c].mean(axis=0) for c in classes])[:, units].T
        means_ax.imshow(means, origin="lower", **style)
        means_ax.set_xticks(range(len(classes)), [str(c) for c in classes])
        means_ax.set_xlabel("class")
        means_ax.set_title("mean per class", fontsize=10)
    if title:
        ax.set_title(title, fontsize=11)
    return fig


def plot_traces(
    signals: Mapping[str, Curve], units: Mapping[str, str], title: str | None
) -> Figure:
    """Few-unit signals (a critic's value, a TD error) as lines against time, one panel each."""
    fig = Figure(figsize=(10, 1.2 + 1.8 * len(signals)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(signals), 1, sharex=True))
    for ax, (name, (t, values)) in zip(axes, signals.items(), strict=True):
        ax.plot(np.asarray(t), values, lw=1.0)
        unit = units.get(name, "1")
        ax.set_ylabel(name if unit == "1" else f"{name} ({unit})", fontsize=9)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time (s)")
    if title:
        fig.suptitle(title)
    return fig


def plot_history(history: Sequence[Mapping[str, float]], title: str | None = None) -> Figure:
    """The learning curve: every logged quantity against training progress, one panel per kind
    (train and validation accuracy share one panel, losses another); a quantity's "_sd" twin is
    a band around it."""
    x_key = next(k for k in HISTORY_X if any(k in row for row in history))
    keys = list(dict.fromkeys(k for row in history for k in row))
    panels: dict[str, list[str]] = {}
    for key in keys:
        if key not in HISTORY_X and key not in HISTORY_SKIP and not _is_sd(key, keys):
            panels.setdefault(key.rsplit("_", 1)[-1], []).append(key)
    n_rows, n_cols = -(-len(panels) // 3), min(len(panels), 3)
    fig = Figure(figsize=(4.6 * n_cols, 3.6 * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for ax, (kind, names) in zip(axes, panels.items(), strict=False):
        for k, key in enumerate(names):
            x, y, sd = (
                np.array([row.get(name, np.nan) for row in history if x_key in row], dtype=float)
                for name in (x_key, key, f"{key}_sd")
            )
            keep = np.isfinite(x) & np.isfinite(y)
            color = f"C{k}"
            marker = "o" if keep.sum() <= 30 else None
            ax.plot(x[keep], y[keep], color=color, marker=marker, ms=3, lw=1.4, label=key)
            if np.isfinite(sd[keep]).any():
                low, high = y[keep] - sd[keep], y[keep] + sd[keep]
                ax.fill_between(x[keep], low, high, color=color, alpha=0.2, lw=0, label="± sd")
        values = np.array([row[k] for row in history for k in names if k in row], dtype=float)
        values = values[np.isfinite(values)]
        if kind in ("loss", "perplexity") and len(values) and values.min() > 0:
            if values.max() / values.min() > 10:  # a log axis for losses that span decades
                ax.set_yscale("log")
        ax.set_xlabel(x_key.replace("_", " "))
        ax.set_ylabel(kind)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


HISTORY_X = ("env_steps", "samples", "episode", "epoch", "step")  # the first one logged
HISTORY_SKIP = ("wall_s", "episodes", "epoch")  # counters and clocks, not learning


def _is_sd(key: str, keys: Sequence[str]) -> bool:
    return key.endswith("_sd") and key.removesuffix("_sd") in keys


def _rows(trains: SpikeTrains, classes: np.ndarray | None) -> np.ndarray:
    """The unit drawn in each raster row: all in index order, or with classes the units that
    fired, by class, silent ones last."""
    if classes is None:
        return np.arange(trains.n_units)
    fired = np.flatnonzero(np.bincount(trains.units, minlength=trains.n_units))
    fired_classes = np.asarray(classes)[fired]
    return fired[np.lexsort((fired_classes, fired_classes == SILENT))]


def _units_by_preferred_class(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Units sorted by the class of their largest mean, strongest first within a class; units
    with no preference (alike for every class: silent ones) last."""
    classes = np.unique(labels)
    means = np.stack([values[labels == c].mean(axis=0) for c in classes])
    preferred = np.where(np.ptp(means, axis=0) > 0, means.argmax(axis=0), len(classes))
    return np.lexsort((-means.max(axis=0), preferred))
