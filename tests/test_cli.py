"""The `neurosim` command end to end, on the fake learner."""

from __future__ import annotations

import json
from pathlib import Path

import fake_learner  # noqa: F401  (registers the "fake" learner and "toy" task)
import pytest
from fake_learner import read_log

from neurosim import cli
from neurosim.cli import main
from neurosim.experiment import api

SPEC = """
name = "demo"
description = "Two fake learners."
seeds = [0, 1]
tasks = ["toy"]

[[learner]]
name = "fake"
label = "near"
log = "{log}"

[[learner]]
name = "fake"
label = "far"
shift = 0.2
log = "{log}"
"""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "demo.toml"
    path.write_text(SPEC.format(log=tmp_path / "log.jsonl"))
    return path


@pytest.fixture
def no_report(monkeypatch):
    """Skip the (slow, separately tested) report writer; record who asked for it."""
    calls = []

    def write_report(store, experiment):
        calls.append((experiment, store.description(experiment)))
        return ()

    monkeypatch.setattr(api, "write_report", write_report)
    monkeypatch.setattr(cli, "write_report", write_report)
    return calls


def run_json(results: Path, capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["report", str(results), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_run_prints_a_table_writes_a_report_and_resumes(tmp_path: Path, spec: Path, capsys):
    results = tmp_path / "results"
    assert main(["run", str(spec), "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert "demo: 4 runs, 0 already stored, 4 to run" in out
    header = next(line for line in out.splitlines() if line.startswith("| task"))
    assert header.split("|")[1:-1] == [
        " task ",
        " learner ",
        " seeds ",
        " test accuracy (%) ",
        " test probe_accuracy (%) ",
        " fit (s) ",
    ]
    assert "| toy  | far " in out and "| toy  | near " in out
    assert f"report: {results / 'demo' / 'report' / 'report.md'}" in out
    assert (results / "demo" / "report" / "report.md").exists()
    assert len(read_log(tmp_path / "log.jsonl")) == 4

    assert main(["run", str(spec), "--results", str(results)]) == 0
    assert "demo: 4 runs, 4 already stored, 0 to run" in capsys.readouterr().out
    assert len(read_log(tmp_path / "log.jsonl")) == 4  # nothing executed again


def test_jobs_two_and_report_json(tmp_path: Path, spec: Path, capsys, no_report):
    results = tmp_path / "results"
    assert main(["run", str(spec), "--results", str(results), "--jobs", "2"]) == 0
    assert no_report == [("demo", "Two fake learners.")]
    records = run_json(results, capsys)
    assert [(r["label"], r["seed"]) for r in records] == [
        ("far", 0),
        ("far", 1),
        ("near", 0),
        ("near", 1),
    ]
    first = records[0]
    assert {"run_id", "experiment", "task", "learner", "params", "budget", "timings"} <= set(first)
    assert first["params"]["shift"] == 0.2 and first["budget"]["epochs"] == 2
    assert 0 <= first["metrics"]["test"]["accuracy"] <= 1
    assert first["family"] == "classification"
    assert first["metric_info"]["accuracy"] == {  # from the classification family's declaration
        "description": "fraction of labels predicted right",
        "unit": "%",
        "higher_is_better": True,
    }
    assert "probe_accuracy" in first["metrics"]["test"]

    capsys.readouterr()
    assert main(["report", str(results), "--experiment", "demo"]) == 0
    assert "## demo" in capsys.readouterr().out
    assert no_report[-1] == ("demo", "Two fake learners.")


def test_same_spec_twice_gives_identical_metrics(tmp_path: Path, spec: Path, capsys, no_report):
    outcomes = []
    for name in ("first", "second"):
        assert main(["run", str(spec), "--results", str(tmp_path / name)]) == 0
        outcomes.append([(r["run_id"], r["metrics"]) for r in run_json(tmp_path / name, capsys)])
    assert outcomes[0] == outcomes[1]


def assert_one_line_error(capsys, fragment: str) -> None:
    err = capsys.readouterr().err
    assert err.startswith("neurosim: error: ") and err.count("\n") == 1, err
    assert fragment in err and "Traceback" not in err


def test_user_errors_are_one_line_and_exit_2(tmp_path: Path, spec: Path, capsys):
    spec.write_text(spec.read_text().replace("shift = 0.2", "shfit = 0.2"))
    assert main(["run", str(spec), "--results", str(tmp_path / "results")]) == 2
    assert_one_line_error(capsys, "learner 'far': unknown field 'shfit' (did you mean 'shift'?)")
    assert not (tmp_path / "results").exists()

    assert main(["run", str(tmp_path / "missing.toml")]) == 2
    assert_one_line_error(capsys, "missing.toml: no such spec file")

    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert_one_line_error(capsys, "does not exist")

    assert main(["report", str(tmp_path)]) == 2
    assert_one_line_error(capsys, "is not a neurosim results directory")

    spec.write_text(spec.read_text().replace("shfit", "shift"))
    assert main(["run", str(spec), "--jobs", "0"]) == 2
    assert_one_line_error(capsys, "--jobs must be at least 1")


def test_failed_runs_are_named_with_their_traceback(tmp_path: Path, spec: Path, capsys, no_report):
    spec.write_text(spec.read_text().replace("shift = 0.2", 'shift = 0.2\nfail = "error"'))
    results = tmp_path / "results"
    assert main(["run", str(spec), "--results", str(results)]) == 1
    captured = capsys.readouterr()
    failed = [line for line in captured.err.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 2 and "toy / far seed 0" in failed[0]
    assert "RuntimeError: fake learner exploded; traceback in " in failed[0]
    assert Path(failed[0].split("traceback in ")[1]).read_text().startswith("Traceback")
    assert "| toy  | near " in captured.out and "far" not in captured.out  # stored runs shown
    assert [r["label"] for r in run_json(results, capsys)] == ["near", "near"]

    spec.write_text(spec.read_text().replace('fail = "error"', 'fail = "user"'))
    assert main(["run", str(spec), "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert "neurosim: error: toy / far seed 1" in err and "Traceback" not in err


def test_list_names_tasks_learners_engines_and_sections(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "toy" in out and "digits" in out and "fake" in out and "mlp" in out
    assert "engines:  local, ray" in out and "learning-curves" in out
    assert out.count("\n") == 5


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert "usage: neurosim" in capsys.readouterr().err
