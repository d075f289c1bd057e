"""The representations section on hand-built stores (the real Recorder, no training): layers whose
similarity to the pixels is known by construction, seed matching by the stimuli shown, and the
figures; then once on a tiny real experiment of mlp and logreg."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from report_stores import FakeStore, make_run, recorder, run_in_process

from neurosim.activity import Activity, Signal
from neurosim.experiment.store import RunRecord
from neurosim.report.context import ReportContext
from neurosim.report.document import Figure, Paragraph, Table
from neurosim.report.grouping import group_runs
from neurosim.report.sections.representations import representations
from neurosim.report.writer import write_report

N_STIMULI, N_PIXELS = 60, 16


def stimuli(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Ten classes of noisy prototypes: each seed draws its own stimuli, as each task seed does."""
    rng = np.random.default_rng(100 + seed)
    labels = np.arange(N_STIMULI) % 10
    prototypes = np.random.default_rng(7).random((10, N_PIXELS))
    return np.clip(prototypes[labels] + rng.normal(0, 0.15, (N_STIMULI, N_PIXELS)), 0, 1), labels


def store_run(root: Path, label: str, seed: int, layers: dict, inputs, labels) -> RunRecord:
    run = make_run(root, label, seed, {"test": {"accuracy": 0.9}})
    t = np.arange(len(inputs), dtype=np.float64)
    signals = {"input": Signal(t, inputs)}
    signals.update({name: Signal(t, values) for name, values in layers.items()})
    meta = {"labels": labels.tolist(), "layers": list(signals)}
    recorder(run).activity(
        Activity(signals=signals, meta=meta), probe="test[:60]", name="representations"
    )
    return run


def fake_runs(root: Path) -> list[RunRecord]:
    """By construction: "copy" rescales the pixels (RDM and CKA both 1), "noise" is random;
    "late" ran seed 1 only; "moved" saw other stimuli than its seed's pixels (never matched)."""
    runs = []
    for seed in (0, 1):
        inputs, labels = stimuli(seed)
        rng = np.random.default_rng(seed)
        runs.append(store_run(root, "copy", seed, {"hidden": 3 * inputs}, inputs, labels))
        noise = rng.random((N_STIMULI, 20))
        runs.append(store_run(root, "noise", seed, {"output": noise}, inputs, labels))
    inputs, labels = stimuli(1)
    runs.append(store_run(root, "late", 1, {"logits": 2 * inputs + 1}, inputs, labels))
    other, _ = stimuli(5)
    runs.append(store_run(root, "moved", 0, {"exc": other}, other, labels))
    return runs


def rows_of(table: Table) -> dict[tuple[str, ...], list]:
    return {tuple(str(c) for c in row[: len(table.headers) - 4]): list(row) for row in table.rows}


def test_similarity_to_the_pixels_is_known_by_construction(tmp_path: Path):
    blocks = representations(ReportContext(), group_runs(fake_runs(tmp_path)))
    pixels, learned = [b for b in blocks if isinstance(b, Table)]
    assert pixels.headers == ["representation", "Spearman ρ", "Kendall τ_a", "linear CKA", "seeds"]
    rows = rows_of(pixels)
    assert rows[("copy · hidden",)][1:] == ["1.00 ± 0.00", "1.00 ± 0.00", "1.00 ± 0.00", 2]
    assert rows[("late · logits",)][1:] == ["1.00", "1.00", "1.00", 1]  # one seed: no sd
    rho, tau, cka = (float(cell.split(" ± ")[0]) for cell in rows[("noise · output",)][1:4])
    # CKA of unrelated responses is biased up at few stimuli: ~sqrt(p q) / n = 0.3 for Gaussians
    assert abs(rho) < 0.1 and abs(tau) < 0.1 and cka < 0.3
    # "moved" recorded other stimuli than the pixels of its seed: nothing to compare
    assert rows[("moved · exc",)][1:] == ["–", "–", "–", 0]
    pairs = rows_of(learned)
    assert pairs[("copy · hidden", "late · logits")][2:] == ["1.00", "1.00", "1.00", 1]
    assert not any("moved · exc" in pair for pair in pairs)  # never compared: left out
    figures = [b for b in blocks if isinstance(b, Figure)]
    assert [f.name for f in figures] == ["rdms_digits", "representation_similarity_digits"]
    intro = next(b for b in blocks if isinstance(b, Paragraph))
    assert "60 probe stimuli, test[:60]" in intro.text


def test_no_section_without_representations(tmp_path: Path):
    run = make_run(tmp_path, "mlp", 0, {"test": {"accuracy": 0.9}})
    assert representations(ReportContext(), group_runs([run])) == []


@pytest.mark.usefixtures("one_torch_thread")
def test_a_tiny_experiment_of_mlp_and_logreg(tmp_path: Path):
    spec = """
name = "tiny-rsa"
seeds = [0]
tasks = [{name = "digits", subset = 300}]

[[learner]]
name = "mlp"
hidden = [16]
epochs = 5
device = "cpu"

[[learner]]
name = "logreg"
"""
    store, experiment = run_in_process(spec, tmp_path)
    out = write_report(store, experiment.name, tmp_path / "report", sections=["representations"])
    markdown = out.markdown.read_text()
    assert re.findall(r"^## (.+)$", markdown, flags=re.M) == ["Representations compared"]
    blocks = representations(ReportContext(), group_runs(store.runs(experiment.name)))
    pixels, learned = [b for b in blocks if isinstance(b, Table)]
    assert [row[0] for row in pixels.rows] == ["logreg · logits", "mlp · hidden", "mlp · output"]
    assert all(row[-1] == 1 for row in pixels.rows)
    for row in pixels.rows:
        assert 0 < float(row[1]) < 1  # learned layers keep some, not all, of the pixels' geometry
    # the mlp's hidden layer sits between the pixels and its output (Spearman of the RDMs)
    assert float(rows_of(learned)[("mlp · hidden", "mlp · output")][2]) > 0.3


def test_the_section_is_drawn_for_a_store(tmp_path: Path):
    store = FakeStore(fake_runs(tmp_path))
    out = write_report(store, "quickstart", tmp_path / "report", sections=["representations"])
    markdown = out.markdown.read_text()
    assert "rdms_digits" in markdown and "representation_similarity_digits" in markdown
