"""Do elephant's rates, ISI CV and Fano factor equal the figures neurosim reported before?

Loads every run of an experiment that recorded spikes, computes the report's population summary
twice, by the old hand-written numpy formulas (copied below from neurosim/analysis/spikes.py as it
was before elephant) and by the new `neurosim.analysis.population_summary`, and prints both and
the largest absolute difference per statistic. Where the old report is still on disk, its printed
table rows are compared with the new figures formatted the same way.

    python benchmarks/elephant_agreement.py [RESULTS] [--experiment quickstart]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

from neurosim.activity import Activity, SpikeTrains
from neurosim.analysis import population_summary, recording_span
from neurosim.experiment.store import Store
from neurosim.experiment.stored_run import StoredRun
from neurosim.metrics import Metric

STATISTICS = ("rate_hz", "active_fraction", "median_cv", "median_fano")
FORMATS = {
    "rate_hz": Metric("mean rate", unit="Hz"),
    "active_fraction": Metric("units that fired", unit="%"),
    "median_cv": Metric("ratio"),
    "median_fano": Metric("ratio"),
}


# --- the old formulas, verbatim in substance -------------------------------------------------


def old_isi_cv(trains: SpikeTrains, min_spikes: int = 3) -> np.ndarray:
    order = np.lexsort((trains.times, trains.units))
    times, units = trains.times[order], trains.units[order]
    same_unit = units[1:] == units[:-1]
    isi = np.diff(times)[same_unit]
    owner = units[1:][same_unit]
    n = np.bincount(owner, minlength=trains.n_units)
    total = np.bincount(owner, weights=isi, minlength=trains.n_units)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        var = np.bincount(owner, weights=(isi - mean[owner]) ** 2, minlength=trains.n_units) / n
        cv = np.sqrt(var) / mean
    cv[n < max(min_spikes - 1, 1)] = np.nan
    return cv


def old_fano(trains: SpikeTrains, t0: float, t1: float, width: float) -> np.ndarray:
    n_windows = int(np.floor((t1 - t0) / width + 1e-9))
    inside = trains.window(t0, t0 + n_windows * width)
    index = np.minimum(((inside.times - t0) / width).astype(np.int64), n_windows - 1)
    flat = np.bincount(inside.units * n_windows + index, minlength=trains.n_units * n_windows)
    counts = flat.reshape(trains.n_units, n_windows)
    if n_windows < 2:
        return np.full(trains.n_units, np.nan)
    mean, var = counts.mean(axis=1), counts.var(axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mean > 0, var / mean, np.nan)


def old_window(activity: Activity) -> tuple[float, float, float]:
    """The recording span and window the old report's `_statistics` chose."""
    onsets = np.asarray(activity.meta.get("onsets", []), dtype=np.float64)
    ends = [s.times.max() for s in activity.spikes.values() if len(s.times)]
    starts = [s.times.min() for s in activity.spikes.values() if len(s.times)]
    t0 = float(onsets[0]) if len(onsets) else min(0.0, *starts)
    gaps = np.diff(onsets)
    window = float(np.median(gaps)) if len(gaps) else max((max(ends) - t0) / 10, 1e-3)
    t1 = max(float(onsets[-1]) + window if len(onsets) else t0, max(ends) + 1e-9)
    return t0, t1, window


def old_summary(activity: Activity) -> dict[str, dict[str, float]]:
    t0, t1, window = old_window(activity)
    summary = {}
    for name, trains in activity.spikes.items():
        rates = trains.rates(t0, t1)
        summary[name] = {
            "rate_hz": float(rates.mean()),
            "active_fraction": float(np.mean(rates > 0)),
            "median_cv": nanmedian(old_isi_cv(trains.window(t0, t1))),
            "median_fano": nanmedian(old_fano(trains, t0, t1, window)),
        }
    return summary


def nanmedian(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(np.median(values)) if len(values) else float("nan")


# --- comparison --------------------------------------------------------------------------------


def report_rows(results: Path, experiment: str) -> dict[str, list[str]]:
    """Population -> printed cells of the old report's spiking-activity table, if on disk."""
    path = results / experiment / "report" / "report.md"
    if not path.exists():
        return {}
    text = path.read_text()
    section = text.split("## Spiking activity", 1)[-1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and re.fullmatch(r"\d+", cells[1]):
            rows[cells[0]] = cells[2:6]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default="results", type=Path)
    parser.add_argument("--experiment", default="quickstart")
    args = parser.parse_args(argv)
    runs = [StoredRun.from_record(r) for r in Store(args.results).runs(args.experiment)]
    runs = sorted(runs, key=lambda run: (run.label, run.seed))
    worst = dict.fromkeys(STATISTICS, 0.0)
    shown_in_report: tuple[StoredRun, dict] | None = None
    print(f"{'run':<28}{'population':<12}" + "".join(f"{s:>32}" for s in STATISTICS))
    print(f"{'':<40}" + "".join(f"{'old (numpy) / new (elephant)':>32}" for _ in STATISTICS))
    for run in runs:
        activity = next((a for a in run.activities().values() if a.spikes), None)
        if activity is None or not any(len(s.times) for s in activity.spikes.values()):
            continue
        old = old_summary(activity)
        new = population_summary(activity, *recording_span(activity))
        if shown_in_report is None:
            shown_in_report = (run, new)
        for population in old:
            cells = []
            for stat in STATISTICS:
                a, b = old[population][stat], new[population][stat]
                worst[stat] = max(worst[stat], 0.0 if a == b else abs(a - b))
                cells.append(f"{a:.10g} / {b:.10g}")
            name = f"{run.label} seed {run.seed}"
            print(f"{name:<28}{population:<12}" + "".join(f"{c:>32}" for c in cells))
    print("max |old - new|: " + ", ".join(f"{s} {worst[s]:.3g}" for s in STATISTICS))
    rows = report_rows(args.results, args.experiment)
    if rows and shown_in_report is not None:
        run, new = shown_in_report
        print(f"\nold report table ({run.label} seed {run.seed}) vs the new figures, same format:")
        for population, printed in rows.items():
            ours = [FORMATS[s].format(new[population][s]) for s in STATISTICS]
            verdict = "equal" if printed == ours else "DIFFERENT"
            print(f"  {population}: report {printed} / elephant {ours}: {verdict}")
    return 0 if all(value < 1e-9 for value in worst.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
