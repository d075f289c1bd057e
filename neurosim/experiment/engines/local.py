"""The local engine: a pool of spawned processes on this machine, one fresh process per run.

A fresh process per run isolates Brian2's global device state, the global RNGs and any leaked
memory; spawning (not forking) keeps torch and Brian2 from inheriting the parent's threads and
locks. The parent keeps at most `jobs` runs in flight, so every submitted run is really running:
that makes Ctrl-C exact (nothing queued inside the pool) and tells which runs a dead worker took
down.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

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

# Python 3.10's pool cannot replace workers; there, runs share workers and rely on each backend
# resetting its global state (the Brian2 backend does).
FRESH_PROCESS = {"max_tasks_per_child": 1} if sys.version_info >= (3, 11) else {}


def _init_worker(cache_root: str) -> None:
    """Leave Ctrl-C to the parent, and claim a cache folder no other live worker uses."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    claim_cache_slot(Path(cache_root))


def _collect(future: Future[Outcome]) -> Outcome:
    """The worker's outcome, or why the pool could not deliver one."""
    exc = future.exception()
    if isinstance(exc, BrokenProcessPool):
        return Outcome.worker_died(exc)
    if exc is not None:  # e.g. SystemExit in the learner, or an unpicklable result
        return Outcome.from_exception(exc)
    return future.result()


@contextlib.contextmanager
def _worker_threads() -> Iterator[None]:
    """Set the worker environment in the parent's while the pool lives: workers import numpy
    (and load its BLAS) before any initializer runs."""
    added = {key: value for key, value in worker_environment().items() if key not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop running workers now; concurrent.futures has no public way before Python 3.14."""
    processes = list((pool._processes or {}).values())
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()
    pool.shutdown(wait=True, cancel_futures=True)


@ENGINES.register("local")
class LocalEngine:
    """Runs each Run in a fresh spawned process, `jobs` at a time, storing each as it finishes."""

    def __init__(self, jobs: int = 1, address: str | None = None) -> None:
        if jobs < 1:
            raise UserError(f"--jobs must be at least 1, got {jobs}")
        if address is not None:
            raise UserError(
                "--address names a Ray cluster and needs --engine ray; "
                "the local engine runs on this machine"
            )
        self.jobs = jobs

    def _pool(self, store: Store) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(str(store.root / ".cache"),),
            **FRESH_PROCESS,
        )

    def execute(self, runs: Sequence[Run], store: Store) -> EngineReport:
        """Execute runs (all pending; see Store.pending); a failure never stops the others."""
        report = EngineReport()
        pending = deque(runs)
        in_flight: dict[Future[Outcome], Run] = {}
        pool: ProcessPoolExecutor | None = None
        broken = False
        progress = Progress(len(runs))
        try:
            with _worker_threads():
                while pending or in_flight:
                    pool = pool or self._pool(store)
                    while pending and len(in_flight) < self.jobs and not broken:
                        run = pending.popleft()
                        try:
                            future = pool.submit(execute_in_worker, run, registering_modules(run))
                        except BrokenProcessPool:
                            pending.appendleft(run)
                            broken = True
                        else:
                            in_flight[future] = run
                    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        run = in_flight.pop(future)
                        broken |= isinstance(future.exception(), BrokenProcessPool)
                        outcome = _collect(future)
                        outcome.settle(store, run, report)
                        progress.finished(run, outcome.bundle is not None)
                    if broken and not in_flight:  # start a fresh pool for the rest
                        pool.shutdown(wait=True)
                        pool, broken = None, False
        except KeyboardInterrupt:
            if pool is not None:
                _terminate(pool)
                pool = None
            store.remove_tmp_dirs(own=True)
            report.interrupted = True
        finally:
            progress.close()
            if pool is not None:
                pool.shutdown(wait=True)
        return report
