"""The report on hand-built stores: which sections appear, the numbers in them, the artifacts found
by kind (and by the old file names for runs stored before manifests), notes for unreadable ones."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from report_stores import (
    CLASSIFICATION_SECTIONS,
    CONTROL_SECTIONS,
    FakeStore,
    classification_runs,
    control_runs,
    make_run,
)

from neurosim.activity import Activity, SpikeTrains
from neurosim.errors import UserError
from neurosim.report.section import all_sections
from neurosim.report.writer import ReportPaths, build_document, write_report


def titles(markdown: str) -> list[str]:
    return re.findall(r"^## (.+)$", markdown, flags=re.M)


def figures_of(markdown: str) -> list[str]:
    return re.findall(r"\]\(([^)]+\.png)\)", markdown)


@pytest.fixture(scope="module")
def classification(tmp_path_factory: pytest.TempPathFactory) -> FakeStore:
    root = tmp_path_factory.mktemp("runs")
    runs = classification_runs(root)
    runs.append(make_run(root, "other", 0, {"test": {"accuracy": 0.5}}, experiment="x"))
    return FakeStore(runs)


@pytest.fixture(scope="module")
def report(classification: FakeStore, tmp_path_factory: pytest.TempPathFactory) -> ReportPaths:
    """Written once: several tests read it."""
    out = tmp_path_factory.mktemp("report")
    return write_report(classification, "quickstart", out, "STDP vs MLP.")


def test_classification_report_sections_numbers_and_figures(report: ReportPaths):
    assert report.markdown.name == "report.md" and report.html.name == "report.html"
    assert report.markdown.parent == report.html.parent
    text = report.markdown.read_text()
    assert text.startswith("# quickstart\n") and "STDP vs MLP." in text
    assert titles(text) == [t for t in CLASSIFICATION_SECTIONS if t != "Parameter sweeps"]
    # mean ± sample sd by hand: (0.80, 0.84) -> 82.0 ± 2.8 %; (0.97, 0.96, 0.98) -> 97.0 ± 1.0 %
    assert "| mlp-adam | mlp | digits | 3 | 97.0 ± 1.0 | – | 96.0 ± 1.0 | 11.0 ± 1.0 |" in text
    assert (
        "| stdp-wta | stdp | digits | 2 | 82.0 ± 2.8 | 88.0 ± 2.8 | 81.0 ± 2.8 | 10.5 ± 0.7 |"
        in text
    )
    assert "| `stdp-wta-1` | stdp-wta | digits | 1 | 84.0 | 90.0 |" in text
    assert "| other |" not in text  # a run of another experiment
    # validation and online training accuracy kept apart, one panel each
    assert "Left: validation accuracy, on a split" in text and "; right: online training" in text
    assert "| exc | 16 |" in text and "| inh | 4 |" in text  # populations as the activity has them
    assert set(figures_of(text)) == {
        "accuracy.png",
        "learning_curves.png",
        "receptive_fields_mlp-adam.png",
        "receptive_fields_stdp-wta.png",
        "raster_stdp-wta.png",
        "confusion.png",
        "connectivity_degrees.png",
    }
    assert all((report.markdown.parent / name).stat().st_size > 1000 for name in figures_of(text))


def test_html_has_the_same_sections_with_images_inlined(report: ReportPaths):
    html = report.html.read_text()
    assert re.findall(r'<h2 id="[^"]+">([^<]+)</h2>', html) == [
        t for t in CLASSIFICATION_SECTIONS if t != "Parameter sweeps"
    ]
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) == len(figures_of(report.markdown.read_text()))
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<script" not in html and "http" not in html


def test_control_report_sections(tmp_path: Path):
    text = write_report(FakeStore(control_runs(tmp_path)), "control", tmp_path / "r").markdown
    text = text.read_text()
    assert titles(text) == CONTROL_SECTIONS
    # mean_return 500 and 120 -> 310.0 ± 268.7 (sample sd 268.70); one of the two seeds solved
    assert (
        "| dqn | dqn | cartpole | 2 | 310.0 ± 268.7 | 480.0 ± 0.0 | 250.0 ± 0.0 | 90.0 ± 0.0 "
        "| 1/2 |" in text
    )
    assert "| dqn | 12500 steps, 12.5 s | not solved (best 480.0) |" in text
    assert "| 0 | 4 | 100 | 61.2 | 3.04 |" in text  # the closed loop's build time and step cost
    assert "| input | 8 |" in text and "| action | 4 |" in text


def test_sections_named_are_the_only_ones_in_page_order(classification, tmp_path: Path):
    records = classification.runs("quickstart")
    document = build_document(records, "quickstart", sections=["run-ids", "results", "returns"])
    assert [s.title for s in document.sections] == ["Results", "Runs"]  # returns: no eval runs


def test_unknown_section_is_refused(classification):
    with pytest.raises(UserError, match="unknown report section 'resluts'.*'results'"):
        build_document(classification.runs("quickstart"), "quickstart", sections=["resluts"])


def test_every_section_is_registered():
    assert sorted(all_sections()) == sorted(
        [
            "accuracy",
            "adaptive-generalization",
            "alignment",
            "credit-curves",
            "credit-table",
            "capacity",
            "double-descent",
            "memorisation",
            "regularisers",
            "representations",
            "optimizer-comparison",
            "confusion",
            "connectivity",
            "cost",
            "control-curves",
            "descent-curves",
            "descent-paths",
            "descent-table",
            "embedding-neighbours",
            "gates",
            "generated-text",
            "gradients-through-time",
            "hessian",
            "landscape-lines",
            "landscape-slices",
            "sharpness",
            "invariance-curves",
            "invariance-table",
            "language-results",
            "learning-curves",
            "loss-against-lag",
            "memory-capacity",
            "perplexity-by-position",
            "perplexity-curves",
            "receptive-fields",
            "reservoir",
            "results",
            "returns",
            "run-ids",
            "sentence-gates",
            "sequence-results",
            "spiking-activity",
            "spiking-agent",
            "steps-to-solve",
            "stn-outputs",
            "stn-transformations",
            "sweep",
            "timings",
            "training-episodes",
            "weight-dependence",
        ]
    )


def test_report_without_artifacts_still_has_tables(tmp_path: Path):
    runs = [make_run(tmp_path, "mlp", seed, {"test": {"accuracy": 0.9}}) for seed in (0, 1)]
    text = write_report(FakeStore(runs), "quickstart", tmp_path / "out").markdown.read_text()
    assert "| mlp | mlp | digits | 2 | 90.0 ± 0.0 | 10.5 ± 0.7 |" in text
    assert figures_of(text) == ["accuracy.png"]
    assert titles(text) == ["Results", "Accuracy", "Timings", "Cost per sample", "Runs"]


def test_unreadable_artifacts_become_notes(tmp_path: Path):
    run = make_run(tmp_path, "mlp", 0, {"test": {"accuracy": 0.9}})
    artifacts = run.directory / "artifacts"
    (artifacts / "predictions.npz").write_text("not a zip file")
    np.savez(artifacts / "receptive_fields.npz", weights=np.ones((2, 4)))
    text = write_report(FakeStore([run]), "quickstart", tmp_path / "out").markdown.read_text()
    assert titles(text)[-1] == "Notes"
    assert "could not read predictions 'predictions' of run mlp-0" in text
    missing = "could not read receptive_fields 'receptive_fields' of run mlp-0: 'missing arrays"
    assert f"{missing} image_shape'" in text


def test_runs_stored_before_manifests_are_read_by_their_file_names(tmp_path: Path):
    """Old runs: receptive_fields.npz without a `signed` flag, activity_<probe>.npz."""
    run = make_run(tmp_path, "logreg", 0, {"test": {"accuracy": 0.9}})
    artifacts = run.directory / "artifacts"
    weights = np.random.default_rng(0).normal(0, 1, (10, 64))
    np.savez(artifacts / "receptive_fields.npz", weights=weights, image_shape=np.array([8, 8]))
    spikes = {"l4": SpikeTrains([0.1, 0.2, 0.3], [0, 1, 0], 2), "l23": SpikeTrains([0.15], [0], 1)}
    Activity(spikes=spikes).save(artifacts / "activity_test_digits.npz")
    text = write_report(FakeStore([run]), "quickstart", tmp_path / "out").markdown.read_text()
    assert "red pixels excite the unit" in text  # negative weights: drawn as signed
    assert text.index("| l4 | 2 |") < text.index("| l23 | 1 |")  # stored order, any names


def test_sweep_replaces_bars_and_sorts_numerically(tmp_path: Path):
    runs = classification_runs(tmp_path, sweep=True)
    text = write_report(FakeStore(runs), "quickstart", tmp_path / "out").markdown.read_text()
    assert "Parameter sweeps" in titles(text)
    assert "sweep_digits_n_neurons.png" in figures_of(text)
    rows = re.findall(r"^\| (wta-n \[n_neurons=\d+\]) \|", text, flags=re.M)
    assert rows[:3] == ["wta-n [n_neurons=50]", "wta-n [n_neurons=100]", "wta-n [n_neurons=200]"]


def test_a_sweep_whose_metric_is_nan_everywhere_draws_no_figure(tmp_path: Path):
    """A steps-to-minimum that no run reached is NaN at every point: nothing to draw, and the
    rest of the report is still written."""
    nan = float("nan")
    runs = [
        make_run(tmp_path, "wta-n", seed, {"test": {"accuracy": nan}}, grid={"n_neurons": n})
        for n in (50, 100)
        for seed in (0, 1)
    ]
    text = write_report(FakeStore(runs), "quickstart", tmp_path / "out").markdown.read_text()
    assert not any(name.startswith("sweep_") for name in figures_of(text))
    assert "Runs" in titles(text)


def test_no_runs_is_a_user_error(tmp_path: Path):
    with pytest.raises(UserError, match="no runs"):
        write_report(FakeStore([]), "quickstart", tmp_path)
