"""Reusable figures on numpy arrays and Activity records; matplotlib `Figure` objects, no pyplot.

Building `Figure` directly (instead of `pyplot.figure`) keeps no global state and needs no GUI
backend, so plots work in worker processes, on headless machines and in tests.
"""

from neurosim.plotting.comparison import plot_metric_comparison
from neurosim.plotting.confusion import plot_confusion_matrices
from neurosim.plotting.curves import plot_learning_curves
from neurosim.plotting.plasticity import (
    plot_convergence,
    plot_distal_reward,
    plot_frequency_dependence,
    plot_selectivity,
    plot_stationary_weights,
    plot_stdp_window,
    plot_weight_dependence,
)
from neurosim.plotting.raster import plot_raster
from neurosim.plotting.sweep import SweepPanel, plot_sweep
from neurosim.plotting.weights import plot_receptive_fields, plot_weight_evolution

__all__ = [
    "SweepPanel",
    "plot_confusion_matrices",
    "plot_convergence",
    "plot_distal_reward",
    "plot_frequency_dependence",
    "plot_learning_curves",
    "plot_metric_comparison",
    "plot_raster",
    "plot_receptive_fields",
    "plot_selectivity",
    "plot_stationary_weights",
    "plot_stdp_window",
    "plot_sweep",
    "plot_weight_dependence",
    "plot_weight_evolution",
]
