"""What an engine costs per run: trivial runs (the tests' fake learner, milliseconds of work each)
through the local engine and through Ray, side by side.

    .venv/bin/python benchmarks/engine_overhead.py [--runs 20] [--jobs 2]

A fake run's own work is measured in this process first, so what remains per run is the engine:
starting a fresh worker process, importing neurosim there, and the bundle's trip back. Ray's
start and shutdown happen once per `neurosim run` and are shown apart.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the fake learner
import fake_learner  # noqa: E402, F401  (registers the "fake" learner and "toy" task)
import ray  # noqa: E402

from neurosim.experiment.engines import LocalEngine, RayEngine  # noqa: E402
from neurosim.experiment.runner import execute_run  # noqa: E402
from neurosim.experiment.spec import Run, load_spec  # noqa: E402
from neurosim.experiment.store import Store  # noqa: E402

SPEC = """
name = "overhead"
seeds = {seeds}
tasks = ["toy"]
[[learner]]
name = "fake"
"""


def make_runs(folder: Path, n: int) -> list[Run]:
    spec = folder / "overhead.toml"
    spec.write_text(SPEC.format(seeds=list(range(n))))
    return load_spec(spec).runs()


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="engine-overhead-"))
    runs = make_runs(folder, args.runs)

    in_process = timed(lambda: [execute_run(run, folder / "here" / run.run_id) for run in runs])
    local = timed(lambda: LocalEngine(args.jobs).execute(runs, Store(folder / "local")))
    start = timed(
        lambda: ray.init(
            address="local", num_cpus=args.jobs, include_dashboard=False, log_to_driver=False
        )
    )
    on_ray = timed(lambda: RayEngine(args.jobs).execute(runs, Store(folder / "ray")))
    stop = timed(ray.shutdown)
    for name in ("local", "ray"):
        stored = Store(folder / name).done_ids()
        assert stored == {run.run_id for run in runs}, f"{name}: not every run was stored"

    n = args.runs
    print(f"{n} trivial runs, --jobs {args.jobs} (results in {folder})")
    print(f"  in this process, no engine: {in_process / n:7.3f} s per run")
    print(f"  local engine:               {local / n:7.3f} s per run   ({local:.1f} s in all)")
    print(f"  ray engine:                 {on_ray / n:7.3f} s per run   ({on_ray:.1f} s in all)")
    print(f"  ray / local, per run:       {on_ray / local:7.2f}")
    print(f"  ray start + shutdown, once: {start + stop:7.1f} s ({start:.1f} + {stop:.1f})")


if __name__ == "__main__":
    main()
