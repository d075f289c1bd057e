"""The generalization sections on a tiny experiment run end to end in this process (capacity,
double descent, memorisation, regularisers), their numbers held against the stored metrics, plus
the helpers against hand-computed cases and stdp-wta's two readouts on a hand-built store."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from report_stores import FakeStore, make_run, run_in_process

import neurosim.tasks.digits_lab  # noqa: F401  registers the lab's variants in this process
from neurosim.analysis.generalization import (
    epochs_to_fit,
    generalization_gap,
    interpolation_width,
)
from neurosim.experiment.store import Store
from neurosim.report.context import ReportContext
from neurosim.report.document import Figure, Table
from neurosim.report.grouping import group_runs
from neurosim.report.sections import generalization as sections
from neurosim.report.writer import write_report

SPEC = """
name = "tiny-generalization"
seeds = [0, 1]
tasks = [
    {name = "digits-lab", subset = 200},
    {name = "digits-lab-memorise", subset = 200},
    {name = "digits-lab-small", subset = 300, train_size = 60},
    {name = "digits-lab-augment", subset = 300, train_size = 60},
]

[[learner]]
name = "mlp"
label = "mlp"
tasks = ["digits-lab"]
seeds = [0]
keep_best = false
patience = 0
epochs = 3
device = "cpu"

[[learner]]
name = "random-features"
label = "rf"
tasks = ["digits-lab"]

[[learner]]
name = "mlp"
label = "mlp-memorise"
tasks = ["digits-lab-memorise"]
hidden = [128]
lr = 1e-2
keep_best = false
patience = 0
epochs = 60
device = "cpu"

[[learner]]
name = "mlp"
label = "none"
tasks = ["digits-lab-small"]
hidden = [32]
keep_best = false
patience = 0
epochs = 5
device = "cpu"

[[learner]]
name = "mlp"
label = "l2"
tasks = ["digits-lab-small"]
hidden = [32]
weight_decay = 0.01
keep_best = false
patience = 0
epochs = 5
device = "cpu"

[[learner]]
name = "mlp"
label = "augmentation"
tasks = ["digits-lab-augment"]
hidden = [32]
keep_best = false
patience = 0
epochs = 5
device = "cpu"

