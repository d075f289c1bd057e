"""load_run and open_run: one stored run found by its names, its id or its folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from report_stores import run_in_process

import neurosim
from neurosim.errors import UserError
from neurosim.experiment.stored_run import StoredRun, load_run, open_run

SPEC = """
name = "tiny"
seeds = [0, 1]
tasks = ["digits"]

[[learner]]
name = "logreg"

[[learner]]
name = "mlp"
label = "mlp-adam"
hidden = [8]
epochs = 1
"""


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("stored")
    run_in_process(SPEC, root)
    return root / "results"


def test_load_run_finds_the_one_run_by_label_and_seed(stored: Path):
    run = neurosim.load_run(stored, label="mlp-adam", seed=1)
    assert (run.learner, run.label, run.seed, run.experiment) == ("mlp", "mlp-adam", 1, "tiny")
    assert run.config["params"]["hidden"] == [8]
    assert run.metrics["test"]["accuracy"] == pytest.approx(
        StoredRun.from_directory(run.directory).metrics["test"]["accuracy"]
    )
    assert run.history[-1]["samples"] > 0


def test_load_run_names_the_candidates_when_several_match(stored: Path):
    with pytest.raises(
        UserError, match=r"2 stored runs match label='logreg'.*seed 0 \(run [0-9a-f]{16}\).*seed 1"
    ):
        load_run(stored, label="logreg")
    with pytest.raises(UserError, match=r"no stored run .* \(experiment/label\): tiny/logreg"):
        load_run(stored, label="nope")


def test_open_run_takes_a_folder_an_id_or_a_unique_prefix(stored: Path, tmp_path: Path):
    run = load_run(stored, label="mlp-adam", seed=0)
    assert open_run(run.run_id, stored).label == "mlp-adam"
    assert open_run(run.run_id[:8], stored).run_id == run.run_id
    assert open_run(run.directory).label == "mlp-adam"  # the label comes from the store's index
    copied = shutil.copytree(run.directory, tmp_path / "copied")
    alone = open_run(copied)
    assert (alone.run_id, alone.label, alone.experiment) == (run.run_id, "mlp", None)
    with pytest.raises(UserError, match="no run 'ffffffff'"):
        open_run("ffffffff", stored)
    with pytest.raises(UserError, match="not a run folder"):
        open_run("abc", tmp_path / "nowhere")


def test_a_runs_activity_and_arrays_are_one_call_away(stored: Path):
    run = load_run(stored, label="mlp-adam", seed=0)
    probe = run.activity("probe")
    hidden = probe.signals["hidden"].values
    assert hidden.shape[1] == 8 and np.all(hidden >= 0)  # ReLU units
    assert run.arrays("receptive_fields")["weights"].shape == (8, 64)
    assert run.arrays("no-such-array") is None
    with pytest.raises(UserError, match="recorded an activity named 'gates'; recorded activities:"):
        run.activity("gates")


def test_show_and_export_take_a_run_id_prefix_from_the_command_line(
    stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from neurosim.cli import main

    run = load_run(stored, label="mlp-adam", seed=0)
    out = tmp_path / "figures"
    assert main(["show", run.run_id[:8], "--results", str(stored), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"digits / mlp-adam seed 0 (run {run.run_id})" in printed
    assert (out / "show.html").exists() and len(list(out.glob("*.png"))) >= 3
    nwb = tmp_path / "run.nwb"
    assert main(["export", str(run.directory), "--nwb", str(nwb)]) == 0
    assert nwb.stat().st_size > 0 and f"-> {nwb}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "ffffffff"], "no run 'ffffffff'"),
        (["show", "RUN", "--stimuli", "0"], "--stimuli 0: give a positive number"),
        (["show", "RUN", "--stimuli", "2", "--repeats", "0"], "--repeats 0: give a positive"),
        (["export", "ffffffff", "--nwb", "x.nwb"], "no run 'ffffffff'"),
        (["show", "RUN", "--out", __file__], "is a file; give a folder"),
    ],
)
def test_command_line_mistakes_are_one_sentence_and_exit_2(
    stored: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
):
    from neurosim.cli import main

    run_id = load_run(stored, label="logreg", seed=0).run_id
    argv = [run_id if arg == "RUN" else arg for arg in argv]
    assert main([*argv, "--results", str(stored)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("neurosim: error: ") and message in error
    assert "Traceback" not in error
