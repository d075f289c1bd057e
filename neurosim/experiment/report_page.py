"""The parts of a report page every section shares: the page, its tables and number formats.

Kept apart from the sections so classification and control reports draw on one implementation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
from matplotlib.figure import Figure

from neurosim.analysis.classification import mean_sd

DPI = 120
T = TypeVar("T")


class RunLike(Protocol):
    """The fields of a stored run (`neurosim.experiment.store.RunRecord`) the report reads."""

    run_id: str
    task: str
    learner: str
    label: str
    seed: int
    config: dict
    metrics: dict[str, dict[str, float]]
    timings: dict[str, float]
    history: list[dict[str, float]]
    directory: Path


def format_values(metric: str, values: Sequence[float]) -> str:
    """Mean ± sd as in the tables: accuracies (fractions) in %, e.g. "97.2 ± 0.3 %"; "–" if none.

    Durations (names ending in "_s") get one decimal; values of 100 or more (returns, env
    steps) are written out with one decimal below 1000 and none above; other metrics get four
    significant digits.
    """
    mean, sd = mean_sd(values)
    if np.isnan(mean):
        return "–"
    n = int(np.sum(~np.isnan(np.asarray(values, dtype=np.float64))))
    if "accuracy" in metric:
        return f"{100 * mean:.1f} %" if n == 1 else f"{100 * mean:.1f} ± {100 * sd:.1f} %"
    if metric.endswith("_s"):  # durations: tenths of a second are plenty
        return f"{mean:.1f}" if n == 1 else f"{mean:.1f} ± {sd:.1f}"
    if abs(mean) >= 100:
        decimals = 1 if abs(mean) < 1000 else 0
        return f"{mean:.{decimals}f}" if n == 1 else f"{mean:.{decimals}f} ± {sd:.{decimals}f}"
    return f"{mean:.4g}" if n == 1 else f"{mean:.4g} ± {sd:.2g}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table; '|' inside cells is escaped."""

    def cells(values: Sequence[object]) -> str:
        return "| " + " | ".join(str(v).replace("|", "\\|") for v in values) + " |"

    return "\n".join([cells(headers), cells(["---"] * len(headers)), *map(cells, rows)]) + "\n"


class ReportPage:
    """Markdown lines, figure files and notes of the report being written."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.lines: list[str] = []
        self.notes: list[str] = []
        self.files: set[str] = set()

    def add(self, text: str) -> None:
        self.lines.append(text)

    def figure(self, fig: Figure, name: str, alt: str, caption: str) -> None:
        stem = slug(name)
        filename = f"{stem}.png"
        for k in range(2, len(self.files) + 2):  # two names can slug alike: number the later ones
            if filename not in self.files:
                break
            filename = f"{stem}_{k}.png"
        self.files.add(filename)
        fig.savefig(self.out_dir / filename, dpi=DPI)
        self.add(f"![{alt}]({filename})\n\n*{caption}*\n")

    def load(self, run: RunLike, artifact: str, loader: Callable[[Path], T]) -> T | None:
        """An artifact of `run`, or None when absent; an unreadable one becomes a note."""
        path = Path(run.directory) / "artifacts" / artifact
        if not path.exists():
            return None
        try:
            return loader(path)
        except (OSError, ValueError, KeyError) as error:
            self.notes.append(f"could not read `{artifact}` of run `{run.run_id}`: {error}")
            return None


def metric_values(runs: Sequence[RunLike], split: str, metric: str) -> list[float]:
    return [r.metrics[split][metric] for r in runs if metric in r.metrics.get(split, {})]


def npz_loader(*required: str) -> Callable[[Path], dict[str, np.ndarray]]:
    """Loads all arrays of an .npz file; a missing required array raises KeyError."""

    def load(path: Path) -> dict[str, np.ndarray]:
        with np.load(path) as data:
            missing = [key for key in required if key not in data.files]
            if missing:
                raise KeyError(f"missing arrays {', '.join(missing)}")
            return {key: data[key] for key in data.files}

    return load


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "figure"
