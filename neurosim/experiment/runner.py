"""Execute one Run into a folder: the same steps for every learner, spiking or deep.

The runner only writes into the folder it is given; the Store decides where that folder lives
and when it counts as stored, so a run that dies half-way never looks finished.
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

from neurosim.experiment.spec import Run
from neurosim.learner import Budget, Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks import make_task

VERSIONED = ("neurosim", "numpy", "brian2", "torch")


@dataclasses.dataclass(frozen=True)
class RunResult:
    metrics: dict[str, dict[str, float]]  # split -> metric -> value
    timings: dict[str, float]
    history: list[dict[str, float]]


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


def execute_run(run: Run, run_dir: Path) -> RunResult:
    """Build the task and learner, fit, evaluate and write config/metrics/history/timings."""
    start = time.perf_counter()
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(
        run_dir / "config.json",
        {"run_id": run.run_id, **run.identity(), "versions": package_versions()},
    )
    task = make_task(run.task, run.seed, **run.task_params)
    learner = LEARNERS.get(run.learner)(**run.params)
    # Learners seed torch/brian2 themselves from task.seed; this covers code using the globals.
    random.seed(run.seed)
    np.random.seed(run.seed)
    recorder = Recorder(run_dir / "artifacts")

    fit_start = time.perf_counter()
    history = learner.fit(task, Budget(**run.budget), recorder)
    evaluate_start = time.perf_counter()
    metrics = {
        split: {key: float(value) for key, value in learner.evaluate(task, split).items()}
        for split in task.evaluation_splits
    }
    if task.kind == "classification" and "test" in task.splits:
        recorder.arrays(
            "predictions", y_true=task.split("test").y, y_pred=learner.predict(task, "test")
        )
    end = time.perf_counter()

    timings = {
        "fit_s": evaluate_start - fit_start,
        "evaluate_s": end - evaluate_start,
        "total_s": end - start,
    }
    write_json(run_dir / "metrics.json", metrics)
    write_json(run_dir / "history.json", history.to_json())
    write_json(run_dir / "timings.json", timings)
    return RunResult(metrics=metrics, timings=timings, history=history.to_json())
