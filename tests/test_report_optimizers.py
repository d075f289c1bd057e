"""The optimizer sections: the best learning rate and the grid's spread from hand-chosen
accuracies, and both sections end to end on a tiny experiment (mlp on a digits subset and
least squares on Wilson et al.'s construction, run in this process), where the Wilson table must
show what the paper's argument proves: test error 0 for gradient descent, the minority fraction
for Adam."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_stores import FakeStore, make_run, run_in_process

from neurosim.experiment.store import Store
from neurosim.report.context import ReportContext
from neurosim.report.document import Figure, Table
from neurosim.report.grouping import group_runs
from neurosim.report.sections import optimizers as sections
from neurosim.report.writer import write_report

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SPEC = """
name = "tiny-optimizers"
seeds = [0, 1]

[[task]]
name = "digits"
subset = 200

[[task]]
name = "wilson-separable"
n_train = 20
n_test = 20
p = 0.6

[[learner]]
name = "mlp"
label = "sgd"
tasks = ["digits"]
optimizer = "sgd"
hidden = [8]
epochs = 3
patience = 0

[[learner]]
name = "mlp"
label = "adam"
tasks = ["digits"]
optimizer = "adam"
hidden = [8]
epochs = 3
patience = 0

[[learner]]
name = "least-squares"
label = "ls-sgd"
tasks = ["wilson-separable"]
optimizer = "sgd"
epochs = 100

[[learner]]
name = "least-squares"
label = "ls-adam"
tasks = ["wilson-separable"]
optimizer = "adam"
epochs = 100

[grid]
"sgd.lr" = [0.03, 0.3]
"adam.lr" = [0.001, 0.01]
"ls-sgd.lr" = [0.03, 0.1]
"ls-adam.lr" = [0.001, 0.01]

[report]
sections = ["optimizer-comparison", "adaptive-generalization"]
"""


def val_run(root: Path, label: str, seed: int, lr: float, val: float, test: float):
    history = [{"epoch": e, "samples": 10.0 * e, "train_loss": 1.0 / e} for e in (1, 2, 3)]
    metrics = {"val": {"accuracy": val}, "test": {"accuracy": test}}
    return make_run(root, label, seed, metrics, grid={"lr": lr}, history=history)


def test_best_rate_is_the_best_mean_val_accuracy_and_the_spread_its_range(tmp_path: Path):
    # means 0.5625, 0.8125, 0.8125 (exact in binary): 0.1 and 1.0 tie
    val = {0.01: (0.5, 0.625), 0.1: (0.75, 0.875), 1.0: (0.8125, 0.8125)}
    runs = [
        val_run(tmp_path, "opt", seed, lr, accuracy, test=0.5 + lr / 10)
        for lr, pair in val.items()
        for seed, accuracy in enumerate(pair)
    ]
    (sweep,) = sections.lr_sweeps(group_runs(runs))
    (points,) = sweep.lines.values()
    lr, group = sections.best_point(points, "val")
    assert lr == 0.1  # a tie goes to the smaller rate
    assert group.values("test", "accuracy") == [pytest.approx(0.51)] * 2
    assert sections.final_train_losses(group) == [pytest.approx(1 / 3)] * 2
    text, spread = sections._grid_text(points, "val")
    assert text == "0.01: 56.2 · 0.1: 81.2 · 1: 81.2"
    assert spread == pytest.approx(25.0)


def test_without_a_val_split_the_rate_is_chosen_on_test_and_the_table_says_so(tmp_path: Path):
    runs = [
        make_run(tmp_path, "opt", 0, {"test": {"accuracy": a}}, grid={"lr": lr}, history=[])
        for lr, a in ((0.1, 0.7), (1.0, 0.9))
    ]
    blocks = sections.optimizer_comparison(ReportContext(), group_runs(FakeStore(runs).runs()))
    table = next(b for b in blocks if isinstance(b, Table))
    assert table.rows[0][2] == "1"
    assert "chosen on test" in " ".join(getattr(b, "text", "") for b in blocks)


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory) -> tuple[Store, str]:
    root = tmp_path_factory.mktemp("tiny")
    store, experiment = run_in_process(SPEC, root)
    out = write_report(store, experiment.name, root / "report", sections=experiment.report_sections)
    return store, out.markdown.read_text()


def section_text(markdown: str, title: str) -> str:
    return markdown.split(f"## {title}")[1].split("\n## ")[0]


def test_both_sections_appear_with_their_figures(tiny_report):
    _, markdown = tiny_report
    assert re.findall(r"^## (.+)$", markdown, flags=re.M)[:2] == [
        "Optimizers compared at their best learning rate",
        "Adaptive methods on Wilson et al. 2017's construction",
    ]
    comparison = section_text(markdown, "Optimizers compared at their best learning rate")
    assert "### digits: each optimizer at its best learning rate" in comparison
    assert "### wilson-separable: each optimizer at its best learning rate" in comparison
    assert comparison.count("optimizer_curves_") == 2
    # lr sensitivity: drawn for digits; on Wilson's task every rate gives the same accuracy
    assert "optimizer_lr_digits" in comparison and "optimizer_lr_wilson" not in comparison
    assert "wilson_error_by_lr" in markdown


def test_the_wilson_table_shows_the_papers_result(tiny_report):
    store, _ = tiny_report
    groups = [g for g in group_runs(store.runs("tiny-optimizers")) if sections.wilson(g)]
    blocks = sections.adaptive_generalization(ReportContext(), groups)
    table = next(b for b in blocks if isinstance(b, Table))
    assert any(isinstance(b, Figure) for b in blocks)
    rows = {(row[0], row[2]): row for row in table.rows}
    assert set(rows) == {
        ("ls-sgd", "0.03"),
        ("ls-sgd", "0.1"),
        ("ls-adam", "0.001"),
        ("ls-adam", "0.01"),
    }
    for (label, _), row in rows.items():
        # 12 of the 20 test points are positive: the majority vote errs on 40 %
        claim = "0.0" if label == "ls-sgd" else "40.0"
        assert row[6] == claim
        assert row[5] == ("0.0 ± 0.0" if label == "ls-sgd" else "40.0 ± 0.0")
        assert row[7] == "yes"


def test_the_comparison_picks_the_best_mean_val_rate_of_the_stored_runs(tiny_report):
    store, _ = tiny_report
    groups = [g for g in group_runs(store.runs("tiny-optimizers")) if g.task == "digits"]
    blocks = sections.optimizer_comparison(ReportContext(), groups)
    table = next(b for b in blocks if isinstance(b, Table))
    for row in table.rows:
        mine = [g for g in groups if g.label == row[0]]
        means = {g.grid["lr"]: sum(g.values("val", "accuracy")) for g in mine}
        assert float(row[2]) == max(sorted(means), key=lambda lr: means[lr])
