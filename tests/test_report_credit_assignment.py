"""The credit-assignment sections: the table's numbers against a hand-built store (test
accuracy, probe, samples to 90 % read by hand from the History, the gap to mlp paired by seed),
the spectrum order by learner name whatever the labels, the curves and alignment figures, and
the sections on a tiny experiment run end to end."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from report_stores import FakeStore, classification_runs, make_run, run_in_process

from neurosim.report.context import ReportContext
from neurosim.report.document import Figure, Table
from neurosim.report.grouping import group_runs
from neurosim.report.sections import credit_assignment as credit
from neurosim.report.writer import write_report

SAMPLES = (100, 200, 300, 400)


def _history(val: list[float], angles: list[float] | None = None, fa: bool = False) -> list:
    rows = []
    for i, (samples, accuracy) in enumerate(zip(SAMPLES, val, strict=True)):
        row = {"epoch": i + 1, "samples": samples, "val_accuracy": accuracy}
        if angles is not None:
            row["update_angle_deg_1"] = angles[i]
            row["update_angle_deg"] = angles[i]
        if fa:
            row["alignment_deg"] = 80.0 - 10 * i
        rows.append(row)
    return rows


def _store(root: Path) -> list:
    """Labels chosen so that alphabetical order is not the spectrum's: "a-backprop" is mlp,
    "z-wta" is stdp-wta, "m-random" is fa. mlp has seeds 0-2, fa only 0 and 2."""
    runs = []
    for seed, test in enumerate([0.96, 0.97, 0.98]):
        history = _history([0.5, 0.85 + 0.05 * (seed == 0), 0.95, 0.97])
        runs.append(
            make_run(
                root,
                "a-backprop",
                seed,
                {"test": {"accuracy": test}},
                learner="mlp",
                history=history,
                timings={"fit_s": 2.0 + seed, "total_s": 3.0},
            )
        )
    for seed, test in ((0, 0.93), (2, 0.97)):
        history = _history([0.4, 0.6, 0.8, 0.85], angles=[80.0, 60.0, 50.0, 45.0], fa=True)
        runs.append(
            make_run(
                root, "m-random", seed, {"test": {"accuracy": test}}, learner="fa", history=history
            )
        )
    for seed, (vote, probe) in enumerate([(0.80, 0.86), (0.84, 0.90)]):
        history = [{"samples": s, "train_accuracy": a} for s, a in ((200, 0.5), (400, 0.9))]
        metrics = {"test": {"accuracy": vote, "probe_accuracy": probe}}
        runs.append(make_run(root, "z-wta", seed, metrics, learner="stdp-wta", history=history))
    history = [
        {"epoch": 1, "samples": 100, "val_accuracy": 0.3, "update_angle_deg": 88.0},
        {"epoch": 2, "samples": 200, "val_accuracy": 0.5, "update_angle_deg": 70.0},
    ]
    metrics = {"test": {"accuracy": 0.5}}
    runs.append(make_run(root, "b-reward", 0, metrics, learner="three-factor", history=history))
    runs.append(make_run(root, "logreg", 0, {"test": {"accuracy": 0.9}}, learner="logreg"))
    return runs


@pytest.fixture
def groups(tmp_path: Path):
    return group_runs(FakeStore(_store(tmp_path)).runs())


def test_spectrum_order_is_by_learner_not_label(groups):
    ordered = credit.spectrum_order(groups)
    assert [g.learner for g in ordered] == ["stdp-wta", "three-factor", "fa", "mlp"]  # no logreg
    assert [g.label for g in ordered] == ["z-wta", "b-reward", "m-random", "a-backprop"]
    assert list(credit.SPECTRUM) == [
        "stdp-wta",
        "krotov-hopfield",
        "three-factor",
        "dfa",
        "fa",
        "mlp",
    ]


def test_samples_to_90_by_hand(groups):
    by_label = {g.label: g for g in groups}
    mlp = by_label["a-backprop"].runs
    # seed 0 reaches 0.90 at the second row (200 samples), seeds 1 and 2 at the third (300)
    assert [credit.samples_to(run, "val_accuracy") for run in mlp] == [200.0, 300.0, 300.0]
    assert credit.samples_to(by_label["m-random"].runs[0], "val_accuracy") is None
    assert credit.samples_to(by_label["z-wta"].runs[0], "train_accuracy") == 400.0
    assert credit.accuracy_column(by_label["z-wta"]) == "train_accuracy"
    assert credit.accuracy_column(by_label["a-backprop"]) == "val_accuracy"


def test_table_numbers_against_the_store(groups):
    chosen = [g for g in groups if credit.on_spectrum(g)]
    (table, _) = credit.credit_table(ReportContext(), chosen)
    assert isinstance(table, Table)
    rows = {row[0]: row for row in table.rows}
    assert list(rows) == ["z-wta", "b-reward", "m-random", "a-backprop"]
    assert rows["b-reward"][1] == "scalar reward"
    assert rows["b-reward"][5] == "never (val)" and rows["b-reward"][7] == "-46.0"  # one seed
    wta, fa, mlp = rows["z-wta"], rows["m-random"], rows["a-backprop"]
    assert wta[1].startswith("none") and fa[1].startswith("random") and mlp[1].startswith("exact")
    assert mlp[3] == "97.0 ± 1.0" and mlp[4] == "–"
    assert wta[3] == "82.0 ± 2.8"  # sd of 80 and 84 = 2.83
    assert wta[4] == "88.0 ± 2.8"
    mean, sd = np.mean([200, 300, 300]), np.std([200, 300, 300], ddof=1)
    assert mlp[5] == f"{mean:.0f} ± {sd:.0f} (val)" == "267 ± 58 (val)"
    assert wta[5] == "400 ± 0 (train)"
    assert fa[5] == "never (val)"
    assert mlp[6] == "3.0 ± 1.0"  # fit_s 2, 3, 4
    # fa minus mlp on seeds 0 and 2 only: 0.93 - 0.96, 0.97 - 0.98
    deltas = 100 * np.array([0.93 - 0.96, 0.97 - 0.98])
    assert fa[7] == f"{deltas.mean():+.1f} ± {np.std(deltas, ddof=1):.1f}" == "-2.0 ± 1.4"
    assert mlp[7] == "–"


def test_curves_leave_out_learners_without_val_and_say_so(groups):
    chosen = [g for g in groups if credit.on_spectrum(g)]
    (figure,) = credit.credit_curves(ReportContext(), chosen)
    assert isinstance(figure, Figure)
    assert "Left out (no val accuracy per epoch in their History): z-wta." in figure.caption


def test_alignment_plots_only_learners_that_log_angles(groups):
    chosen = [g for g in groups if credit.on_spectrum(g)]
    assert [credit.layer_keys(g) for g in credit.spectrum_order(chosen)] == [
        [],
        ["update_angle_deg"],  # three-factor logs the hidden layer's angle only
        ["update_angle_deg_1"],
        [],
    ]
    figure, table, _ = credit.alignment(ReportContext(), chosen)
    assert isinstance(figure, Figure) and "90°" in figure.caption
    assert table.rows == [
        ["b-reward", "88.0", "70.0", "–", "–"],
        ["m-random", "80.0", "45.0", "80.0", "50.0"],
    ]


def test_no_spectrum_learner_no_section(tmp_path: Path):
    runs = [make_run(tmp_path, "logreg", 0, {"test": {"accuracy": 0.9}}, learner="logreg")]
    groups = group_runs(FakeStore(runs).runs())
    for build in (credit.credit_table, credit.credit_curves, credit.alignment):
        assert build(ReportContext(), groups) == []


SPEC = """
name = "tiny-credit"
seeds = [0, 1]
tasks = [{name = "digits", subset = 200}]

