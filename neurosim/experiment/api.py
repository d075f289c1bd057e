"""`run_experiment`: what `neurosim run` does, as one function a Python user can call.

spec -> store -> engine -> summary -> report. Anything the caller got wrong raises a UserError
before a results folder is created; a crashed run never raises, it is in the outcome.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from neurosim.errors import UserError
from neurosim.experiment.engines import Failure, make_engine
from neurosim.experiment.engines.base import MODELS_ENV
from neurosim.experiment.spec import Run, load_spec
from neurosim.experiment.store import Store
from neurosim.report.summary import summary_table


@dataclasses.dataclass(frozen=True)
class ExperimentOutcome:
    """What one call stored, what failed, and where the summary and report are."""

    experiment: str
    runs: tuple[Run, ...]  # every run the spec asks for, in the spec's order
    stored: tuple[Run, ...]  # those stored now, earlier calls' results included (spec order)
    executed: tuple[Run, ...]  # those this call executed and stored (spec order, not finish order)
    failures: tuple[Failure, ...]
    interrupted: bool  # Ctrl-C: no summary or report; calling again resumes
    summary: str  # the results table of the stored runs ("" when interrupted)
    reports: tuple[Path, ...]  # files the report writer wrote

    @property
    def not_stored(self) -> int:
        return len(self.runs) - len(self.stored)


def use_models(folders: Sequence[Path]) -> None:
    """Put rule folders first on the rule search path of this process and of every engine
    worker: the environment carries them to workers."""
    for folder in folders:
        if not Path(folder).is_dir():
            raise UserError(f"--models {folder}: no such folder")
    if folders:
        rest = [os.environ[MODELS_ENV]] if os.environ.get(MODELS_ENV) else []
        resolved = [str(Path(folder).resolve()) for folder in folders]
        os.environ[MODELS_ENV] = os.pathsep.join([*resolved, *rest])


def write_report(store: Store, experiment: str) -> tuple[Path, ...]:
    """Write <results>/<experiment>/report: the one place that calls the report writer."""
    from neurosim.report.writer import write_report as write  # matplotlib: only when used

    out_dir = store.root / experiment / "report"
    description, sections = store.description(experiment), store.report_sections(experiment)
    paths = write(store, experiment, out_dir, description, sections)
    return (paths.markdown, paths.html)


def run_experiment(
    spec: str | Path,
    *,
    results: str | Path = "results",
    engine: str = "local",
    jobs: int = 1,
    address: str | None = None,
    models: Sequence[Path] = (),
) -> ExperimentOutcome:
    """Run what the spec asks for that `results` does not hold yet, then summarize and report.

    Prints a one-line plan; the engine shows progress on stderr.
    """
    use_models(models)
    executor = make_engine(engine, jobs=jobs, address=address)
    experiment = load_spec(spec)
    runs = experiment.runs()
    store = Store(Path(results))
    store.set_experiment(experiment.name, experiment.description, runs, experiment.report_sections)
    todo = store.pending(runs)
    todo_ids = {run.run_id for run in todo}
    earlier = sum(run.run_id not in todo_ids for run in runs)
    plan = f"{len(runs)} runs, {earlier} already stored, {len(runs) - earlier} to run"
    print(f"{experiment.name}: {plan}")
    report = executor.execute(todo, store)
    done = store.done_ids()
    executed_ids = {run.run_id for run in report.stored}
    summary, reports = "", ()
    if not report.interrupted:
        records = store.runs(experiment.name)
        summary = summary_table(records)
        reports = write_report(store, experiment.name) if records else ()
    return ExperimentOutcome(
        experiment=experiment.name,
        runs=tuple(runs),
        stored=tuple(run for run in runs if run.run_id in done),
        executed=tuple(run for run in runs if run.run_id in executed_ids),
        failures=tuple(report.failures),
        interrupted=report.interrupted,
        summary=summary,
        reports=reports,
    )
