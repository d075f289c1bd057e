"""Shared problems: data splits (or environments), their metric and reference numbers."""

from neurosim.registry import TASKS
from neurosim.tasks.base import ClassificationTask, ProbeSet, Split, Task

__all__ = ["TASKS", "ClassificationTask", "ProbeSet", "Split", "Task", "make_task"]


def make_task(name: str, seed: int, **params):
    """Build a registered task for one seed."""
    return TASKS.get(name)(seed=seed, **params)
