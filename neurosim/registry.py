"""Name -> factory registries, so spec files and `neurosim list` can name every piece."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from typing import Generic, TypeVar

from neurosim.errors import UserError

T = TypeVar("T")


class Registry(Generic[T]):
    """A registry of named factories, filled lazily by importing the modules that register them.

    Lazy loading keeps `import neurosim` light: torch and brian2 are only imported when a learner
    that needs them is actually built.
    """

    def __init__(self, kind: str, modules: dict[str, str]):
        self.kind = kind
        self._modules = modules  # name -> module that registers it
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            self._items[name] = obj
            return obj

        return decorator

    def names(self) -> list[str]:
        return sorted(set(self._modules) | set(self._items))

    def get(self, name: str) -> T:
        if name not in self._items and name in self._modules:
            importlib.import_module(self._modules[name])
        if name not in self._items:
            close = difflib.get_close_matches(name, self.names(), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise UserError(f"unknown {self.kind} '{name}'{hint}; known: {', '.join(self.names())}")
        return self._items[name]


TASKS: Registry = Registry(
    "task",
    {
        "digits": "neurosim.tasks.digits",
        "cartpole": "neurosim.tasks.control",
        "acrobot": "neurosim.tasks.control",
        "mountaincar": "neurosim.tasks.control",
    },
)
LEARNERS: Registry = Registry(
    "learner",
    {
        "stdp-wta": "neurosim.spiking.stdp_wta",
        "mlp": "neurosim.deep.mlp",
        "logreg": "neurosim.baselines.logreg",
        "random-policy": "neurosim.baselines.random_policy",
        "dqn": "neurosim.deep.dqn",
        "ppo": "neurosim.deep.ppo",
        "reinforce": "neurosim.deep.reinforce",
        "rstdp-agent": "neurosim.spiking.rstdp_agent",
    },
)
