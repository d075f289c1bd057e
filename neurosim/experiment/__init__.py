"""Experiments: spec files expanded into runs, executed by an engine, kept in a store."""

from neurosim.experiment.api import ExperimentOutcome, run_experiment
from neurosim.experiment.engines import EngineReport, Failure, LocalEngine, make_engine
from neurosim.experiment.runner import RunBundle, execute_run
from neurosim.experiment.spec import Experiment, Run, load_spec
from neurosim.experiment.store import RunRecord, Store
from neurosim.experiment.stored_run import StoredRun, load_run, open_run

__all__ = [
    "EngineReport",
    "Experiment",
    "ExperimentOutcome",
    "Failure",
    "LocalEngine",
    "Run",
    "RunBundle",
    "RunRecord",
    "Store",
    "StoredRun",
    "execute_run",
    "load_run",
    "load_spec",
    "make_engine",
    "open_run",
    "run_experiment",
]
