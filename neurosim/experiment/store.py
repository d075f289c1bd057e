"""The embedded results store: an SQLite index plus one folder per run, safe to interrupt.

Layout under the root (default ./results):

    index.sqlite            runs (run_id -> status, metrics, timings, error) and
                            members (experiment, label, run_id -> how the experiment shows it)
    runs/<run_id>/          config.json metrics.json history.json timings.json artifacts/
                            (error.txt instead of results for a failed run)
    runs/.tmp-<id>-<pid>/   a run being written by process <pid>; removed at the next open once
                            that process is gone
    .cache/worker-<n>/      per-worker slots of the local engine: the private folder of the run
                            executing there, see engines/base.py

Workers never write here: a run executes in a private folder of its worker and comes back as a
RunBundle (files as bytes), which the parent writes into runs/.tmp-<id>-<pid>/ and renames into
place. A run is stored when its folder has been renamed into place *and* its index row says
'done': renames are atomic, and the row is committed after the rename, so a crash at any point
leaves either a stored run or one that is simply run again. Results are keyed by run id (the
config hash), so experiments that ask for the same config share one result; the members table
says which runs (and labels) the last `neurosim run` of each experiment asked for. Only the
parent process writes the store.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from neurosim.errors import UserError
from neurosim.experiment.runner import RunBundle
from neurosim.experiment.spec import Run

INDEX = "index.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    learner TEXT NOT NULL,
    seed INTEGER NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    metrics TEXT,
    timings TEXT,
    error TEXT,
    finished_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
    experiment TEXT NOT NULL,
    label TEXT NOT NULL,
    run_id TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (experiment, label, run_id)
);
CREATE TABLE IF NOT EXISTS experiments (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    report_sections TEXT  -- JSON list of the spec's [report] sections; NULL: every section
);
"""
_TMP = re.compile(r"^\.tmp-[0-9a-f]+-(\d+)(-old)?$")


