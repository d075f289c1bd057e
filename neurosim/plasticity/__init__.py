"""Plasticity rules as data: one TOML file per rule, found by name on a search path."""

from neurosim.plasticity.loader import RULES, find_rule, load_rule
from neurosim.plasticity.rule import PlasticityRule

__all__ = ["RULES", "PlasticityRule", "find_rule", "load_rule"]
