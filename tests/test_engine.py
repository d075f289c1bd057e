"""The local engine (a fresh worker per run, failures kept apart, kills and Ctrl-C handled), the
result bundle a run hands back, run_experiment from Python and choosing an engine by name."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import fake_learner
import pytest
from fake_learner import read_log

from neurosim.cli import main
from neurosim.experiment import run_experiment
from neurosim.experiment.engines import WORKER_DIED, LocalEngine
from neurosim.experiment.runner import execute_run
from neurosim.experiment.spec import Run
from neurosim.experiment.store import Store

TESTS = Path(__file__).parent


def make_run(seed: int, log: Path, label: str = "fake", **params) -> Run:
    return Run(
        experiment="demo",
        label=label,
        task="toy",
        task_params={"n_per_class": 10, "spread": 0.15},
        learner="fake",
        params={"shift": 0.0, "noise": 0.05, "fail": "no", "log": str(log), **params},
        budget={"epochs": 2, "samples": None, "wall_time_s": None},
        seed=seed,
    )


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_a_bundle_executed_in_one_folder_is_committed_into_a_store_elsewhere(tmp_path: Path):
    run = make_run(0, tmp_path / "log.jsonl")
    bundle = execute_run(run, tmp_path / "worker")
    store = Store(tmp_path / "results")
    store.set_experiment("demo", "", [run])
    directory = store.commit(run, bundle)
    assert files_under(directory) == files_under(tmp_path / "worker") == bundle.files
    assert "artifacts/centroids.npz" in bundle.files
    (record,) = store.runs("demo")
    assert (record.metrics, record.history) == (bundle.metrics, bundle.history)


def test_each_run_gets_a_fresh_single_threaded_worker(tmp_path: Path, monkeypatch):
    for key in fake_learner.ENV:
        monkeypatch.delenv(key, raising=False)
    log = tmp_path / "log.jsonl"
    store = Store(tmp_path / "results")
    runs = [make_run(seed, log) for seed in range(3)]
    report = LocalEngine(jobs=1).execute(runs, store)
    assert report.stored == runs and report.failures == [] and not report.interrupted
    entries = read_log(log)
    assert len({entry["pid"] for entry in entries} | {os.getpid()}) == 4
    cache = str(tmp_path / "results" / ".cache" / "worker-0")
    assert all(
        entry["env"]
        == {
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "NEUROSIM_TORCH_THREADS": "1",
            "NEUROSIM_WORKER_CACHE": cache,
        }
        for entry in entries
    )
    assert "OMP_NUM_THREADS" not in os.environ  # the parent's environment is restored
    # Seeded: a worker computes exactly what the same run computes in this process.
    store.set_experiment("demo", "", runs)
    expected = execute_run(runs[1], tmp_path / "here")
    assert store.runs("demo")[1].metrics == expected.metrics


def test_two_jobs_and_user_thread_settings(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    log = tmp_path / "log.jsonl"
    store = Store(tmp_path / "results")
    runs = [make_run(seed, log) for seed in range(4)]
    report = LocalEngine(jobs=2).execute(runs, store)
    assert sorted(r.seed for r in report.stored) == [0, 1, 2, 3]
    assert store.pending(runs) == []
    assert {entry["env"]["OMP_NUM_THREADS"] for entry in read_log(log)} == {"3"}


def test_failures_are_recorded_and_the_other_runs_still_run(tmp_path: Path):
    log = tmp_path / "log.jsonl"
    store = Store(tmp_path / "results")
    good = [make_run(0, log), make_run(1, log)]
    bad = [make_run(0, log, fail=kind) for kind in ("error", "user", "kill")]
    report = LocalEngine(jobs=1).execute([good[0], *bad, good[1]], store)
    assert report.stored == good
    error, user, kill = report.failures
    assert not error.user_error and error.message == "RuntimeError: fake learner exploded"
    traceback = (error.directory / "error.txt").read_text()
    assert "Traceback" in traceback and "fake_learner.py" in traceback
    assert user.user_error and user.message.startswith("learner 'fake': field 'fail'")
    assert not kill.user_error and kill.message == WORKER_DIED
    assert (kill.directory / "error.txt").exists()
    assert store.pending([*good, *bad]) == bad
    assert len(read_log(log)) == 5


SPEC = """
name = "demo"
seeds = [0, 1, 2]
tasks = ["toy"]
[[learner]]
name = "fake"
log = "{log}"
"""


def start_cli(tmp_path: Path, sleep_seed: int, *options: str) -> subprocess.Popen:
    """`neurosim run` in its own process group (as a terminal runs it); fit() of one seed hangs."""
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(log=tmp_path / "log.jsonl"))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        fake_learner.SLEEP_SEED_ENV: str(sleep_seed),
    }
    code = "import sys, fake_learner; from neurosim.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "run",
            str(spec),
            "--results",
            str(tmp_path / "results"),
            *options,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_executions(log: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while len(read_log(log)) < count:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"neurosim run never reached execution {count}: {process.communicate()}")
        time.sleep(0.05)


def tmp_dirs(results: Path) -> list[Path]:
    return list((results / "runs").glob(".tmp-*"))


def test_a_killed_run_leaves_a_sound_store_and_is_redone(tmp_path: Path):
    log, results = tmp_path / "log.jsonl", tmp_path / "results"
    process = start_cli(tmp_path, sleep_seed=2)
    wait_for_executions(log, 3, process)  # seeds 0 and 1 stored, seed 2 hanging in fit()
    os.killpg(process.pid, signal.SIGKILL)  # the whole job: parent and worker
    process.communicate()
    assert tmp_dirs(results) == []  # the run wrote only into its worker's private folder
    (left,) = (results / ".cache").glob("worker-*/run-*")
    assert (left / "config.json").exists()
    store = Store(results)
    assert sorted(r.seed for r in store.runs("demo")) == [0, 1]
    assert main(["run", str(tmp_path / "spec.toml"), "--results", str(results)]) == 0
    assert [entry["seed"] for entry in read_log(log)] == [0, 1, 2, 2]
    assert sorted(r.seed for r in store.runs("demo")) == [0, 1, 2]
    assert not left.exists()  # removed by the next worker that claimed its cache slot


def test_ctrl_c_stops_workers_cleans_up_and_says_how_to_resume(tmp_path: Path):
    log, results = tmp_path / "log.jsonl", tmp_path / "results"
    process = start_cli(tmp_path, sleep_seed=1)
    wait_for_executions(log, 2, process)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "interrupted: 1 runs stored, 2 not run; rerun the same command to resume" in stderr, (
        stderr
    )
    assert "Traceback" not in stderr
    assert tmp_dirs(results) == []
    with pytest.raises(ProcessLookupError):  # the hanging worker was stopped too
        os.kill(read_log(log)[-1]["pid"], 0)
    assert [r.seed for r in Store(results).runs("demo")] == [0]


def test_run_experiment_from_python(tmp_path: Path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(log=tmp_path / "log.jsonl"))
    results = tmp_path / "results"
    outcome = run_experiment(spec, results=results, jobs=2)
    assert "demo: 3 runs, 0 already stored, 3 to run" in capsys.readouterr().out
    assert outcome.experiment == "demo" and len(outcome.runs) == 3
    assert outcome.stored == outcome.executed == outcome.runs
    assert outcome.failures == () and not outcome.interrupted and outcome.not_stored == 0
    assert "| toy  | fake " in outcome.summary
    assert outcome.reports and all(path.exists() for path in outcome.reports)
    assert {path.parent for path in outcome.reports} == {results / "demo" / "report"}
    again = run_experiment(spec, results=results)
    assert again.executed == () and again.stored == outcome.runs
    assert len(read_log(tmp_path / "log.jsonl")) == 3


def test_the_spec_chooses_report_sections_and_a_rebuild_keeps_them(tmp_path: Path, capsys):
    spec = tmp_path / "spec.toml"
    chosen = '\n[report]\nsections = ["run-ids", "results"]\n'
    spec.write_text(SPEC.format(log=tmp_path / "log.jsonl") + chosen)
    results = tmp_path / "results"
    outcome = run_experiment(spec, results=results, jobs=2)
    page = (results / "demo" / "report" / "report.md").read_text()
    headings = [line for line in page.splitlines() if line.startswith("## ")]
    assert headings == ["## Results", "## Runs"]  # page order, whatever order they were named in
    assert main(["report", str(results)]) == 0
    assert (results / "demo" / "report" / "report.md").read_text() == page
    assert outcome.reports


def assert_one_line_error(capsys, fragment: str) -> None:
    err = capsys.readouterr().err
    assert err.startswith("neurosim: error: ") and err.count("\n") == 1, err
    assert fragment in err and "Traceback" not in err


def test_engine_choice_errors_are_one_line_and_exit_2(tmp_path: Path, capsys, monkeypatch):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(log=tmp_path / "log.jsonl"))
    results = tmp_path / "results"
    run = ["run", str(spec), "--results", str(results)]
    assert main([*run, "--engine", "rey"]) == 2
    assert_one_line_error(capsys, "unknown engine 'rey' (did you mean 'ray'?); known: local, ray")
    assert main([*run, "--address", "head:6379"]) == 2
    assert_one_line_error(capsys, "--address names a Ray cluster and needs --engine ray")
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    assert main([*run, "--engine", "ray"]) == 2
    assert_one_line_error(capsys, "install 'neurosim[ray]'")
    assert not results.exists() and read_log(tmp_path / "log.jsonl") == []
