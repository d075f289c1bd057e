"""neurosim: compare learning by biological plasticity with learning by backpropagation."""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """`neurosim.load_run`, imported on first use: the store is not needed to import neurosim."""
    if name == "load_run":
        from neurosim.experiment.stored_run import load_run

        return load_run
    raise AttributeError(f"module 'neurosim' has no attribute '{name}'")
