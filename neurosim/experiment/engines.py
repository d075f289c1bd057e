"""Who executes runs: a local pool of spawned processes, one fresh process per run.

A fresh process per run isolates Brian2's global device state, the global RNGs and any leaked
memory; spawning (not forking) keeps torch and Brian2 from inheriting the parent's threads and
locks. The parent keeps at most `jobs` runs in flight, so every submitted run is really running:
that makes Ctrl-C exact (nothing queued inside the pool) and tells which runs a dead worker took
down.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import importlib
import itertools
import multiprocessing
import os
import signal
import sys
import traceback
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import IO

from tqdm import tqdm

from neurosim.errors import UserError
from neurosim.experiment.runner import RunResult, execute_run
from neurosim.experiment.spec import Run
from neurosim.experiment.store import Store
from neurosim.registry import LEARNERS, TASKS

# One thread per worker: `jobs` workers share the machine. Set in the parent's environment while
# the pool lives, because workers import numpy (and load its BLAS) before any initializer runs.
WORKER_THREADS = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NEUROSIM_TORCH_THREADS": "1",
}
# Python 3.10's pool cannot replace workers; there, runs share workers and rely on each backend
# resetting its global state (the Brian2 backend does).
FRESH_PROCESS = {"max_tasks_per_child": 1} if sys.version_info >= (3, 11) else {}
WORKER_DIED = (
    "the worker process died (killed by a signal, e.g. out of memory, or brought down with "
    "another run's worker that died)"
)

_cache_lock: IO[str] | None = None  # held for the worker's lifetime, released by the OS at exit


@dataclasses.dataclass(frozen=True)
class Failure:
    run: Run
    message: str
    user_error: bool  # a UserError: the message says it all, no traceback needed
    directory: Path  # holds error.txt


@dataclasses.dataclass
class EngineReport:
    stored: list[Run] = dataclasses.field(default_factory=list)
    failures: list[Failure] = dataclasses.field(default_factory=list)
    interrupted: bool = False


@dataclasses.dataclass(frozen=True)
class _Outcome:
    """What a worker hands back: a result, or why there is none."""

    result: RunResult | None = None
    message: str = ""
    details: str = ""
    user_error: bool = False

    @classmethod
    def from_exception(cls, exc: BaseException) -> _Outcome:
        return cls(
            message=str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}",
            details="".join(traceback.format_exception(exc)),
            user_error=isinstance(exc, UserError),
        )


def _init_worker(cache_root: str) -> None:
    """Leave Ctrl-C to the parent, and claim a cache folder no other live worker uses."""
    global _cache_lock
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    root = Path(cache_root)
    root.mkdir(parents=True, exist_ok=True)
    # A slot per live worker rather than per pid: a fresh process per run would otherwise
    # recompile Brian2's Cython code for every run.
    for slot in itertools.count():
        handle = open(root / f"worker-{slot}.lock", "w")  # kept open: the lock is the claim
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _cache_lock = handle
        cache = root / f"worker-{slot}"
        cache.mkdir(exist_ok=True)
        os.environ["NEUROSIM_WORKER_CACHE"] = str(cache)
        return


def _work(run: Run, tmp: Path, modules: tuple[str, ...]) -> _Outcome:
    """Worker side: import what registers the task and learner, then execute the run."""
    try:
        for module in modules:
            importlib.import_module(module)
        return _Outcome(result=execute_run(run, tmp))
    except Exception as exc:
        return _Outcome.from_exception(exc)


def _registering_modules(run: Run) -> tuple[str, ...]:
    """Modules whose import registers the run's task and learner, also ones defined outside
    neurosim (plugins, tests): a spawned worker starts with empty registries."""
    return (TASKS.get(run.task).__module__, LEARNERS.get(run.learner).__module__)


def _collect(future: Future[_Outcome]) -> _Outcome:
    """The worker's outcome, or why the pool could not deliver one."""
    exc = future.exception()
    if isinstance(exc, BrokenProcessPool):
        return _Outcome(message=WORKER_DIED, details=f"{WORKER_DIED}\n{exc}\n")
    if exc is not None:  # e.g. SystemExit in the learner, or an unpicklable result
        return _Outcome.from_exception(exc)
    return future.result()


@contextlib.contextmanager
def _worker_threads() -> Iterator[None]:
    added = {key: value for key, value in WORKER_THREADS.items() if key not in os.environ}
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


class _Progress:
    """A tqdm bar on a terminal; one plain line per finished run otherwise (logs stay clean)."""

    def __init__(self, total: int):
        self.total = total
        self.count = 0
        self.tty = sys.stderr.isatty()
        self.bar = tqdm(total=total, unit="run", disable=not self.tty, file=sys.stderr)

    def finished(self, run: Run, ok: bool) -> None:
        self.count += 1
        self.bar.set_description(run.label)
        self.bar.update()
        if not self.tty:
            status = "done" if ok else "FAILED"
            print(f"[{self.count}/{self.total}] {status}: {run.title}", file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


class LocalEngine:
    """Runs each Run in a fresh spawned process, `jobs` at a time, storing each as it finishes."""

    def __init__(self, jobs: int = 1) -> None:
        if jobs < 1:
            raise UserError(f"--jobs must be at least 1, got {jobs}")
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
        in_flight: dict[Future[_Outcome], tuple[Run, Path]] = {}
        pool: ProcessPoolExecutor | None = None
        broken = False
        progress = _Progress(len(runs))
        try:
            with _worker_threads():
                while pending or in_flight:
                    pool = pool or self._pool(store)
                    while pending and len(in_flight) < self.jobs and not broken:
                        run = pending.popleft()
                        tmp = store.begin(run)
                        try:
                            future = pool.submit(_work, run, tmp, _registering_modules(run))
                        except BrokenProcessPool:
                            pending.appendleft(run)
                            store.discard(tmp)
                            broken = True
                        else:
                            in_flight[future] = (run, tmp)
                    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        run, tmp = in_flight.pop(future)
                        broken |= isinstance(future.exception(), BrokenProcessPool)
                        outcome = _collect(future)
                        self._settle(store, run, tmp, outcome, report)
                        progress.finished(run, outcome.result is not None)
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

    @staticmethod
    def _settle(store: Store, run: Run, tmp: Path, outcome: _Outcome, report: EngineReport) -> None:
        if outcome.result is not None:
            store.commit(run, outcome.result, tmp)
            report.stored.append(run)
        else:
            directory = store.record_failure(run, outcome.message, outcome.details, tmp)
            report.failures.append(Failure(run, outcome.message, outcome.user_error, directory))
