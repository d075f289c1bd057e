"""Compare two results stores run by run: do the same (experiment, label, grid point, seed) give
the same metrics? The check behind "every stored result reproduces" after a change to the core.

Run ids may differ between the stores (they hash the config, and a change may change what is
hashed); runs are matched by how experiments show them instead. Wall-clock metrics are measured,
not computed, so they are listed apart and never counted as differences.

    python benchmarks/compare_results.py OLD_RESULTS NEW_RESULTS [--experiment NAME]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from neurosim.experiment.spec import canonical_json
from neurosim.experiment.store import RunRecord, Store

MEASURED = ("wall_s_to_solve",)  # wall time inside `evaluate`'s metrics


def key(record: RunRecord) -> tuple[str, str, str, int]:
    return (
        record.experiment,
        record.label,
        canonical_json(record.config.get("grid", {})),
        record.seed,
    )


def differences(old: RunRecord, new: RunRecord) -> list[str]:
    """Metric names whose values differ (NaN equals NaN); measured wall times are skipped."""
    found = []
    for split in sorted(set(old.metrics) | set(new.metrics)):
        a, b = old.metrics.get(split, {}), new.metrics.get(split, {})
        for name in sorted(set(a) | set(b)):
            if name in MEASURED:
                continue
            x, y = a.get(name), b.get(name)
            same = x == y or (x is not None and y is not None and math.isnan(x) and math.isnan(y))
            if not same:
                found.append(f"{split} {name}: {x} -> {y}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--experiment", help="only this experiment")
    args = parser.parse_args()
    old = {key(r): r for r in Store(args.old, create=False).runs(args.experiment)}
    new = {key(r): r for r in Store(args.new, create=False).runs(args.experiment)}
    same = changed = 0
    for k in sorted(old.keys() & new.keys()):
        experiment, label, grid, seed = k
        found = differences(old[k], new[k])
        ids = "same id" if old[k].run_id == new[k].run_id else "new id"
        status = "identical" if not found else "DIFFERENT: " + "; ".join(found)
        print(
            f"{experiment:16} {label:20} {grid if grid != '{}' else '':16} seed {seed}  "
            f"{ids:7}  {status}"
        )
        same += not found
        changed += bool(found)
    for name, keys in (
        ("only in OLD", old.keys() - new.keys()),
        ("only in NEW", new.keys() - old.keys()),
    ):
        for k in sorted(keys):
            print(f"{name}: {k}")
    print(f"\n{same} identical, {changed} different, {len(old.keys() ^ new.keys())} unmatched")
    return 0 if changed == 0 and old.keys() == new.keys() else 1


if __name__ == "__main__":
    sys.exit(main())
