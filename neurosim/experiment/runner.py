"""Execute one Run in a folder and hand back everything it produced as one value.

The runner only writes into the folder it is given and packs that folder into a `RunBundle`:
the bundle, not the folder, goes back to the parent, which commits it to the Store. So a worker
needs no filesystem shared with the parent, and a run that dies half-way never looks finished.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import random
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from neurosim.analysis.cost import with_wall_time
from neurosim.experiment.spec import Run
from neurosim.learner import Budget, Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks import make_task

VERSIONED = ("neurosim", "numpy", "brian2", "torch")


@dataclasses.dataclass(frozen=True)
class RunBundle:
    """A finished run as values: what the Store writes under runs/<run_id>/ and indexes."""

    metrics: dict[str, dict[str, float]]  # split -> metric -> value
    timings: dict[str, float]
    history: list[dict[str, float]]
    files: dict[str, bytes]  # every file of the run folder: relative POSIX path -> content


def package_versions() -> dict[str, str]:
    """Versions of what produced a result, read from metadata so brian2/torch are not imported."""
    versions = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")


def pack(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative POSIX path -> bytes); nothing if it does not exist."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def execute_run(run: Run, workdir: Path) -> RunBundle:
    """Build the task and learner, fit, evaluate, record; write and pack the run's files."""
    start = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    write_json(
        workdir / "config.json",
        {"run_id": run.run_id, **run.identity(), "versions": package_versions()},
    )
    task = make_task(run.task, run.seed, **run.task_params)
    learner = LEARNERS.get(run.learner)(**run.params)
    # Learners seed torch/brian2 themselves from task.seed; this covers code using the globals.
    random.seed(run.seed)
    np.random.seed(run.seed)
    recorder = Recorder(workdir / "artifacts")

    fit_start = time.perf_counter()
    history = learner.fit(task, Budget(**run.budget), recorder)
    evaluate_start = time.perf_counter()
    metrics = {
        split: {key: float(value) for key, value in learner.evaluate(task, split).items()}
        for split in task.evaluation_splits
    }
    learner.record(task, recorder)
    end = time.perf_counter()

    timings = {
        "fit_s": evaluate_start - fit_start,
        "evaluate_s": end - evaluate_start,
        "total_s": end - start,
    }
    cost = learner.cost(task)
    if cost is not None:
        recorder.json("cost", with_wall_time(cost, timings, history.to_json()))
    write_json(workdir / "metrics.json", metrics)
    write_json(workdir / "history.json", history.to_json())
    write_json(workdir / "timings.json", timings)
    return RunBundle(metrics, timings, history.to_json(), pack(workdir))
