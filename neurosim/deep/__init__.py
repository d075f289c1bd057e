"""Backprop learners in torch; the only package in neurosim that imports torch."""