@dataclasses.dataclass
class RunRecord:
    """A stored run as an experiment shows it; artifacts are in `directory / "artifacts"`."""

    run_id: str
    experiment: str
    task: str
    learner: str
    label: str
    seed: int
    config: dict[str, Any]  # Run.config() plus "versions"
    metrics: dict[str, dict[str, float]]  # split -> metric -> value
    timings: dict[str, float]
    history: list[dict[str, float]]
    directory: Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class Store:
    """Runs on disk, indexed in SQLite; see the module docstring for the layout."""

    def __init__(self, root: Path, *, create: bool = True) -> None:
        self.root = Path(root)
        self.index = self.root / INDEX
        self.run_root = self.root / "runs"
        if not self.index.exists():
            if not create:
                if not self.root.is_dir():
                    raise UserError(f"results directory '{self.root}' does not exist")
                raise UserError(f"'{self.root}' is not a neurosim results directory (no {INDEX})")
            if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
                raise UserError(
                    f"'{self.root}' exists but is not a neurosim results directory (no {INDEX}); "
                    "choose a new or empty directory"
                )
        self.run_root.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers (reports) never block the writer
            db.executescript(SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(experiments)")}
            if "report_sections" not in columns:  # a store written before specs chose sections
                db.execute("ALTER TABLE experiments ADD COLUMN report_sections TEXT")
        self.remove_tmp_dirs()

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """One short transaction; the timeout waits out another process's write."""
        connection = sqlite3.connect(self.index, timeout=30)
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    def directory(self, run_id: str) -> Path:
        return self.run_root / run_id

    # --- reading -----------------------------------------------------------------------------

    def done_ids(self) -> set[str]:
        """Ids of stored runs: index row 'done' and folder present."""
        with self._db() as db:
            rows = db.execute("SELECT run_id FROM runs WHERE status = 'done'").fetchall()
        return {run_id for (run_id,) in rows if self.directory(run_id).is_dir()}

    def is_done(self, run_id: str) -> bool:
        return run_id in self.done_ids()

    def pending(self, runs: Sequence[Run]) -> list[Run]:
        """The runs still to execute, once per run id, in order."""
        skip = self.done_ids()
        pending = []
        for run in runs:
            if run.run_id not in skip:
                pending.append(run)
                skip.add(run.run_id)
        return pending

    def runs(self, experiment: str | None = None) -> list[RunRecord]:
        """Stored runs of one experiment (or all), sorted by (experiment, label, seed)."""
        query = (
            "SELECT m.experiment, m.label, m.run_id, m.config, r.task, r.learner, r.seed,"
            " r.metrics, r.timings FROM members AS m JOIN runs AS r ON r.run_id = m.run_id"
            " WHERE r.status = 'done'"
        )
        args: tuple[str, ...] = ()
        if experiment is not None:
            query += " AND m.experiment = ?"
            args = (experiment,)
        with self._db() as db:
            rows = db.execute(query, args).fetchall()
        records = []
        for experiment_name, label, run_id, config, task, learner, seed, metrics, timings in rows:
            directory = self.directory(run_id)
            if not directory.is_dir():
                continue
            saved = json.loads((directory / "config.json").read_text())
            records.append(
                RunRecord(
                    run_id=run_id,
                    experiment=experiment_name,
                    task=task,
                    learner=learner,
                    label=label,
                    seed=seed,
                    config={**json.loads(config), "versions": saved.get("versions", {})},
                    metrics=json.loads(metrics),
                    timings=json.loads(timings),
                    history=json.loads((directory / "history.json").read_text()),
                    directory=directory,
                )
            )
        return sorted(records, key=lambda r: (r.experiment, r.label, r.seed, r.run_id))

    def experiments(self) -> list[str]:
        """Experiments with at least one stored run."""
        with self._db() as db:
            rows = db.execute(
                "SELECT m.experiment, m.run_id FROM members AS m JOIN runs AS r"
                " ON r.run_id = m.run_id WHERE r.status = 'done'"
            ).fetchall()
        return sorted({name for name, run_id in rows if self.directory(run_id).is_dir()})

    def description(self, experiment: str) -> str:
        with self._db() as db:
            row = db.execute(
                "SELECT description FROM experiments WHERE name = ?", (experiment,)
            ).fetchone()
        return row[0] if row else ""

    def report_sections(self, experiment: str) -> tuple[str, ...] | None:
        """The report sections the experiment's spec chose; None: every section that applies."""
        with self._db() as db:
            row = db.execute(
                "SELECT report_sections FROM experiments WHERE name = ?", (experiment,)
            ).fetchone()
        return tuple(json.loads(row[0])) if row and row[0] is not None else None

    # --- writing (parent process only) -------------------------------------------------------

    def set_experiment(
        self,
        name: str,
        description: str,
        runs: Sequence[Run],
        report_sections: Sequence[str] | None = None,
    ) -> None:
        """Record which runs the experiment now consists of (and the report sections its spec
        chose), replacing what an older spec said."""
        sections = None if report_sections is None else json.dumps(list(report_sections))
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO experiments (name, description, report_sections)"
                " VALUES (?, ?, ?)",
                (name, description, sections),
            )
            db.execute("DELETE FROM members WHERE experiment = ?", (name,))
            db.executemany(
                "INSERT OR REPLACE INTO members (experiment, label, run_id, config)"
                " VALUES (?, ?, ?, ?)",
                [(name, run.label, run.run_id, json.dumps(run.config())) for run in runs],
            )

    def commit(self, run: Run, bundle: RunBundle) -> Path:
        """Write the bundle's files, move them into place, then mark the run done."""
        directory = self._install(run, bundle.files)
        self._record(run, "done", metrics=bundle.metrics, timings=bundle.timings)
        return directory

    def record_failure(
        self, run: Run, message: str, details: str, files: Mapping[str, bytes] | None = None
    ) -> Path:
        """Keep what a failed run left (`files`) plus error.txt (`details`, e.g. a traceback)."""
        directory = self._install(run, {**(files or {}), "error.txt": details.encode()})
        self._record(run, "failed", error=message)
        return directory

    def remove_tmp_dirs(self, *, own: bool = False) -> None:
        """Remove tmp folders left by processes that are gone (and ours, with own=True)."""
        for entry in self.run_root.glob(".tmp-*"):
            match = _TMP.match(entry.name)
            pid = int(match[1]) if match else None
            mine = pid == os.getpid()
            if pid is None or (own and mine) or (not mine and not _alive(pid)):
                shutil.rmtree(entry, ignore_errors=True)

    def _install(self, run: Run, files: Mapping[str, bytes]) -> Path:
        """Write files into a tmp folder and rename it into runs/<run_id>, replacing a folder
        that was never marked done."""
        tmp = self.run_root / f".tmp-{run.run_id}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for name, content in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        directory = self.directory(run.run_id)
        if directory.exists():
            old = self.run_root / f".tmp-{run.run_id}-{os.getpid()}-old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(directory, old)
            shutil.rmtree(old)
        os.replace(tmp, directory)
        return directory

    def _record(
        self,
        run: Run,
        status: str,
        *,
        metrics: dict[str, dict[str, float]] | None = None,
        timings: dict[str, float] | None = None,
        error: str | None = None,
    ) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO runs (run_id, task, learner, seed, config, status,"
                " metrics, timings, error, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.run_id,
                    run.task,
                    run.learner,
                    run.seed,
                    json.dumps(run.identity()),
                    status,
                    None if metrics is None else json.dumps(metrics),
                    None if timings is None else json.dumps(timings),
                    error,
                    datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                ),
            )
