"""Report sections as registered pieces: what each needs, which runs it applies to, its blocks.

A family adds a section by registering it in its own module (`@section(...)`); the writer never
names a family. `order` places a section on the page: 100 results tables, 200 comparison
figures, 300 learning curves, 400 what the networks learned and did, 900 costs and run ids.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Sequence

from neurosim.errors import UserError
from neurosim.registry import Registry
from neurosim.report.context import ReportContext
from neurosim.report.document import Block
from neurosim.report.grouping import RunGroup

Build = Callable[[ReportContext, Sequence[RunGroup]], list[Block]]


@dataclasses.dataclass(frozen=True)
class ReportSection:
    """A section of the report: `build` gets only the groups it applies to, and returns blocks
    (none: the section is left out).

    `applies` picks the groups (e.g. those with a "test" split); `needs` names artifact kinds of
    which a group must have at least one to be drawn (empty: no artifacts needed).
    """

    name: str
    title: str
    order: int
    build: Build
    applies: Callable[[RunGroup], bool] = lambda group: True
    needs: tuple[str, ...] = ()

    def groups(self, context: ReportContext, groups: Sequence[RunGroup]) -> list[RunGroup]:
        chosen = [g for g in groups if self.applies(g)]
        if self.needs:
            chosen = [g for g in chosen if any(context.has(g, kind) for kind in self.needs)]
        return chosen


SECTIONS: Registry[ReportSection] = Registry("report section", "neurosim.report_sections")


def all_sections() -> dict[str, ReportSection]:
    """Every registered section by name.

    An entry point of group `neurosim.report_sections` may name a section (`results = module`)
    or just a module that registers several (`regression = pkg.sections`): each announced
    module is imported, and every section it registered counts.
    """
    found: dict[str, ReportSection] = {}
    for _ in range(2):  # the first pass imports the modules, the second sees what they added
        for name in SECTIONS.names():
            with contextlib.suppress(UserError):  # a module's name, not a section's
                found[name] = SECTIONS.get(name)
    return found


def section(
    name: str,
    title: str,
    order: int,
    applies: Callable[[RunGroup], bool] | None = None,
    needs: tuple[str, ...] = (),
) -> Callable[[Build], Build]:
    """Register the decorated `build(context, groups) -> blocks` as section `name`."""

    def decorator(build: Build) -> Build:
        SECTIONS.register(name)(
            ReportSection(name, title, order, build, applies or (lambda group: True), needs)
        )
        return build

    return decorator


def in_family(family: str) -> Callable[[RunGroup], bool]:
    """Applies to groups whose task belongs to `family` (e.g. a plug-in family's sections)."""
    return lambda group: group.family == family
