"""The Ray engine: each run a Ray task in a fresh worker process, on this machine or a cluster.

Ray is an optional extra (`pip install 'neurosim[ray]'`), imported only when this engine is built.
Runs go out as plain tasks (no Tune: the sweep is already expanded into runs) and come back as
RunBundles that the parent commits as each finishes, so cluster nodes need neurosim installed but
no filesystem shared with the machine running `neurosim run`.
"""

from __future__ import annotations

import importlib
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from neurosim.cache import cache_root
from neurosim.errors import UserError
from neurosim.experiment.engines.base import (
    ENGINES,
    EngineReport,
    Outcome,
    Progress,
    claim_cache_slot,
    execute_in_worker,
    registering_modules,
    worker_environment,
)
from neurosim.experiment.spec import Run
from neurosim.experiment.store import Store


def _cache_root() -> Path:
    """Cache slots on the worker's own machine, where the results folder may not be visible: under
    the machine's cache root, $NEUROSIM_CACHE or ~/.cache/neurosim."""
    return cache_root() / "workers"


def _execute_on_worker(run: Run, modules: Sequence[str], search_path: Sequence[str]) -> Outcome:
    """Worker side of a Ray task: its process exits after this one run (max_calls=1), which
    releases the cache slot.

    The parent's sys.path entries that this process lacks go first, where those folders exist
    here, as multiprocessing's spawn does for the local engine: modules found there (a plugin
    folder, the tests) import here too.
    """
    sys.path[:0] = [
        entry for entry in search_path if entry not in sys.path and Path(entry).is_dir()
    ]
    claim_cache_slot(_cache_root())
    return execute_in_worker(run, modules)


def _check_reachable(address: str) -> None:
    """Fail fast where nothing answers at a HOST:PORT address: Ray would retry for minutes."""
    host, colon, port = address.rpartition(":")
    if "://" in address or not colon or not port.isdigit():
        return  # "auto", "ray://...": left to Ray
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise UserError(
            f"--address {address}: nothing answers there ({exc.strerror or exc}); "
            "is the cluster's head started (`ray start --head`)?"
        ) from None


def _import_ray() -> ModuleType:
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise UserError(
            "the ray engine needs Ray, which is not installed here: pip install 'neurosim[ray]'"
        ) from None


@ENGINES.register("ray")
class RayEngine:
    """Runs each Run as a Ray task: on a local Ray instance with `jobs` CPUs, or on the cluster
    at `address` (where the cluster's CPUs set the parallelism)."""

    def __init__(self, jobs: int = 1, address: str | None = None) -> None:
        if jobs < 1:
            raise UserError(f"--jobs must be at least 1, got {jobs}")
        self.jobs = jobs
        self.address = address
        self.ray = _import_ray()
        if address is not None:
            _check_reachable(address)

    def _connect(self) -> bool:
        """Join the cluster or start a private local instance; True when this call did (and so
        must shut it down). A Ray session the caller already opened is used as it is."""
        if self.ray.is_initialized():
            return False
        if self.address is None:
            # "local" starts a new instance even where `ray start` left one running.
            self.ray.init(
                address="local",
                num_cpus=self.jobs,
                include_dashboard=False,
                log_to_driver=False,
            )
            return True
        try:
            self.ray.init(address=self.address, log_to_driver=False)
        except ConnectionError as exc:
            raise UserError(
                f"--address {self.address}: cannot join the Ray cluster there ({exc}); a cluster "
                "with token authentication needs RAY_AUTH_MODE=token and its token here too"
            ) from None
        return True

    def _collect(self, ref: Any) -> Outcome:
        """The worker's outcome, or why Ray could not deliver one."""
        exceptions = self.ray.exceptions
        try:
            return self.ray.get(ref)
        except exceptions.RayTaskError as exc:  # escaped the worker's net: SystemExit, pickling
            return Outcome.from_exception(exc.cause if exc.cause is not None else exc)
        except exceptions.RayError as exc:  # the worker or its node died
            return Outcome.worker_died(exc)

    def execute(self, runs: Sequence[Run], store: Store) -> EngineReport:
        """Submit every run, commit each as it finishes; a failure never stops the others."""
        report = EngineReport()
        if not runs:
            return report
        started = self._connect()
        task = self.ray.remote(
            num_cpus=1,
            max_calls=1,  # a fresh process per run, as the local engine
            max_retries=0,  # a run that killed its worker would only kill the next one
            runtime_env={"env_vars": worker_environment()},
        )(_execute_on_worker)
        in_flight: dict[Any, Run] = {}
        progress = Progress(len(runs))
        try:
            search_path = [os.path.abspath(entry) for entry in sys.path]
            in_flight = {
                task.remote(run, registering_modules(run), search_path): run for run in runs
            }
            while in_flight:
                done, _ = self.ray.wait(list(in_flight), num_returns=1)
                for ref in done:
                    run = in_flight.pop(ref)
                    outcome = self._collect(ref)
                    outcome.settle(store, run, report)
                    progress.finished(run, outcome.bundle is not None)
        except KeyboardInterrupt:
            for ref in in_flight:
                self.ray.cancel(ref, force=True)
            store.remove_tmp_dirs(own=True)
            report.interrupted = True
        finally:
            progress.close()
            if started:
                self.ray.shutdown()
        return report
