"""Canonical experiments a plasticity rule is characterized by, one module per family."""
