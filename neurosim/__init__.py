"""neurosim: compare learning by biological plasticity with learning by backpropagation."""

__version__ = "0.1.0"
