"""Plasticity rules as data: one TOML file per rule, found by name on a search path."""

from neurosim.plasticity.discovery import (
    BUILTIN_DIR,
    RULES,
    RuleFile,
    RuleFolder,
    discover,
    find_rule,
    search_path,
    skipped_files,
)
from neurosim.plasticity.loader import load_rule
from neurosim.plasticity.rule import KNOWN_SIGNALS, PlasticityRule

__all__ = [
    "BUILTIN_DIR",
    "KNOWN_SIGNALS",
    "RULES",
    "PlasticityRule",
    "RuleFile",
    "RuleFolder",
    "discover",
    "find_rule",
    "load_rule",
    "search_path",
    "skipped_files",
]