[grid]
"mlp.hidden" = [[2], [16]]
"rf.n_features" = [35, 140, 560]
"digits-lab-memorise.label_noise" = [0.0, 1.0]
"""
TITLES = [
    "Capacity: accuracy against model size",
    "Double descent: test error against model size",
    "Memorisation: randomised training labels",
    "Regularisers on a reduced, noisy training set",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Store, str]:
    root = tmp_path_factory.mktemp("tiny")
    store, experiment = run_in_process(SPEC, root)
    sections_of_the_lab = ["capacity", "double-descent", "memorisation", "regularisers"]
    out = write_report(store, experiment.name, root / "report", sections=sections_of_the_lab)
    return store, out.markdown.read_text()


def groups_of(store: Store):
    return group_runs(store.runs("tiny-generalization"))


def test_every_section_appears_with_its_figure(tiny):
    _, markdown = tiny
    titles = re.findall(r"^## (.+)$", markdown, flags=re.M)
    assert titles == TITLES
    for figure in ("capacity", "double_descent", "memorisation", "regulariser_curves"):
        assert f"{figure}.png" in markdown or f"{figure}_" in markdown


def test_the_gap_table_is_train_minus_test_of_the_stored_runs(tiny):
    store, _ = tiny
    groups = [g for g in groups_of(store) if sections.scored_on_train(g)]
    blocks = sections.capacity(ReportContext(), groups)
    table = next(b for b in blocks if isinstance(b, Table))
    rows = {row[2]: row for row in table.rows}
    assert set(rows) == {"2", "16"}  # mlp widths; random features are in double descent
    for group in groups:
        if group.label == "mlp":
            (run,) = group.runs
            gap = generalization_gap(run.metrics)
            assert rows[f"{sections.size_of(group):g}"][6] == f"{100 * gap:+.1f}"


def test_double_descent_marks_n_train_for_random_features(tiny):
    store, _ = tiny
    groups = [g for g in groups_of(store) if sections.scored_on_train(g)]
    blocks = sections.double_descent(ReportContext(), groups)
    table = next(b for b in blocks if isinstance(b, Table))
    rf = next(row for row in table.rows if row[0].startswith("rf"))
    n_train = len(neurosim.tasks.make_task("digits-lab", 0, subset=200).split("train"))
    assert rf[1] == str(n_train) == "140"
    assert rf[2] == "140"  # interpolates from n_features = n_train
    assert rf[6] == "yes"  # 35 and 560 features both beat 140 by far on these digits


def test_memorisation_rows_follow_the_noise_and_fit_random_labels(tiny):
    store, _ = tiny
    groups = [g for g in groups_of(store) if g.label == "mlp-memorise"]
    blocks = sections.memorisation(ReportContext(), groups)
    table = next(b for b in blocks if isinstance(b, Table))
    assert [row[2] for row in table.rows] == ["0%", "100%"]
    random = {run.seed: run for run in groups[-1].runs}
    for run in random.values():
        assert run.metrics["train"]["accuracy"] >= 0.99  # 160 random labels memorised
        assert run.metrics["test"]["accuracy"] < 0.3
    epochs = [epochs_to_fit(run.history) for run in random.values()]
    assert table.rows[1][6].split(" ")[0] == f"{np.mean(epochs):.0f}"
    assert sum(isinstance(b, Figure) for b in blocks) == 2  # summary and fit curves


def test_regularisers_pair_augmentation_with_none_by_seed(tiny):
    store, _ = tiny
    groups = [g for g in groups_of(store) if sections.regulariser(g)]
    blocks = sections.regularisers(ReportContext(), groups)
    table = next(b for b in blocks if isinstance(b, Table))
    rows = {row[0]: row for row in table.rows}
    assert list(rows) == ["none", "l2", "augmentation"]
    by_label = {g.label: g for g in groups}
    deltas = sections._paired(by_label["augmentation"], by_label["none"])
    assert len(deltas) == 2  # other task, same seeds and test split
    assert rows["augmentation"][6] == sections._pp(deltas, signed=True)
    assert rows["none"][6] == "–"


# ---------------------------------------------------------------- by hand


def test_helpers_by_hand():
    history = [{"epoch": 1, "train_accuracy": 0.5}, {"epoch": 2, "train_accuracy": 0.995}]
    assert epochs_to_fit(history) == 2.0
    assert epochs_to_fit(history[:1]) is None
    assert epochs_to_fit([{"samples": 10, "train_accuracy": 1.0}]) is None  # no epochs
    assert generalization_gap({"train": {"accuracy": 0.9}, "test": {"accuracy": 0.7}}) == (
        pytest.approx(0.2)
    )
    assert generalization_gap({"test": {"accuracy": 0.7}}) is None
    # 64-w-10: 65 w + 10 (w + 1) parameters = 3000 targets at w = 2990 / 75
    assert interpolation_width(300, 64, 10) == pytest.approx(2990 / 75)


def test_stdp_wta_gets_a_vote_and_a_probe_line(tmp_path: Path):
    runs = []
    for n, (vote, probe) in {25: (0.6, 0.8), 100: (0.8, 0.9)}.items():
        metrics = {
            split: {"accuracy": vote + bump, "probe_accuracy": probe + 2 * bump}
            for split, bump in (("train", 0.05), ("test", 0.0))
        }
        run = make_run(
            tmp_path, "stdp-wta", 0, metrics, task="digits-lab", learner="stdp-wta", grid={"n": n}
        )
        run.config["params"] = {"n_neurons": n}
        run.config["family"] = "classification"
        runs.append(run)
    blocks = sections.capacity(ReportContext(), group_runs(FakeStore(runs).runs()))
    table = next(b for b in blocks if isinstance(b, Table))
    gaps = {(row[1], row[2]): row[6] for row in table.rows}
    assert gaps == {
        ("–", "25"): "+5.0",
        ("–", "100"): "+5.0",
        ("probe", "25"): "+10.0",
        ("probe", "100"): "+10.0",
    }


def test_an_mlp_swept_over_depth_gets_its_own_line_against_layers(tmp_path: Path):
    """hidden = [64] and [64, 64]: one width, two depths: a line against the number of hidden
    layers (a width sweep would see one point per depth and draw nothing)."""
    runs = []
    for layers, (train, test) in {1: (1.0, 0.97), 2: (1.0, 0.95)}.items():
        metrics = {"train": {"accuracy": train}, "test": {"accuracy": test}}
        run = make_run(
            tmp_path, "mlp-depth", 0, metrics, task="digits-lab", learner="mlp", grid={"d": layers}
        )
        run.config["params"] = {"hidden": [64] * layers}
        run.config["family"] = "classification"
        runs.append(run)
    blocks = sections.capacity(ReportContext(), group_runs(FakeStore(runs).runs()))
    table = next(b for b in blocks if isinstance(b, Table))
    gaps = {row[2]: row[6] for row in table.rows}
    assert gaps == {"1 layers": "+3.0", "2 layers": "+5.0"}
    assert any(isinstance(b, Figure) for b in blocks)
