"""Metrics declared once: name, unit, direction and how to write them, for every table and page.

Families declare the metrics their learners report (`METRICS.declare(...)` in the family's
module, announced as an entry point of group `neurosim.metrics`); the summary table, the report
and `report --json` all read the same declaration, so a number looks the same everywhere and a
new family's metrics need no edit to shared code.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Sequence
from importlib.metadata import entry_points

import numpy as np

from neurosim.analysis.classification import mean_sd


@dataclasses.dataclass(frozen=True)
class Metric:
    """How one metric is read: `unit` "%" marks fractions shown in percent."""

    name: str
    description: str = ""
    unit: str = ""
    higher_is_better: bool | None = None  # None: neither (a cost, a count, a diagnostic)
    headline: bool = False  # shown in the summary table after `neurosim run`
    decimals: int | None = None  # fixed decimals (e.g. returns), so a column reads alike

    @property
    def title(self) -> str:
        """Column title, e.g. "accuracy (%)" or "fit_s (s)"."""
        return f"{self.name} ({self.unit})" if self.unit else self.name

    def format(self, mean: float, sd: float = 0.0, n: int = 1) -> str:
        """Mean ± sd as tables show it; "–" for a missing value, no sd for a single value.

        A metric declared with `decimals` gets exactly that many; percentages and durations get
        one decimal; values of 100 or more (env steps) are written out, with one decimal below
        1000 and none above; others get four significant digits (sd two).
        """
        if mean is None or not math.isfinite(mean):
            return "–"
        if self.decimals is not None:
            text, sd_text = f"{mean:.{self.decimals}f}", f"{sd:.{self.decimals}f}"
        elif self.unit == "%":
            mean, sd = 100 * mean, 100 * sd
            text, sd_text = f"{mean:.1f}", f"{sd:.1f}"
        elif self.unit == "s":
            text, sd_text = f"{mean:.1f}", f"{sd:.1f}"
        elif abs(mean) >= 100:
            decimals = 1 if abs(mean) < 1000 else 0
            text, sd_text = f"{mean:.{decimals}f}", f"{sd:.{decimals}f}"
        else:
            text, sd_text = f"{mean:.4g}", f"{sd:.2g}"
        return text if n < 2 else f"{text} ± {sd_text}"


class MetricRegistry:
    """Declared metrics by name; an undeclared name reads as a plain number."""

    GROUP = "neurosim.metrics"

    def __init__(self) -> None:
        self._metrics: dict[str, Metric] = {}
        self._loaded = False

    def _load(self) -> None:
        """Import every module that declares metrics, once: tables may show runs of learners
        whose modules this process never imported."""
        if not self._loaded:
            self._loaded = True
            for entry in entry_points(group=self.GROUP):
                importlib.import_module(entry.module)

    def declare(self, *metrics: Metric) -> None:
        for metric in metrics:
            known = self._metrics.get(metric.name)
            if known is not None and known != metric:
                raise ValueError(f"metric '{metric.name}' is declared twice, differently")
            self._metrics[metric.name] = metric

    def get(self, name: str) -> Metric:
        self._load()
        if name in self._metrics:
            return self._metrics[name]
        if name.endswith("_s"):  # durations, e.g. timings
            return Metric(name, unit="s")
        return Metric(name)

    def names(self) -> list[str]:
        self._load()
        return sorted(self._metrics)


METRICS = MetricRegistry()


def format_value(name: str, values: Sequence[float]) -> str:
    """Mean ± sample sd over seeds of the metric `name`, as every table writes it."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    mean, sd = mean_sd(finite)
    return METRICS.get(name).format(mean, sd, len(finite))


METRICS.declare(
    Metric("fit_s", "training wall time", "s", higher_is_better=False),
    Metric("evaluate_s", "evaluation wall time", "s", higher_is_better=False),
    Metric("total_s", "wall time of the whole run", "s", higher_is_better=False),
)