[[learner]]
name = "krotov-hopfield"
label = "kh"
hidden = 16
k = 2
unsupervised_epochs = 3
epochs = 3
device = "cpu"

[[learner]]
name = "dfa"
label = "dfa"
hidden = [16, 16]
epochs = 3
device = "cpu"

[[learner]]
name = "fa"
label = "fa"
hidden = [16]
epochs = 3
device = "cpu"

[[learner]]
name = "mlp"
label = "mlp"
hidden = [16]
epochs = 3
device = "cpu"
"""


def test_sections_on_a_tiny_experiment(tmp_path: Path):
    store, experiment = run_in_process(SPEC, tmp_path)
    sections = ["credit-table", "credit-curves", "alignment"]
    out = write_report(store, experiment.name, tmp_path / "report", sections=sections)
    markdown = out.markdown.read_text()
    assert re.findall(r"^## (.+)$", markdown, flags=re.M) == [
        "The credit-assignment spectrum",
        "Speed of learning along the spectrum",
        "Alignment with backprop's gradient",
    ]
    assert "credit_curves" in markdown and "alignment" in markdown
    groups = group_runs(store.runs(experiment.name))
    (table, _) = credit.credit_table(ReportContext(), groups)
    assert [row[0] for row in table.rows] == ["kh", "dfa", "fa", "mlp"]
    mlp = next(g for g in groups if g.learner == "mlp")
    assert table.rows[-1][3] == credit._pp(mlp.values("test", "accuracy"))
    dfa = next(g for g in groups if g.learner == "dfa")
    assert credit.layer_keys(dfa) == ["update_angle_deg_1", "update_angle_deg_2"]


def test_a_report_of_only_the_two_ends_has_no_spectrum_sections(tmp_path: Path):
    """stdp-wta and mlp alone (the quickstart) are a comparison, not a spectrum."""
    groups = group_runs(classification_runs(tmp_path))
    assert credit.credit_table(ReportContext(), groups) == []
    assert credit.credit_curves(ReportContext(), groups) == []
