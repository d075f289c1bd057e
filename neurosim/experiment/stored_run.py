"""One stored run, opened from Python or the command line without filtering `Store.runs()`.

`load_run(results, label=..., seed=...)` finds a run by what an experiment calls it;
`open_run(ref)` takes what a person copies from a report or a terminal: a run folder, a run id or
a unique prefix of one. Either way the run's activity, arrays and metrics are one attribute away.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from neurosim.activity import Activity
from neurosim.artifacts import Artifacts
from neurosim.errors import UserError
from neurosim.experiment.store import INDEX, RunRecord, Store
from neurosim.grid import grid_text


@dataclasses.dataclass(frozen=True)
class StoredRun:
    """What one run stored: its config, metrics, learning curve, timings and artifacts."""

    run_id: str
    directory: Path
    task: str
    learner: str
    label: str
    seed: int
    experiment: str | None
    config: dict[str, Any]
    metrics: dict[str, dict[str, float]]
    history: list[dict[str, float]]
    timings: dict[str, float]

    @property
    def title(self) -> str:
        return f"{self.task} / {self.label} seed {self.seed}"

    @property
    def artifacts(self) -> Artifacts:
        return Artifacts(self.directory / "artifacts")

    def activities(self) -> dict[str, Activity]:
        """Every recorded Activity by its name ("probe", "representations", "gates", ...)."""
        return {entry.name: Artifacts.load(entry) for entry in self.artifacts.entries("activity")}

    def activity(self, name: str | None = None) -> Activity:
        """The Activity called `name`, or the first one recorded."""
        entries = self.artifacts.entries("activity", name)
        if not entries:
            recorded = [entry.name for entry in self.artifacts.entries("activity")]
            wanted = f"an activity named '{name}'" if name else "any activity"
            raise UserError(
                f"run {self.run_id} ({self.title}) recorded {wanted}; "
                f"recorded activities: {', '.join(recorded) or 'none'}"
            )
        return Artifacts.load(entries[0])

    def arrays(self, name: str) -> dict[str, np.ndarray] | None:
        """The arrays recorded under `name` (e.g. "final_state"), or None."""
        entries = [e for e in self.artifacts.entries(name=name) if e.file.endswith(".npz")]
        return Artifacts.load(entries[0]) if entries else None

    def json(self, name: str) -> Any | None:
        """The JSON value recorded under `name` (e.g. "cost"), or None."""
        entries = self.artifacts.entries("json", name)
        return Artifacts.load(entries[0]) if entries else None

    @classmethod
    def from_record(cls, record: RunRecord) -> StoredRun:
        return cls(
            run_id=record.run_id,
            directory=record.directory,
            task=record.task,
            learner=record.learner,
            label=record.label,
            seed=record.seed,
            experiment=record.experiment,
            config=_read_json(record.directory / "config.json", {}),
            metrics=record.metrics,
            history=record.history,
            timings=record.timings,
        )

    @classmethod
    def from_directory(cls, directory: Path) -> StoredRun:
        """A run folder read on its own, e.g. copied out of a results directory."""
        directory = Path(directory)
        config = _read_json(directory / "config.json", None)
        if config is None:
            raise UserError(f"'{directory}' is not a stored run (no config.json)")
        if not (directory / "metrics.json").exists():
            raise UserError(f"run folder '{directory}' holds no results (failed or unfinished run)")
        return cls(
            run_id=config.get("run_id", directory.name),
            directory=directory,
            task=config["task"],
            learner=config["learner"],
            label=config.get("label", config["learner"]),
            seed=int(config["seed"]),
            experiment=None,
            config=config,
            metrics=_read_json(directory / "metrics.json", {}),
            history=_read_json(directory / "history.json", []),
            timings=_read_json(directory / "timings.json", {}),
        )


def _read_json(path: Path, default: Any) -> Any:
    return json.loads(path.read_text()) if path.exists() else default


def load_run(
    results: str | Path = "results",
    *,
    experiment: str | None = None,
    label: str | None = None,
    seed: int | None = None,
    task: str | None = None,
    run_id: str | None = None,
) -> StoredRun:
    """The one stored run that matches every given field (a UserError names the candidates)."""
    store = Store(Path(results), create=False)
    wanted = {"experiment": experiment, "label": label, "seed": seed, "task": task}
    matches = [
        record
        for record in store.runs(experiment)
        if all(value is None or getattr(record, key) == value for key, value in wanted.items())
        and (run_id is None or record.run_id.startswith(run_id))
    ]
    unique = {record.run_id: record for record in matches}
    if len(unique) == 1:
        return StoredRun.from_record(matches[0])
    given = {**wanted, "run_id": run_id}
    asked = ", ".join(f"{key}={value!r}" for key, value in given.items() if value is not None)
    if not unique:
        labels = sorted({f"{r.experiment}/{r.label}" for r in store.runs()})
        raise UserError(
            f"no stored run in '{results}' matches {asked or 'nothing'}; "
            f"stored (experiment/label): {', '.join(labels) or 'none'}"
        )
    candidates = sorted({_name(record) for record in matches})
    shown = ", ".join(candidates[:8]) + (" ..." if len(candidates) > 8 else "")
    raise UserError(
        f"{len(unique)} stored runs match {asked or 'nothing'}: {shown}; "
        "give experiment, label and seed, or run_id"
    )


def _name(record: RunRecord) -> str:
    """How a candidate is listed: experiment/label, its grid point if any, and the seed."""
    grid = record.config.get("grid") or {}
    point = f" [{grid_text(grid)}]" if grid else ""
    return f"{record.experiment}/{record.label}{point} seed {record.seed} (run {record.run_id})"


def open_run(ref: str | Path, results: str | Path = "results") -> StoredRun:
    """A run from a folder path, a run id, or a unique prefix of a run id in `results`."""
    path = Path(ref)
    if path.is_dir():
        return _with_names(StoredRun.from_directory(path), path.parent.parent)
    root = Path(results)
    if not (root / INDEX).exists():
        raise UserError(
            f"'{ref}' is not a run folder, and '{root}' is not a results directory to look it up "
            "in; give the run's folder or --results DIR"
        )
    ids = sorted(p.name for p in (root / "runs").glob(f"{ref}*") if p.is_dir())
    if not ids:
        raise UserError(f"no run '{ref}' in '{root / 'runs'}'")
    if len(ids) > 1:
        raise UserError(f"run id prefix '{ref}' matches {len(ids)} runs: {', '.join(ids[:5])}")
    return _with_names(StoredRun.from_directory(root / "runs" / ids[0]), root)


def _with_names(run: StoredRun, root: Path) -> StoredRun:
    """The run as the experiment that stored it names it (label, experiment), when the folder
    sits in a results directory."""
    if not (root / INDEX).exists():
        return run
    for record in Store(root, create=False).runs():
        if record.run_id == run.run_id:
            return dataclasses.replace(run, label=record.label, experiment=record.experiment)
    return run
