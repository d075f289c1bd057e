"""The store: atomic commits, what counts as done, leftovers from killed runs, failures."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import fake_learner  # noqa: F401  (registers the "fake" learner and "toy" task)
import pytest

from neurosim.errors import UserError
from neurosim.experiment.runner import execute_run, pack
from neurosim.experiment.spec import Run
from neurosim.experiment.store import Store


def make_run(seed: int = 0, label: str = "fake", experiment: str = "demo", **params) -> Run:
    return Run(
        experiment=experiment,
        label=label,
        task="toy",
        task_params={"n_per_class": 10, "spread": 0.15},
        learner="fake",
        params={"shift": 0.0, "noise": 0.05, "fail": "no", "log": "", **params},
        budget={"epochs": 2, "samples": None, "wall_time_s": None},
        seed=seed,
    )


def store_run(store: Store, run: Run) -> Path:
    with tempfile.TemporaryDirectory() as work:
        return store.commit(run, execute_run(run, Path(work)))


def test_commit_is_atomic_and_records_everything(tmp_path: Path):
    store = Store(tmp_path / "results")
    run = make_run()
    store.set_experiment("demo", "a description", [run])
    result = execute_run(run, tmp_path / "work")
    assert not store.is_done(run.run_id) and not store.directory(run.run_id).exists()
    assert store.runs() == []
    directory = store.commit(run, result)
    assert list(store.run_root.glob(".tmp-*")) == []
    assert directory == tmp_path / "results" / "runs" / run.run_id
    assert store.is_done(run.run_id)
    assert {p.name for p in directory.iterdir()} == {
        "config.json",
        "metrics.json",
        "history.json",
        "timings.json",
        "artifacts",
    }
    assert {p.name for p in (directory / "artifacts").iterdir()} == {
        "manifest.json",
        "centroids.npz",
        "predictions_test.npz",  # recorded by Learner.record, after evaluation
    }
    (record,) = store.runs("demo")
    assert (record.run_id, record.experiment, record.task, record.learner) == (
        run.run_id,
        "demo",
        "toy",
        "fake",
    )
    assert record.metrics == result.metrics and set(record.metrics) == {"val", "test"}
    assert record.timings.keys() == {"fit_s", "evaluate_s", "total_s"}
    assert record.history == result.history and len(record.history) == 2
    assert record.config["params"] == run.params and "numpy" in record.config["versions"]
    assert json.loads((directory / "config.json").read_text())["run_id"] == run.run_id
    assert store.experiments() == ["demo"] and store.description("demo") == "a description"


def test_runs_are_sorted_and_filtered_by_experiment(tmp_path: Path):
    store = Store(tmp_path)
    runs = [make_run(1, "b"), make_run(0, "b", shift=0.1), make_run(0, "a", shift=0.2)]
    other = make_run(5, "z", experiment="other", shift=0.3)
    store.set_experiment("demo", "", runs)
    store.set_experiment("other", "", [other])
    for run in [*runs, other]:
        store_run(store, run)
    assert [(r.label, r.seed) for r in store.runs("demo")] == [("a", 0), ("b", 0), ("b", 1)]
    assert [r.experiment for r in store.runs()] == ["demo"] * 3 + ["other"]
    assert store.experiments() == ["demo", "other"]


def test_identical_configs_share_one_result(tmp_path: Path):
    store = Store(tmp_path)
    run, alias = make_run(label="x"), make_run(label="y", experiment="elsewhere")
    assert run.run_id == alias.run_id
    other = make_run(seed=1)
    assert store.pending([run, other, dataclasses.replace(run, label="z")]) == [run, other]
    store.set_experiment("demo", "", [run])
    store.set_experiment("elsewhere", "", [alias])
    store_run(store, run)
    assert store.pending([alias]) == []
    assert [r.label for r in store.runs("elsewhere")] == ["y"]


def test_a_new_spec_replaces_the_experiments_members(tmp_path: Path):
    store = Store(tmp_path)
    old, new = make_run(shift=0.1), make_run(shift=0.2)
    store.set_experiment("demo", "", [old])
    store_run(store, old)
    store.set_experiment("demo", "", [new])
    assert store.runs("demo") == []  # the old result is kept on disk, but no longer shown
    assert store.is_done(old.run_id)


def test_leftover_tmp_dirs_are_removed_only_when_their_process_is_gone(tmp_path: Path):
    store = Store(tmp_path)
    dead = store.run_root / ".tmp-abc123-999999999"  # above any real pid
    alive = store.run_root / f".tmp-abc123-{os.getppid()}"
    mine = store.run_root / f".tmp-abc123-{os.getpid()}"  # e.g. a commit that Ctrl-C cut short
    for folder in (dead, alive, mine):
        folder.mkdir()
        (folder / "metrics.json").write_text("{}")
    Store(tmp_path)
    assert not dead.exists() and alive.exists() and mine.exists()
    store.remove_tmp_dirs(own=True)
    assert not mine.exists() and alive.exists()


def test_folder_without_row_or_row_without_folder_is_not_done(tmp_path: Path):
    store = Store(tmp_path)
    run, other = make_run(0), make_run(1)
    store.set_experiment("demo", "", [run, other])
    # A folder renamed into place, but killed before its row was committed:
    orphan = store.directory(run.run_id)
    execute_run(run, orphan)
    assert not store.is_done(run.run_id)
    assert store.pending([run]) == [run]
    store_run(store, run)  # rerunning replaces the orphan folder
    assert store.is_done(run.run_id)
    # A row whose folder was deleted by hand:
    store_run(store, other)
    shutil.rmtree(store.directory(other.run_id))
    assert not store.is_done(other.run_id)
    assert [r.seed for r in store.runs("demo")] == [0]


def test_a_failed_run_keeps_its_traceback_and_loses_nothing(tmp_path: Path):
    store = Store(tmp_path)
    good, bad = make_run(0), make_run(1, fail="error")
    store.set_experiment("demo", "", [good, bad])
    store_run(store, good)
    before = store.runs("demo")
    work = tmp_path / "work"
    with pytest.raises(RuntimeError):
        execute_run(bad, work)
    files = pack(work)
    directory = store.record_failure(bad, "RuntimeError: boom", "Traceback ...\nboom\n", files)
    assert (directory / "error.txt").read_text() == "Traceback ...\nboom\n"
    assert (directory / "config.json").exists()  # written before the learner ran
    assert store.runs("demo") == before
    assert store.pending([good, bad]) == [bad]  # failed runs are retried
    with sqlite3.connect(store.index) as db:
        status, error = db.execute(
            "SELECT status, error FROM runs WHERE run_id = ?", (bad.run_id,)
        ).fetchone()
    assert (status, error) == ("failed", "RuntimeError: boom")


def test_refuses_directories_that_are_not_results(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not a neurosim results directory"):
        Store(tmp_path)
    with pytest.raises(UserError, match="no index.sqlite"):
        Store(tmp_path, create=False)
    with pytest.raises(UserError, match="does not exist"):
        Store(tmp_path / "missing", create=False)
    assert not (tmp_path / "runs").exists()


def test_a_store_written_before_report_sections_opens_and_gains_them(tmp_path: Path):
    root = tmp_path / "results"
    root.mkdir()
    with sqlite3.connect(root / "index.sqlite") as db:  # the experiments table as it was
        db.execute("CREATE TABLE experiments (name TEXT PRIMARY KEY, description TEXT NOT NULL)")
        db.execute("INSERT INTO experiments VALUES ('old', 'kept')")
    store = Store(root)
    assert store.description("old") == "kept" and store.report_sections("old") is None
    store.set_experiment("new", "", [], ["results", "run-ids"])
    assert store.report_sections("new") == ("results", "run-ids")
