"""Statistics on numpy arrays and Activity records, shared by spiking and deep learners."""

from importlib import import_module

from neurosim.analysis.classification import confusion_matrix, mean_sd, row_normalise

# The spike statistics import elephant (about a second, all of scipy.stats and sklearn); they
# load on first use so that `neurosim.metrics` and the CLI, which need only the classification
# helpers, start fast.
_SPIKE_STATISTICS = (
    "binned_counts",
    "correlation_matrix",
    "cross_correlogram",
    "fano_factor",
    "firing_rates",
    "instantaneous_rate",
    "isi_cv",
    "isi_cv2",
    "isi_lv",
    "population_summary",
    "psth",
    "recording_span",
    "sttc",
    "synchrony",
    "trial_fano",
    "unit_rates",
    "van_rossum",
    "victor_purpura",
)

__all__ = ["confusion_matrix", "mean_sd", "row_normalise", *_SPIKE_STATISTICS]


def __getattr__(name: str) -> object:
    if name in _SPIKE_STATISTICS:
        return getattr(import_module("neurosim.analysis.spikes"), name)
    raise AttributeError(f"module 'neurosim.analysis' has no attribute '{name}'")
