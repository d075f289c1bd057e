"""Name -> factory registries, so spec files and `neurosim list` can name every piece.

Nothing here lists the pieces: each family registers its tasks, learners, metrics and report
sections where it lives, with a decorator (`@LEARNERS.register("mlp")`), and announces the module
that does so as an entry point of the package that ships it (setup.cfg, group
`neurosim.learners` and so on). A third-party package adds a family the same way.
"""

from __future__ import annotations

import difflib
import functools
import importlib
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TypeVar

from neurosim.errors import UserError

T = TypeVar("T")


@functools.cache
def _entry_points(group: str) -> dict[str, EntryPoint]:
    return {entry.name: entry for entry in entry_points(group=group)}


class Registry(Generic[T]):
    """A registry of named factories, filled lazily from entry points or by direct registration.

    Lazy loading keeps `import neurosim` light: torch and brian2 are only imported when a learner
    that needs them is actually built. An entry point names a module whose import registers the
    item (`digits = neurosim.tasks.digits`) or the object itself (`toy = mypkg.tasks:make_toy`).
    """

    def __init__(self, kind: str, group: str):
        self.kind = kind
        self.group = group
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            self._items[name] = obj
            return obj

        return decorator

    def names(self) -> list[str]:
        return sorted(set(_entry_points(self.group)) | set(self._items))

    def get(self, name: str) -> T:
        if name not in self._items and name in _entry_points(self.group):
            entry = _entry_points(self.group)[name]
            if entry.attr:
                self._items[name] = entry.load()
            else:
                importlib.import_module(entry.module)
        if name not in self._items:
            close = difflib.get_close_matches(name, self.names(), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise UserError(f"unknown {self.kind} '{name}'{hint}; known: {', '.join(self.names())}")
        return self._items[name]


TASKS: Registry = Registry("task", "neurosim.tasks")
LEARNERS: Registry = Registry("learner", "neurosim.learners")
