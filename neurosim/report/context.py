"""What every section shares while a report is written: artifacts found by kind, and notes.

An artifact that cannot be read becomes a note at the end of the report instead of stopping it,
so a report always shows what the other runs left.
"""

from __future__ import annotations

import zipfile
from typing import Any

from neurosim.artifacts import ArtifactEntry, Artifacts
from neurosim.report.grouping import RunGroup, RunLike


class ReportContext:
    def __init__(self) -> None:
        self.notes: list[str] = []
        self._artifacts: dict[str, Artifacts] = {}

    def artifacts(self, run: RunLike) -> Artifacts:
        if run.run_id not in self._artifacts:
            self._artifacts[run.run_id] = Artifacts(run.directory / "artifacts")
        return self._artifacts[run.run_id]

    def entries(
        self, run: RunLike, kind: str, name: str | None = None, **meta: Any
    ) -> list[ArtifactEntry]:
        """The run's artifacts of `kind` (and `name`) whose metadata has the given values, in
        recorded order."""
        return self.artifacts(run).entries(kind, name, **meta)

    def has(self, group: RunGroup, kind: str) -> bool:
        return any(self.entries(run, kind) for run in group.runs)

    def load(self, run: RunLike, entry: ArtifactEntry, required: tuple[str, ...] = ()) -> Any:
        """The loaded artifact, or None (with a note) when it cannot be read or lacks one of the
        `required` arrays."""
        try:
            data = Artifacts.load(entry)
            missing = [key for key in required if key not in data]
            if missing:
                raise KeyError(f"missing arrays {', '.join(missing)}")
            return data
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            self.notes.append(
                f"could not read {entry.kind} '{entry.name}' of run {run.run_id}: {error}"
            )
            return None

    def load_first(
        self,
        run: RunLike,
        kind: str,
        name: str | None = None,
        required: tuple[str, ...] = (),
        **meta: Any,
    ) -> Any:
        """The first readable artifact of `kind` (and `name`) with the given metadata, or None."""
        for entry in self.entries(run, kind, name, **meta):
            data = self.load(run, entry, required)
            if data is not None:
                return data
        return None

    def first_with(
        self, group: RunGroup, kind: str, name: str, required: tuple[str, ...] = ()
    ) -> tuple[RunLike, Any] | None:
        """The group's first run (lowest seed) with a readable artifact, and the artifact."""
        for run in group.runs:
            data = self.load_first(run, kind, name, required)
            if data is not None:
                return run, data
        return None
