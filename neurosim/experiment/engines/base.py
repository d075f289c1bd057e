"""What every engine shares: the Engine protocol, its report, and the worker side of one run.

An engine only decides where runs execute. The worker side is the same everywhere: claim a cache
slot, import the modules that register the run's task and learner, execute the run in a private
folder and hand back an `Outcome` (a RunBundle, or why there is none) as a picklable value. The
parent commits each outcome to the Store as it arrives, so workers need no shared filesystem.
"""

from __future__ import annotations

import dataclasses
import fcntl
import importlib
import os
import platform
import shutil
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Protocol

from tqdm import tqdm

from neurosim.errors import UserError
from neurosim.experiment.runner import RunBundle, execute_run, pack
from neurosim.experiment.spec import Run
from neurosim.experiment.store import Store
from neurosim.registry import LEARNERS, TASKS, Registry

# One thread per worker: `jobs` workers share the machine. Values the user set win.
WORKER_THREADS = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NEUROSIM_TORCH_THREADS": "1",
}
MODELS_ENV = "NEUROSIM_MODELS_PATH"  # the rule search path (--models) workers must see too
CACHE_ENV = "NEUROSIM_WORKER_CACHE"  # the worker's slot, where its runs execute
WORKER_DIED = (
    "the worker process died (killed by a signal, e.g. out of memory, or brought down with "
    "another run's worker that died)"
)

# Engines register where they live and are announced as entry points of the group
# "neurosim.engines" (setup.cfg), as any other package's engine would be.
ENGINES: Registry = Registry("engine", "neurosim.engines")

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


class Engine(Protocol):
    """Executes runs and commits each to the store as it finishes; a failure never stops the
    others, and Ctrl-C stops all of them and says so in the report."""

    def execute(self, runs: Sequence[Run], store: Store) -> EngineReport: ...


def make_engine(name: str, *, jobs: int = 1, address: str | None = None) -> Engine:
    """The engine registered as `name` ("local", "ray"); bad arguments raise a UserError."""
    return ENGINES.get(name)(jobs=jobs, address=address)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a worker hands back: a bundle, or why there is none and what the run left."""

    bundle: RunBundle | None = None
    message: str = ""
    details: str = ""
    user_error: bool = False
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_exception(cls, exc: BaseException, files: dict[str, bytes] | None = None) -> Outcome:
        return cls(
            message=str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}",
            details="".join(traceback.format_exception(exc)),
            user_error=isinstance(exc, UserError),
            files=files or {},
        )

    @classmethod
    def worker_died(cls, why: object) -> Outcome:
        return cls(message=WORKER_DIED, details=f"{WORKER_DIED}\n{why}\n")

    def settle(self, store: Store, run: Run, report: EngineReport) -> None:
        """Commit the run, or record it as failed; only the parent calls this."""
        if self.bundle is not None:
            store.commit(run, self.bundle)
            report.stored.append(run)
        else:
            directory = store.record_failure(run, self.message, self.details, self.files)
            report.failures.append(Failure(run, self.message, self.user_error, directory))


def registering_modules(run: Run) -> tuple[str, ...]:
    """Modules whose import registers the run's task and learner, also ones defined outside
    neurosim (plugins, tests): a fresh worker starts with empty registries."""
    return (TASKS.get(run.task).__module__, LEARNERS.get(run.learner).__module__)


def worker_environment() -> dict[str, str]:
    """What a worker's environment must say: thread limits (the user's own values win) and the
    rule search path."""
    env = {key: os.environ.get(key, value) for key, value in WORKER_THREADS.items()}
    if os.environ.get(MODELS_ENV):
        env[MODELS_ENV] = os.environ[MODELS_ENV]
    return env


def claim_cache_slot(root: Path) -> Path:
    """Claim a folder no other live worker uses, for this process's lifetime.

    Runs execute in private folders inside it. A slot per live worker rather than per pid, so
    that run folders left in the slot by a killed worker are found and removed here: the lock
    proves their owner is gone.
    """
    global _cache_lock
    root.mkdir(parents=True, exist_ok=True)
    slot = 0
    while True:
        handle = open(root / f"worker-{slot}.lock", "w")  # kept open: the lock is the claim
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            handle.close()
            slot += 1
    _cache_lock = handle
    cache = root / f"worker-{slot}"
    cache.mkdir(exist_ok=True)
    for leftover in cache.glob("run-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    os.environ[CACHE_ENV] = str(cache)
    return cache


def _import_registering(module: str) -> None:
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        raise UserError(
            f"module '{module}', which registers the run's task or learner, cannot be imported on "
            f"{platform.node()}: install it on every machine that executes runs"
        ) from None


def execute_in_worker(run: Run, modules: Sequence[str]) -> Outcome:
    """Worker side: import what registers the task and learner, execute the run in a private
    folder (in the cache slot when there is one), pack it and remove the folder."""
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=os.environ.get(CACHE_ENV)))
    try:
        for module in modules:
            _import_registering(module)
        return Outcome(bundle=execute_run(run, workdir))
    except Exception as exc:
        return Outcome.from_exception(exc, pack(workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class Progress:
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
