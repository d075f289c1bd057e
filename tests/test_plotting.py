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
    SweepPanel,
    plot_confusion_matrices,
    plot_learning_curves,
    plot_metric_comparison,
    plot_raster,
    plot_receptive_fields,
    plot_sweep,
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


def test_signed_receptive_fields_are_centred_on_zero_with_a_colour_bar():
    weights = np.random.default_rng(0).normal(0, 1, (9, 64))
    weights[3, 5] = -4.0  # the largest magnitude sets both limits
    fig = plot_receptive_fields(weights, (8, 8), signed=True)
    image = fig.axes[0].get_images()[0]
    assert image.get_cmap().name == "RdBu_r"
    assert image.get_clim() == (-4.0, 4.0)
    assert len(fig.axes) == 2  # the mosaic and its colour bar
    render(fig)


def test_unsigned_receptive_fields_keep_a_sequential_map_per_tile():
    fig = plot_receptive_fields(np.random.default_rng(0).uniform(0, 1, (4, 64)), (8, 8))
    image = fig.axes[0].get_images()[0]
    assert image.get_cmap().name == "hot_r" and image.get_clim() == (0.0, 1.0)
    assert len(fig.axes) == 1


def test_sweep_draws_numeric_sorted_x_with_a_log_axis_over_a_decade():
    panel = SweepPanel(
        "test accuracy (%)",
        {"mlp": [(0.1, [0.8, 0.9]), (0.001, [0.5, 0.6]), (0.01, [0.7])]},
        percent=True,
        chance=0.1,
    )
    fig = plot_sweep([panel, SweepPanel("loss", {"mlp": [(0.1, [1.0]), (0.001, [2.0])]})], "lr")
    ax = fig.axes[0]
    (mean, chance) = ax.lines
    np.testing.assert_allclose(mean.get_xdata(), [0.001, 0.01, 0.1])
    np.testing.assert_allclose(mean.get_ydata(), [55.0, 70.0, 85.0])
    assert chance.get_label() == "chance" and chance.get_linestyle() == "--"
    np.testing.assert_allclose(chance.get_ydata(), [10.0, 10.0])
    assert ax.get_xscale() == "log" and len(fig.axes) == 2
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.001", "0.01", "0.1"]
    assert ax.get_yscale() == "linear" and fig.axes[1].get_yscale() == "linear"  # 1..2: no
    errors = SweepPanel("mse", {"m": [(2, [0.5]), (10, [0.01])]})
    assert plot_sweep([errors], "n").axes[0].get_yscale() == "log"  # 50-fold: log
    dots = sorted(len(c.get_offsets()) for c in ax.collections)
    assert dots == [1, 2, 2]  # one dot per seed
    linear = plot_sweep([SweepPanel("a", {"x": [(50, [1.0]), (200, [2.0]), (100, [3.0])]})], "n")
    assert linear.axes[0].get_xscale() == "linear"  # 50..200 spans less than a decade
    from_zero = SweepPanel("mc", {"esn": [(0.0, [1.0]), (1.0, [2.0]), (16.0, [3.0]), (256, [2.0])]})
    ax = plot_sweep([from_zero], "weight_scale").axes[0]
    assert ax.get_xscale() == "symlog"  # 0 kept, 1..256 spread by decades
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "16", "256"]
    render(fig)


def test_learning_curves_draw_seeds_thin_and_the_mean_on_the_shared_range():
    x = np.array([0, 10, 100, 1000])
    curves = {
        "a": [(x, np.array([0.1, 0.2, 0.4, 0.6])), (x[:3], np.array([0.3, 0.4, 0.6]))],
        "b": [(x, np.array([0.5, 0.5, 0.5, 0.5]))],
    }
    fig = plot_learning_curves(curves, ylabel="accuracy", percent=True, chance=0.1)
    (ax,) = fig.axes
    assert len(ax.lines) == 2 + 1 + 1 + 1  # two seeds + mean for a, mean only for b, chance
    assert ax.lines[-1].get_label() == "chance"
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
        "import sys, neurosim.plotting, neurosim.analysis, neurosim.report.writer;"
        "print(sorted({'torch', 'brian2'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
