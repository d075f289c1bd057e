"""The worked example of docs/adding-a-family.md really plugs in: a family in a package of its own
(docs/examples/neurosim_regression), announced only by its entry points, runs end to end.

The package is made visible as pip would install it (its modules plus a .dist-info folder with
its entry points) and driven through the `neurosim` command in a fresh process, as a user would.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).parents[1] / "docs" / "examples" / "neurosim_regression"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the example package as an installed distribution."""
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(EXAMPLE / "neurosim_regression", site / "neurosim_regression")
    setup = configparser.ConfigParser()
    setup.read(EXAMPLE / "setup.cfg")
    info = site / "neurosim_regression-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: neurosim-regression\n")
    with (info / "entry_points.txt").open("w") as out:
        for group, lines in setup["options.entry_points"].items():
            out.write(f"[{group}]\n{lines.strip()}\n\n")
    return site


def neurosim(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "neurosim.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_family_is_listed(site: Path, tmp_path: Path):
    listing = neurosim(site, "list", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "sine" in listing.stdout and "ridge-rbf" in listing.stdout


def test_its_experiment_runs_and_reports(site: Path, tmp_path: Path):
    results = tmp_path / "results"
    run = neurosim(
        site,
        "run",
        str(EXAMPLE / "experiment.toml"),
        "--results",
        str(results),
        "--jobs",
        "2",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "r2" in run.stdout  # the family's headline metrics reach the summary table
    report = results / "sine-capacity" / "report"
    assert (report / "report.md").exists() and (report / "report.html").exists()
    stored = json.loads(neurosim(site, "report", str(results), "--json", cwd=tmp_path).stdout)
    mse = {}
    for record in stored:
        mse.setdefault(record["params"]["n_centers"], []).append(record["metrics"]["test"]["mse"])
    assert sorted(mse) == [2, 5, 10, 20, 40] and all(len(v) == 3 for v in mse.values())
    noise_floor = 0.1**2  # the task's noise variance: no regressor can go below it
    assert np.mean(mse[2]) > 10 * noise_floor  # two bumps cannot draw a sine period
    assert noise_floor < np.mean(mse[10]) < 1.5 * noise_floor
