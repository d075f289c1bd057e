"""Experiments: spec files expanded into runs, executed by an engine, kept in a store."""

from neurosim.experiment.engines import EngineReport, Failure, LocalEngine
from neurosim.experiment.runner import RunResult, execute_run
from neurosim.experiment.spec import Experiment, Run, load_spec
from neurosim.experiment.store import RunRecord, Store
from neurosim.experiment.summary import summary_rows, summary_table

__all__ = [
    "EngineReport",
    "Experiment",
    "Failure",
    "LocalEngine",
    "Run",
    "RunRecord",
    "RunResult",
    "Store",
    "execute_run",
    "load_spec",
    "summary_rows",
    "summary_table",
]
