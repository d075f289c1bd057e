"""Statistics on numpy arrays and Activity records, shared by spiking and deep learners."""

from neurosim.analysis.classification import confusion_matrix, mean_sd, row_normalise
from neurosim.analysis.spikes import (
    binned_counts,
    fano_factor,
    firing_rates,
    isi_cv,
    population_summary,
)

__all__ = [
    "binned_counts",
    "confusion_matrix",
    "fano_factor",
    "firing_rates",
    "isi_cv",
    "mean_sd",
    "population_summary",
    "row_normalise",
]
