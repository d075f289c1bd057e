"""Characterization figures: the expected panels and lines, None (diverged) as a gap, renders."""

import io

import numpy as np
from matplotlib.figure import Figure

from neurosim.plotting import (
    plot_convergence,
    plot_distal_reward,
    plot_frequency_dependence,
    plot_selectivity,
    plot_stdp_window,
)


def render(fig: Figure) -> None:
    fig.savefig(io.BytesIO(), format="png", dpi=40)


def test_stdp_window_draws_points_and_one_fit_line_per_fitted_side():
    dt = [-20.0, -10.0, 10.0, 20.0]
    dw = [-0.002, -0.003, 0.003, 0.002]
    fit = {"a_plus": 0.005, "tau_plus_ms": 20.0, "a_minus": None, "tau_minus_ms": None}
    fig = plot_stdp_window(dt, dw, fit)
    (ax,) = fig.axes
    assert len(ax.lines) == 2 + 1 + 1  # two zero lines, the points, the dt > 0 fit
    render(fig)


def test_frequency_dependence_is_on_a_log_axis_with_both_offsets():
    fig = plot_frequency_dependence([0.1, 1, 50], [0.0, 0.1, 0.7], [-0.3, -0.3, 0.7])
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    assert len(ax.get_legend().get_texts()) == 2
    render(fig)


def test_convergence_has_one_panel_per_quantity_and_logs_a_divergence():
    t = [0.0, 1.0, 2.0, 3.0]
    fig = plot_convergence(
        {"cosine": (t, [0.1, 0.9, 0.99, 1.0]), "norm": (t, [1.0, 1e3, 1e6, None])},
        references={"cosine": 1.0},
    )
    assert len(fig.axes) == 2
    assert fig.axes[0].get_yscale() == "linear" and fig.axes[1].get_yscale() == "log"
    assert np.isnan(fig.axes[1].lines[0].get_ydata()[-1])
    render(fig)


def test_selectivity_draws_one_line_per_pattern_and_names_the_index():
    fig = plot_selectivity([0, 1, 2], [[0.2, 1, 3], [0.2, 0.1, 0], [0.2, 0.1, 0]], index=0.97)
    (ax,) = fig.axes
    assert len(ax.lines) == 3 and "0.97" in ax.get_title()
    render(fig)


def test_distal_reward_shows_weights_rewards_and_the_final_distribution():
    fig = plot_distal_reward(
        [0, 1, 2], [1, 2, 4], [1, 0.9, 0.8], reward_times_s=[0.5, 1.5], final_others=[0.5, 1.0]
    )
    left, right = fig.axes
    assert len(left.lines) == 3  # rewarded, others, reward ticks
    assert len(right.patches) == 20 and len(right.lines) == 1
    render(fig)
