"""Who executes runs, chosen by name: "local" (a process pool on this machine) or "ray"."""

from neurosim.experiment.engines.base import (
    ENGINES,
    WORKER_DIED,
    Engine,
    EngineReport,
    Failure,
    Outcome,
    execute_in_worker,
    make_engine,
)
from neurosim.experiment.engines.local import LocalEngine
from neurosim.experiment.engines.ray import RayEngine  # Ray itself is imported only when built

__all__ = [
    "ENGINES",
    "WORKER_DIED",
    "Engine",
    "EngineReport",
    "Failure",
    "LocalEngine",
    "Outcome",
    "RayEngine",
    "execute_in_worker",
    "make_engine",
]
