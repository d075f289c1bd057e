"""The Ray engine on the fake learner: the local engine's metrics, failures stored, user errors
named; one Ray session (seconds to start) serves the whole module."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import fake_learner
import pytest
from fake_learner import read_log
from test_engine import SPEC, make_run, start_cli, tmp_dirs, wait_for_executions

from neurosim.cli import main
from neurosim.experiment.engines import WORKER_DIED, LocalEngine, RayEngine
from neurosim.experiment.store import Store

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local Ray instance with 2 CPUs; its workers keep their cache slots in a tmp folder."""
    cache = tmp_path_factory.mktemp("neurosim-cache")
    with pytest.MonkeyPatch.context() as mp:
        for key in fake_learner.ENV:
            mp.delenv(key, raising=False)
        mp.setenv("NEUROSIM_CACHE", str(cache))  # inherited by the workers Ray starts
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            yield cache
        finally:
            ray.shutdown()


def test_ray_runs_give_the_local_engines_results(tmp_path: Path, ray_cache: Path):
    log = tmp_path / "log.jsonl"
    runs = [make_run(seed, log) for seed in range(2)]
    stores = {name: Store(tmp_path / name) for name in ("ray", "local")}
    by_ray = RayEngine(jobs=2).execute(runs, stores["ray"])
    LocalEngine(jobs=2).execute(runs, stores["local"])
    assert sorted(r.seed for r in by_ray.stored) == [0, 1] and by_ray.failures == []
    assert ray.is_initialized()  # a session the caller opened stays open
    for run in runs:
        ray_dir, local_dir = (store.directory(run.run_id) for store in stores.values())
        assert (ray_dir / "metrics.json").read_bytes() == (local_dir / "metrics.json").read_bytes()
        for name in ("artifacts/centroids.npz", "artifacts/predictions_test.npz"):
            assert (ray_dir / name).read_bytes() == (local_dir / name).read_bytes()
    entries = read_log(log)[:2]  # the Ray runs
    assert len({entry["pid"] for entry in entries} | {os.getpid()}) == 3
    for entry in entries:
        cache = Path(entry["env"].pop("NEUROSIM_WORKER_CACHE"))
        assert cache.parent == ray_cache / "workers" and cache.name.startswith("worker-")
        assert entry["env"] == dict.fromkeys(
            ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NEUROSIM_TORCH_THREADS"), "1"
        )
    assert list(ray_cache.glob("workers/worker-*/run-*")) == []  # private folders removed


def test_ray_failures_are_stored_and_the_other_runs_still_run(tmp_path: Path, ray_cache: Path):
    log = tmp_path / "log.jsonl"
    store = Store(tmp_path / "results")
    good = make_run(0, log)
    bad = [make_run(0, log, fail=kind) for kind in ("error", "kill")]
    report = RayEngine(jobs=2).execute([good, *bad], store)
    assert report.stored == [good]
    by_kind = {failure.run.params["fail"]: failure for failure in report.failures}
    error, kill = by_kind["error"], by_kind["kill"]
    assert not error.user_error and error.message == "RuntimeError: fake learner exploded"
    assert "fake_learner.py" in (error.directory / "error.txt").read_text()
    assert (error.directory / "config.json").exists()  # what the run left comes back too
    assert not kill.user_error and kill.message == WORKER_DIED
    assert store.pending([good, *bad]) == bad
    assert len(read_log(log)) == 3  # no run was retried


def test_cli_on_ray_names_a_user_error_in_a_run(tmp_path: Path, ray_cache: Path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(log=tmp_path / "log.jsonl") + 'fail = "user"\n')
    command = ["run", str(spec), "--results", str(tmp_path / "results"), "--engine", "ray"]
    assert main([*command, "--jobs", "2"]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("neurosim: error: ")]
    assert len(lines) == 3 and "Traceback" not in err
    # one line per seed, in the order the runs finished
    assert sorted(line.split(" (run ")[0] for line in lines) == [
        f"neurosim: error: toy / fake seed {seed}" for seed in (0, 1, 2)
    ]
    assert all("learner 'fake': field 'fail' asked for a user error" in line for line in lines)


def test_ctrl_c_cancels_ray_tasks_and_says_how_to_resume(tmp_path: Path):
    """`neurosim run --engine ray` starts (and stops) its own Ray instance."""
    log, results = tmp_path / "log.jsonl", tmp_path / "results"
    process = start_cli(tmp_path, 1, "--engine", "ray")
    wait_for_executions(log, 2, process)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted: 1 runs stored, 2 not run; rerun the same command to resume" in stderr
    assert "Traceback" not in stderr
    assert tmp_dirs(results) == []
    with pytest.raises(ProcessLookupError):  # the hanging worker was stopped too
        os.kill(read_log(log)[-1]["pid"], 0)
    assert [r.seed for r in Store(results).runs("demo")] == [0]


def test_an_address_where_nothing_answers_is_a_user_error(tmp_path: Path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(log=tmp_path / "log.jsonl"))
    results = tmp_path / "results"
    command = ["run", str(spec), "--results", str(results), "--engine", "ray"]
    assert main([*command, "--address", "127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("neurosim: error: --address 127.0.0.1:1: nothing answers there")
    assert err.count("\n") == 1 and not results.exists()
