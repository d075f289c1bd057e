"""The landscape report: every section drawn from a tiny real experiment (mlp-landscape on a
digits subset, two batch sizes, one seed), its tables reading back what the learner scored, and
the sharpness verdict on hand-chosen numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurosim.cli import main
from neurosim.experiment.store import RunRecord, Store
from neurosim.report.context import ReportContext
from neurosim.report.document import Figure, Table
from neurosim.report.grouping import group_runs
from neurosim.report.sections import landscape as sections

SPEC = """
name = "tiny-landscape"
seeds = [0]

[[task]]
name = "digits"
subset = 200

[[learner]]
name = "mlp-landscape"
label = "land"
hidden = [12]
epochs = 3
landscape_samples = 60
line_points = 7
grid = 5
snapshots = 6
hessian_points = 3
lanczos_steps = 8
slq_probes = 2

[grid]
"land.batch_size" = [16, 128]
"""
TITLES = [
    "Loss along lines in weight space",
    "Hessian along training",
    "Sharpness against batch size",
    "Loss surface around the solution",
]


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[RunRecord]]:
    root = tmp_path_factory.mktemp("landscape")
    spec = root / "spec.toml"
    spec.write_text(SPEC)
    assert main(["run", str(spec), "--results", str(root / "results")]) == 0
    report = root / "results" / "tiny-landscape" / "report" / "report.md"
    return report, Store(root / "results").runs("tiny-landscape")


def test_every_landscape_section_and_figure_is_written(experiment):
    report, _ = experiment
    text = report.read_text()
    positions = [text.index(f"## {title}") for title in TITLES]
    assert positions == sorted(positions)  # page order: lines 220, hessian 230, ..., slices 410
    for name in ("landscape_lines", "hessian", "sharpness_by_batch"):
        assert (report.parent / f"{name}.png").stat().st_size > 10_000, name
    slices = sorted(report.parent.glob("landscape_slices_*.png"))
    assert len(slices) == 2  # one per batch size


def test_the_lines_table_recomputes_what_the_learner_scored(experiment):
    """The report reads the rise and barrier from the stored arrays; the learner scored them
    from the same arrays: both roads give the same numbers."""
    _, runs = experiment
    groups = group_runs(runs)
    blocks = sections.landscape_lines(ReportContext(), groups)
    table = next(b for b in blocks if isinstance(b, Table))
    for row, group in zip(table.rows, groups, strict=True):
        assert row[0] == group.name and row[1] == 1
        for column, metric in ((2, "init_max_rise"), (4, "seed_barrier")):
            assert row[column] == sections.format_value(metric, group.values("test", metric))


def test_the_hessian_arrays_end_at_the_solutions_sharpness(experiment):
    _, runs = experiment
    context = ReportContext()
    for run in runs:
        data = context.load_first(run, "arrays", "landscape_hessian")
        assert data["is_solution"].tolist() == [False] * (len(data["steps"]) - 1) + [True]
        assert data["top"][-1, 0] == pytest.approx(run.metrics["test"]["sharpness"])
        assert np.all(np.diff(data["top"], axis=1) <= 0)  # top-3, descending


def fake(root: Path, seed: int, batch: int, sharpness: float) -> RunRecord:
    run = RunRecord(
        run_id=f"b{batch}-{seed}",
        experiment="x",
        task="digits",
        learner="mlp-landscape",
        label="land",
        seed=seed,
        config={"params": {}, "budget": {}, "task_params": {}, "grid": {"land.batch_size": batch}},
        metrics={"test": {"accuracy": 0.9, "sharpness": sharpness, "seed_barrier": 0.1}},
        timings={},
        history=[],
        directory=root / f"b{batch}-{seed}",
    )
    (run.directory / "artifacts").mkdir(parents=True)
    return run


@pytest.mark.parametrize(
    ("exponent", "trend"), [(0.5, "sharper with larger"), (-0.5, "flatter with larger")]
)
def test_sharpness_verdict_reads_the_trend(tmp_path: Path, exponent: float, trend: str):
    """Sharpness = batch^exponent on both seeds: the slope on log-log axes is the exponent."""
    runs = [
        fake(tmp_path / f"{exponent}", seed, batch, batch**exponent)
        for batch in (16, 256)
        for seed in (0, 1)
    ]
    blocks = sections.sharpness(ReportContext(), group_runs(runs))
    figure = next(b for b in blocks if isinstance(b, Figure))
    assert f"slope of log sharpness on log batch size {exponent:+.2f} ({trend}" in figure.caption
    table = next(b for b in blocks if isinstance(b, Table))
    assert [row[1] for row in table.rows] == ["16", "256"]


def test_a_gap_within_the_seeds_spread_is_no_trend():
    # means 2.0 and 2.3; sds 0.283 and 0.141: spread 0.316 > gap 0.3
    assert sections.sharpness_trend([1.8, 2.2], [2.2, 2.4]) == "no trend beyond the seeds' spread"
    assert sections.sharpness_trend([1.9, 2.0], [2.3, 2.4]).startswith("sharper")
