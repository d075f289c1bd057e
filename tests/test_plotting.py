"""Each plot returns a Figure with the expected panels and one artist per datum, and renders."""

import io
import subprocess
import sys

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from neurosim.activity import Activity, SpikeTrains
from neurosim.plotting import (
    plot_confusion_matrices,
    plot_learning_curves,
    plot_metric_comparison,
    plot_raster,
    plot_receptive_fields,
)


def render(fig: Figure) -> None:
    fig.savefig(io.BytesIO(), format="png", dpi=40)


def digit_activity(with_images: bool) -> Activity:
    rng = np.random.default_rng(0)
    exc = SpikeTrains(np.sort(rng.uniform(0, 5, 400)), rng.integers(0, 20, 400), n_units=20)
    inh = SpikeTrains(np.sort(rng.uniform(0, 5, 150)), rng.integers(0, 5, 150), n_units=5)
    meta = {"onsets": [0.0, 0.5, 1.0, 1.5, 2.0], "labels": [3, 1, 4, 1, 5], "presentation_s": 0.35}
    if with_images:
        meta |= {"images": rng.uniform(0, 1, (5, 64)).tolist(), "image_shape": [8, 8]}
    return Activity(spikes={"exc": exc, "inh": inh}, meta=meta)


def test_raster_draws_one_dot_per_spike_in_the_window():
    activity = digit_activity(with_images=False)
    fig = plot_raster(activity, ("exc", "inh", "absent"), t0=0.4, t1=1.6)
    assert len(fig.axes) == 2
    for ax, name in zip(fig.axes, ("exc", "inh"), strict=True):
        (dots,) = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert len(dots.get_offsets()) == len(activity.spikes[name].window(0.4, 1.6).times)
    assert [t.get_text() for t in fig.axes[0].texts] == ["1", "4", "1"]  # onsets 0.5, 1.0, 1.5
    render(fig)


def test_raster_with_images_adds_a_stimulus_strip():
    fig = plot_raster(digit_activity(with_images=True), t0=0.0, t1=1.2)
    assert len(fig.axes) == 3
    assert len(fig.axes[0].get_images()) == 3
    render(fig)


def test_receptive_fields_are_one_mosaic_with_a_label_per_unit():
    weights = np.random.default_rng(0).uniform(0, 1, (30, 64))
    fig = plot_receptive_fields(weights, (8, 8), max_units=25, assignments=np.arange(30) % 10)
    (ax,) = fig.axes
    (image,) = ax.get_images()
    assert isinstance(image, AxesImage)
    assert image.get_array().shape == (5 * 9 - 1, 5 * 9 - 1)  # 5 x 5 tiles, 1-pixel gaps
    assert sorted(int(t.get_text()) for t in ax.texts) == sorted(np.arange(25) % 10)
    render(fig)


def test_learning_curves_draw_seeds_thin_and_the_mean_on_the_shared_range():
    x = np.array([0, 10, 100, 1000])
    curves = {
        "a": [(x, np.array([0.1, 0.2, 0.4, 0.6])), (x[:3], np.array([0.3, 0.4, 0.6]))],
        "b": [(x, np.array([0.5, 0.5, 0.5, 0.5]))],
    }
    fig = plot_learning_curves(curves, ylabel="accuracy", percent=True)
    (ax,) = fig.axes
    assert len(ax.lines) == 2 + 1 + 1  # two seeds + mean for a, mean only for b
    mean_a = ax.lines[2]
    np.testing.assert_allclose(mean_a.get_xdata(), [10, 100])  # x=0 dropped on log axis
    np.testing.assert_allclose(mean_a.get_ydata(), [0.3, 0.5])
    render(fig)


def test_metric_comparison_has_a_bar_and_dots_per_label_and_metric():
    values = {"mlp": [0.96, 0.98], "stdp": [0.80, 0.84, 0.82]}
    fig = plot_metric_comparison(
        values, "accuracy", references={"logreg": 0.967}, extra={"probe": {"stdp": [0.9, 0.88]}}
    )
    (ax,) = fig.axes
    assert len(ax.patches) == 3
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sorted(len(d.get_offsets()) for d in dots) == [2, 2, 3]
    texts = [t.get_text() for t in ax.texts]
    assert "97.0 ± 1.4" in texts and "82.0 ± 2.0" in texts and "logreg" in texts
    render(fig)


def test_confusion_matrices_one_panel_per_label_annotated():
    matrices = {"a": np.array([[8, 2], [0, 10]]), "b": np.eye(2, dtype=int) * 5}
    fig = plot_confusion_matrices(matrices)
    heatmaps = [ax for ax in fig.axes if ax.get_images()]
    assert len(heatmaps) == 2
    assert [t.get_text() for t in heatmaps[0].texts] == ["80", "20", "100"]
    np.testing.assert_allclose(heatmaps[1].get_images()[0].get_array(), np.eye(2))
    render(fig)


def test_plotting_analysis_and_report_stay_off_the_backends():
    code = (
        "import sys, neurosim.plotting, neurosim.analysis, neurosim.experiment.report;"
        "print(sorted({'torch', 'brian2'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
