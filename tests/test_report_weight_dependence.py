"""The weight-dependence section: one table row and two figures per distinct rule (by fingerprint,
whatever the labels), numbers as the characterisation recorded them, accuracy averaged over
every run of the rule, nothing for runs without a characterisation; and the section drawn from
a real stdp-wta run."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from report_stores import FakeStore, make_run, recorder, run_in_process

from neurosim.report.context import ReportContext
from neurosim.report.document import Figure, Table
from neurosim.report.grouping import group_runs
from neurosim.report.sections import weight_dependence as section
from neurosim.report.writer import write_report

W0 = [0.1, 0.5, 0.9]
DT = [float(t) for t in range(-60, 61, 4) if t != 0]


def characterisation(fingerprint: str, mu: float | None, bimodal: bool) -> dict:
    """A soft-bound rule's numbers by theory (mu None: additive): LTP A+ (1 - w)^mu and LTD
    A- w^mu, exponential sides with tau = 20 ms; weights at the bounds or around one mode."""
    a_plus, a_minus = 0.005, 0.00525
    ltp = [a_plus * (1 - w) ** (mu or 0) for w in W0]
    ltd = [a_minus * w ** (mu or 0) for w in W0]
    dw = [
        [p * np.exp(-t / 20) if t > 0 else -m * np.exp(t / 20) for t in DT]
        for p, m in zip(ltp, ltd, strict=True)
    ]
    if bimodal:  # mean 0.4
        weights = np.concatenate([np.zeros(60), np.ones(40)])
    else:  # mean 0.45
        weights = np.linspace(0.3, 0.6, 100)
    return {
        "rule": "stdp-pair-additive" if mu is None else "gutig",
        "fingerprint": fingerprint,
        "weight_dependence": {
            "w0": W0,
            "dt_ms": DT,
            "dw": [list(map(float, row)) for row in dw],
            "ltp_amplitude": ltp,
            "ltd_amplitude": ltd,
        },
        "stationary": {
            "weights": weights.tolist(),
            "bimodality": 0.81 if bimodal else 0.32,
            "measure": "bimodality coefficient",
            "bimodal": bimodal,
            "n_synapses": 100,
            "input_rate_hz": 10.0,
            "duration_s": 200.0,
        },
    }


def _store(root: Path) -> list:
    """'additive' (seeds 0, 1) and 'additive-copy' share one rule; 'gutig' runs at mu = 0.4 and
    mu = 1 (two rules; at 0.4 the distribution had not settled); 'mlp' records none."""
    runs = []
    for label, seed, accuracy in (
        ("additive", 0, 0.70),
        ("additive", 1, 0.74),
        ("additive-copy", 0, 0.66),
    ):
        run = make_run(root, label, seed, {"test": {"accuracy": accuracy}}, learner="stdp-wta")
        recorder(run).json(section.ARTIFACT, characterisation("add", None, bimodal=True))
        runs.append(run)
    for mu, accuracy in ((0.4, 0.85), (1.0, 0.80)):
        for seed in (0, 1):
            run = make_run(
                root,
                "gutig",
                seed,
                {"test": {"accuracy": accuracy + 0.02 * seed}},
                learner="stdp-wta",
                grid={"mu": mu},
            )
            data = characterisation(f"gutig-{mu}", mu, bimodal=False)
            data["stationary"]["settled"] = mu != 0.4
            recorder(run).json(section.ARTIFACT, data)
            runs.append(run)
    runs.append(make_run(root, "mlp", 0, {"test": {"accuracy": 0.97}}))
    return runs


@pytest.fixture
def blocks(tmp_path: Path) -> list:
    groups = group_runs(FakeStore(_store(tmp_path)).runs())
    return section.weight_dependence(ReportContext(), groups)


def test_one_row_and_one_figure_per_distinct_rule(blocks: list):
    table, *figures = blocks
    assert isinstance(table, Table) and all(isinstance(f, Figure) for f in figures)
    assert [row[:2] for row in table.rows] == [
        ["stdp-pair-additive", "additive, additive-copy"],
        ["gutig", "gutig [mu=0.4]"],
        ["gutig", "gutig [mu=1.0]"],
    ]
    assert [f.name for f in figures] == [
        "weight-dependence-additive",
        "stationary-weights-additive",
        "weight-dependence-gutig [mu=0.4]",
        "stationary-weights-gutig [mu=0.4]",
        "weight-dependence-gutig [mu=1.0]",
        "stationary-weights-gutig [mu=1.0]",
    ]
    assert all(f.png.startswith(b"\x89PNG") for f in figures)
    assert all("Used by: additive, additive-copy." in f.caption for f in figures[:2])
    assert "100 synapses" in figures[1].caption and "at 10 Hz" in figures[1].caption


def test_table_numbers_as_recorded(blocks: list):
    table = blocks[0]
    additive, mu04, mu1 = table.rows
    # accuracy over every run of the rule: (70, 74, 66) -> 70.0 ± 4.0
    assert additive[5] == "70.0 ± 4.0"
    assert additive[4] == "bimodal (0.81), mean 0.40 wmax"
    assert mu1[4] == "not bimodal (0.32), mean 0.45 wmax"
    # mu = 1: LTP 0.005 (1 - w), LTD 0.00525 w at w = 0.1, 0.5, 0.9
    assert mu1[2] == "4.50e-03, 2.50e-03, 5.00e-04"
    assert mu1[3] == "5.25e-04, 2.63e-03, 4.73e-03"
    assert additive[2] == "5.00e-03, 5.00e-03, 5.00e-03"
    assert mu04[5] == "86.0 ± 1.4"
    assert mu04[4] == "not bimodal (0.32), mean 0.45 wmax, still changing after 200 s"
    assert "w0 = 0.1, 0.5, 0.9 wmax" in table.headers[2]
    assert table.headers[4] == "stationary weights (bimodality)"


def test_no_characterisation_no_section(tmp_path: Path):
    runs = [make_run(tmp_path, "mlp", 0, {"test": {"accuracy": 0.9}})]
    recorder(runs[0]).json("simulation", {"spikes": 3})
    assert section.weight_dependence(ReportContext(), group_runs(runs)) == []


def test_report_shows_the_section_after_the_sweep(tmp_path: Path):
    store = FakeStore(_store(tmp_path / "runs"))
    out = write_report(
        store, "quickstart", tmp_path / "report", sections=["weight-dependence", "sweep"]
    )
    text = out.markdown.read_text()
    assert re.findall(r"^## (.+)$", text, flags=re.M) == [
        "Parameter sweeps",
        "Weight dependence of the rules",
    ]
    pngs = re.findall(r"\(((?:weight-dependence|stationary-weights)[^)]+\.png)\)", text)
    assert len(pngs) == 6 and all((out.markdown.parent / p).stat().st_size > 10_000 for p in pngs)


TINY_SPEC = """
name = "tiny-weight-dependence"
seeds = [0]
tasks = [{name = "digits", subset = 100}]
[[learner]]
name = "stdp-wta"
label = "soft"
n_neurons = 10
rule = "stdp-pair-gutig"
rule_parameters = { A_plus = 0.05, A_minus = 0.0525 }
[grid]
"soft.rule.mu" = [1]
"""


def test_section_on_a_real_stdp_wta_run(tmp_path: Path):
    """The learner records its rule's characterisation and the section draws it. At mu = 1 the
    amplitudes are A+ (1 - w) and A- w (the spec's A+ = 0.05, A- = 0.0525), and the weights
    gather more tightly than a uniform spread."""
    store, experiment = run_in_process(TINY_SPEC, tmp_path)
    out = write_report(store, experiment.name, tmp_path / "r", sections=["weight-dependence"])
    text = out.markdown.read_text()
    assert re.findall(r"^## (.+)$", text, flags=re.M) == ["Weight dependence of the rules"]
    assert "| stdp-pair-gutig | soft [mu=1] |" in text
    assert (
        "(weight-dependence-soft_mu_1.png)" in text and "(stationary-weights-soft_mu_1.png)" in text
    )
    ((data, users),) = section.rule_groups(ReportContext(), group_runs(store.runs()))
    assert [g.name for g in users] == ["soft [mu=1]"]
    dependence = data["weight_dependence"]
    w0 = np.array(dependence["w0"])
    np.testing.assert_allclose(dependence["ltp_amplitude"], 0.05 * (1 - w0), rtol=0.02)
    np.testing.assert_allclose(dependence["ltd_amplitude"], 0.0525 * w0, rtol=0.02)
    assert data["stationary"]["bimodality"] < 5 / 9
