"""The results table printed after `neurosim run`: one row per task and learner configuration.

Kept apart from the CLI so the report writer can put the same numbers on its page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from neurosim.analysis.classification import mean_sd
from neurosim.experiment.spec import canonical_json, grid_text

# The headline metrics: every test metric, and for control tasks (greedy "eval" episodes) the
# few that decide a comparison; the report has the rest.
SPLITS = ("test", "eval")
CONTROL_METRICS = ("mean_return", "steps_to_solve", "auc_return", "last50_train_return")


class _Record(Protocol):
    task: str
    label: str
    config: dict
    metrics: dict[str, dict[str, float]]
    timings: dict[str, float]


@dataclasses.dataclass(frozen=True)
class SummaryRow:
    """Mean and sample sd over seeds (sd is 0 and not shown for a single seed)."""

    task: str
    name: str  # label, plus the grid point when the label is swept, e.g. "mlp-adam [lr=0.003]"
    n_seeds: int
    metrics: dict[str, tuple[float, float]]  # "split metric" -> (mean, sd)
    fit_s: float


def summary_rows(records: Sequence[_Record]) -> list[SummaryRow]:
    """Group runs that differ only by seed; rows sorted by task, then name."""
    groups: dict[tuple[str, str, str], list[_Record]] = {}
    for record in records:
        grid = record.config.get("grid", {})
        key = (record.task, record.label, canonical_json(grid))
        groups.setdefault(key, []).append(record)
    rows = []
    for (task, label, _), group in sorted(groups.items()):
        grid = group[0].config.get("grid", {})
        values: dict[str, list[float]] = {}
        for record in group:
            for split in SPLITS:
                for name, value in record.metrics.get(split, {}).items():
                    if split == "eval" and name not in CONTROL_METRICS:
                        continue
                    values.setdefault(f"{split} {name}", []).append(value)
        rows.append(
            SummaryRow(
                task=task,
                name=f"{label} [{grid_text(grid)}]" if grid else label,
                n_seeds=len(group),
                metrics={name: mean_sd(v) for name, v in sorted(values.items())},
                fit_s=float(np.mean([r.timings["fit_s"] for r in group])),
            )
        )
    return rows


def format_metric(name: str, mean: float, sd: float, n_seeds: int) -> str:
    """Accuracies (fractions) in %, other metrics as they are; "± sd" only with several seeds;
    "–" when no seed reported the metric (e.g. steps to solve of an agent that never solved)."""
    if np.isnan(mean):
        return "–"
    if name.endswith("accuracy"):
        mean_text, sd_text = f"{100 * mean:.1f}", f"{100 * sd:.1f}"
    elif abs(mean) >= 1000:  # env steps: 25900 reads better than 2.59e+04
        mean_text, sd_text = f"{float(f'{mean:.3g}'):.0f}", f"{float(f'{sd:.2g}'):.0f}"
    else:
        mean_text, sd_text = f"{mean:.3g}", f"{sd:.2g}" if sd < 100 else f"{sd:.0f}"
    return mean_text if n_seeds < 2 else f"{mean_text} ± {sd_text}"


def summary_table(records: Sequence[_Record]) -> str:
    """A markdown table (readable as plain text) of test metrics and fit time, mean ± sd."""
    rows = summary_rows(records)
    if not rows:
        return "(no stored runs)"
    order = ["test accuracy", *(f"eval {name}" for name in CONTROL_METRICS)]
    names = sorted(
        {name for row in rows for name in row.metrics},
        key=lambda n: (order.index(n) if n in order else len(order), n),
    )
    headers = ["task", "learner", "seeds"]
    headers += [name + (" (%)" if name.endswith("accuracy") else "") for name in names]
    headers.append("fit (s)")
    body = [
        [row.task, row.name, str(row.n_seeds)]
        + [
            format_metric(name, *row.metrics[name], row.n_seeds) if name in row.metrics else "–"
            for name in names
        ]
        + [f"{row.fit_s:.2f}"]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [headers, *body]) for i in range(len(headers))]
    numeric = [i >= 2 for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (width + 1) + ":" if right else "-" * (width + 2)
            for width, right in zip(widths, numeric, strict=True)
        )
        + "|"
    )
    return "\n".join([line(headers), rule, *map(line, body)])
