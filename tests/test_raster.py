"""The raster groups units by preferred class and shades presentation periods."""

import io

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.patches import Rectangle

from neurosim.activity import Activity, SpikeTrains
from neurosim.plotting import plot_raster
from neurosim.plotting.raster import SILENT, preferred_classes

ONSETS = [0.0, 0.5, 1.0, 1.5]
LABELS = [3, 5, 3, 5]


def selective_activity(assignments: list[int] | None = None) -> Activity:
    """Unit 0 fires for 5s, unit 1 for 3s, unit 2 never, unit 3 for both (twice for 3s)."""
    spikes = [(0.6, 0), (1.6, 0), (0.1, 1), (1.1, 1), (0.2, 3), (0.3, 3), (0.7, 3)]
    times, units = zip(*spikes, strict=True)
    meta = {"onsets": ONSETS, "labels": LABELS, "presentation_s": 0.35}
    if assignments is not None:
        meta["assignments"] = assignments
    return Activity(spikes={"exc": SpikeTrains(times, units, n_units=4)}, meta=meta)


def test_preferred_class_is_the_label_with_most_spikes_per_presentation():
    trains = selective_activity().spikes["exc"]
    preferred = preferred_classes(trains, np.array(ONSETS), 0.35, LABELS)
    # classes are indices into the sorted labels [3, 5]; unit 3: 1 spike per 3, 0.5 per 5
    assert preferred.tolist() == [1, 0, SILENT, 0]


def dot_rows(fig) -> dict[float, float]:
    """Spike time -> the row it is drawn in, on the raster panel."""
    (dots,) = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    return {round(t, 3): y for t, y in dots.get_offsets()}


def test_units_are_drawn_grouped_by_preferred_class_with_silent_units_last():
    fig = plot_raster(selective_activity(), ("exc",), t0=0.0, t1=2.0, time_unit="s")
    rows = dot_rows(fig)
    # class 3: units 1 and 3 (rows 0, 1); class 5: unit 0 (row 2); silent unit 2 (row 3)
    assert (rows[0.1], rows[0.2], rows[0.6]) == (0, 1, 2)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["3", "5", "no class"]
    assert ax.get_yticks().tolist() == [0.5, 2.0, 3.0]
    fig.savefig(io.BytesIO(), format="png", dpi=40)


def test_the_learners_assignments_order_the_excitatory_units():
    fig = plot_raster(
        selective_activity(assignments=[5, 5, -1, 3]), ("exc",), t0=0.0, t1=2.0, time_unit="s"
    )
    rows = dot_rows(fig)
    assert (rows[0.2], rows[0.6], rows[0.1]) == (0, 1, 2)  # unit 3, then units 0 and 1
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["3", "5", "no class"]


def test_each_presentation_in_the_window_is_shaded_for_its_duration():
    fig = plot_raster(selective_activity(), ("exc",), t0=0.4, t1=2.0, time_unit="s")
    bands = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert sorted((round(b.get_x(), 3), round(b.get_width(), 3)) for b in bands) == [
        (0.5, 0.35),
        (1.0, 0.35),
        (1.5, 0.35),
    ]
