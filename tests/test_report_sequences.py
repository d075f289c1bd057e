"""The sequences family's report sections on a hand-built store: synthetic artifacts written by
the real Recorder (no torch, no Brian2), the numbers in the tables, which groups each figure
draws, and nothing of it for other families."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from report_stores import (
    CLASSIFICATION_SECTIONS,
    FakeStore,
    classification_runs,
    make_run,
    recorder,
)

from neurosim.activity import Activity, Signal, SpikeTrains
from neurosim.experiment.store import RunRecord
from neurosim.registry import TASKS
from neurosim.report.context import ReportContext
from neurosim.report.grouping import group_runs
from neurosim.report.section import all_sections
from neurosim.report.sections import sequences as sections
from neurosim.report.writer import ReportPaths, build_document, write_report

SEQUENCE_SECTIONS = [
    "Results",  # the one digits run's, classification's own section
    "Sequence results",
    "Accuracy",
    "Loss against the lag T",
    "Parameter sweeps",
    "Gradients through time",
    "Gates on a probe sequence",
    "Spiking activity",
    "Reservoirs",
    "Memory capacity",
    "Timings",
    "Cost per sample",
    "Runs",
]
OURS = (
    "sequence-results",
    "loss-against-lag",
    "gradients-through-time",
    "gates",
    "reservoir",
    "memory-capacity",
)
LSTM_GATES = ("input_gate", "forget_gate", "output_gate", "candidate", "cell")


def titles(markdown: str) -> list[str]:
    return re.findall(r"^## (.+)$", markdown, flags=re.M)


def section_text(markdown: str, title: str) -> str:
    return markdown.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def figures_of(markdown: str) -> list[str]:
    return re.findall(r"\]\(([^)]+\.png)\)", markdown)


def sequence_run(
    root: Path,
    label: str,
    seed: int,
    task: str,
    task_params: dict,
    test: dict,
    grid: dict | None = None,
) -> RunRecord:
    run = make_run(
        root / task, label, seed, {"val": test, "test": test}, task=task, grid=grid,
        experiment="sequences",
    )  # fmt: skip
    run.config["family"] = "sequences"
    run.config["task_params"] = task_params
    return run


def probe(task: str, lag: int | None = None) -> np.ndarray:
    """The task's first four test sequences, as a learner records them."""
    sizes = {"T": lag, "n_train": 10, "n_val": 10, "n_test": 10} if lag else {}
    return TASKS.get(task)(seed=0, **sizes).probe_set(4).x


def record_recurrent(run: RunRecord, rng: np.random.Generator, lag: int, gates: tuple) -> None:
    """Gradient norms decaying away from the end of the sequence, and the probe's gates."""
    rec = recorder(run)
    x = probe(run.task, lag)
    steps = x.shape[1]
    rec.arrays("probe_outputs", x=x, y=np.zeros(4), outputs=rng.random(4))
    epochs = np.array([1, 2, 5, 10, 20])
    distance = steps - np.arange(1, steps + 1)
    rate = 0.02 if run.learner == "lstm" else 0.2
    rec.arrays(
        "gradients_through_time",
        epochs=epochs,
        step_norms=np.exp(-rate * distance[None, :]) * np.linspace(1, 0.3, 5)[:, None],
        spectral_radius=np.stack([np.linspace(0.8, 1.1, 5), np.linspace(0.5, 0.9, 5)], axis=1),
        blocks=np.array(["W_hh", "W_ih"]),
    )
    t = np.arange(steps)
    signals = {"input": Signal(t, x[0]), "hidden": Signal(t, np.tanh(rng.normal(size=(steps, 8))))}
    for name in gates:
        signals[name] = Signal(t, rng.uniform(0, 1, (steps, 8)))
    meta = {"sequence": 0, "target": 1.25}
    rec.activity(Activity(signals=signals, meta=meta), probe="test[:4]", name="gates")


def record_reservoir(run: RunRecord, rng: np.random.Generator, steps: int, scale: float) -> None:
    rec = recorder(run)
    rec.json(
        "graph",
        {
            "generator": "erdos-renyi",
            "n_nodes": 100,
            "n_edges": 1000 + 10 * run.seed,
            "mean_degree": 20.0,
            "clustering": 0.1,
            "path_length": 1.9,
            "spectral_radius": scale,
            "degree_histogram": np.bincount(rng.binomial(40, 0.5, 100)).tolist(),
        },
    )
    lags = np.arange(1, 31)
    capacity = np.clip(np.exp(-lags / (5 * scale)), 0, 1)
    rec.arrays(
        "memory_capacity",
        lags=lags,
        capacity=capacity,
        total=np.array(capacity.sum()),
        n_units=np.array(100),
    )
    if run.learner == "esn":
        x = probe("seq-digits")
        rec.arrays("probe_outputs", x=x, y=np.zeros(4), outputs=np.zeros((4, 10)))
        state = Signal(np.arange(8), np.tanh(rng.normal(0, scale, (8, 20))))
        rec.activity(Activity(signals={"state": state}), probe="test[:4]", name="states")
    if run.learner == "reservoir":
        rec.arrays("probe_outputs", x=probe("adding", steps), y=np.zeros(4), outputs=np.zeros(4))
        end = steps * 0.02
        spikes = {
            "exc": SpikeTrains(np.sort(rng.uniform(0, end, 3000)), rng.integers(0, 80, 3000), 80),
            "inh": SpikeTrains(np.sort(rng.uniform(0, end, 900)), rng.integers(0, 20, 900), 20),
        }
        meta = {"step_ms": 20.0, "steps": steps, "sequence": 0}
        rec.activity(Activity(spikes=spikes, meta=meta), probe="test[:4]", name="raster")


def sequence_runs(root: Path) -> list[RunRecord]:
    """adding swept over T (lstm and rnn, two seeds; lstm-bare at T = 100 without artifacts; a
    reservoir at T = 100), gru on copy at T = 10, esn on seq-digits over its spectral radius."""
    rng = np.random.default_rng(0)
    runs = []
    for lag in (10, 50, 100):
        params = {"T": lag, "n_train": 5000, "n_val": 500, "n_test": 1000}
        for seed in (0, 1):
            for label, loss in (("lstm", 0.002 * lag / 100), ("rnn", 0.16)):
                loss += 0.002 * seed * lag / 100
                test = {"loss": loss, "loss_ratio": 6 * loss, "accuracy": 0.95 + 0.02 * seed}
                run = sequence_run(root, label, seed, "adding", params, test, grid={"T": lag})
                gates = LSTM_GATES if label == "lstm" else ()
                record_recurrent(run, rng, lag, gates)
                runs.append(run)
    params = {"T": 100}
    test = {"loss": 0.1, "loss_ratio": 0.6, "accuracy": 0.1}
    bare = sequence_run(root, "lstm-bare", 0, "adding", params, test, grid={"T": 100})
    recorder(bare).arrays("probe_outputs", x=np.zeros((4, 100, 2)), y=np.zeros(4))
    reservoir = sequence_run(root, "reservoir", 0, "adding", params, test, grid={"T": 100})
    record_reservoir(reservoir, rng, 100, 1.0)
    gru = sequence_run(root, "gru", 0, "copy", {"T": 10}, {"loss": 0.01, "loss_ratio": 0.067})
    record_recurrent(gru, rng, 10, ("reset_gate", "update_gate", "candidate"))
    runs += [bare, reservoir, gru]
    for scale in (0.5, 0.9, 1.2):
        for seed in (0, 1):
            test = {"loss": 0.5 / scale, "loss_ratio": 0.5 / scale / np.log(10), "accuracy": 0.9}
            grid = {"spectral_radius": scale}
            run = sequence_run(root, "esn", seed, "seq-digits", {"read": "rows"}, test, grid=grid)
            record_reservoir(run, rng, 8, scale)
            runs.append(run)
    return runs


@pytest.fixture(scope="module")
def drawn() -> dict[str, list[str]]:
    """The panels each gradients figure was asked to draw, by figure title."""
    return {}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, drawn: dict) -> ReportPaths:
    """Written once: several tests read it. A digits run of the same experiment rides along."""
    root = tmp_path_factory.mktemp("runs")
    digits = make_run(root, "mlp", 0, {"test": {"accuracy": 0.9}}, experiment="sequences")
    draw = sections.plot_gradients_through_time

    def recording(models: dict, title: str):
        drawn[title] = list(models)
        return draw(models, title)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sections, "plot_gradients_through_time", recording)
        store = FakeStore([*sequence_runs(root), digits])
        return write_report(store, "sequences", tmp_path_factory.mktemp("report"))


def test_sections_in_page_order(report: ReportPaths):
    assert titles(report.markdown.read_text()) == SEQUENCE_SECTIONS


def test_results_table_per_task_with_its_loss_baseline_and_metrics(report: ReportPaths):
    text = section_text(report.markdown.read_text(), "Sequence results")
    assert re.findall(r"^### (.+)$", text, flags=re.M) == ["adding", "copy", "seq-digits"]
    assert "| T | label | learner | seeds | test loss: mean squared error | baseline |" in text
    # losses 0.002 and 0.004: 0.003 ± 0.0014; ratios x6: 0.018 ± 0.008 (3 decimals, declared)
    assert (
        "| 100 | lstm | lstm | 2 | 0.003 ± 0.0014 | 0.1667 | 0.018 ± 0.008 | 96.0 ± 1.4 |" in text
    )
    assert "| 10 | gru | gru | 1 | 0.01 | 0.6931 | 0.067 | – | 10.0 |" in text  # 10 ln 8 / 30
    assert "| read | label | learner | seeds | test loss: cross-entropy (nats) |" in text
    assert "| rows | esn [spectral_radius=0.5] | esn | 2 | 1 ± 0 | 2.303 |" in text
    adding_rows = re.findall(r"^\| (\d+) \| (lstm|rnn) \|", text, flags=re.M)
    assert [int(t) for t, _ in adding_rows] == [10, 10, 50, 50, 100, 100]  # by T, as numbers
    assert "10 ln 8 / (T + 20)" in text and "within 0.04 of the sum" in text
    assert "mlp" not in text  # the digits run is classification's


def test_figures_and_their_captions(report: ReportPaths):
    markdown = report.markdown.read_text()
    ours = {
        "loss_against_lag.png",
        "gradients_adding.png",
        "gradients_copy.png",
        "gates_adding_lstm_T_100.png",
        "gates_copy_gru.png",
        "degree_histograms.png",
        "raster_adding_reservoir_T_100.png",
        "states_seq-digits.png",
        "memory_capacity.png",
    }
    shared = {
        "accuracy.png",
        "sweep_adding_T.png",
        "sweep_seq-digits_spectral_radius.png",
        "raster_reservoir_T_100.png",
    }
    assert set(figures_of(markdown)) == ours | shared
    for title, caption in (
        ("Loss against the lag T", "dashed: the memoryless baseline"),
        ("Gradients through time", "vanishing gradient"),
        ("Gates on a probe sequence", "Orange triangles: the two marked steps"),
        ("Gates on a probe sequence", "Orange triangles: the delimiter"),
        (
            "Reservoirs",
            "grey lines are step boundaries (20 ms per step). Orange (triangles, shading): the two",
        ),
        ("Memory capacity", "Lines are coloured by spectral_radius"),
    ):
        assert caption in section_text(markdown, title), title
    folder = report.markdown.parent
    assert all((folder / name).stat().st_size > 5000 for name in ours)


def test_each_figure_draws_the_longest_sequences_of_the_groups_that_recorded_it(
    report: ReportPaths, drawn: dict
):
    markdown = report.markdown.read_text()
    assert drawn == {
        "adding, T = 100: gradients through time": ["lstm, seed 0", "rnn, seed 0"],
        "copy, T = 10: gradients through time": ["gru, seed 0"],
    }  # not lstm-bare, which recorded no gradients
    gates = re.findall(r"^### (.+)$", section_text(markdown, "Gates on a probe sequence"), re.M)
    assert gates == ["lstm (adding, T = 100)", "gru (copy, T = 10)"]  # an RNN has no gates
    reservoir = section_text(markdown, "Reservoirs")
    assert re.findall(r"^### (.+)$", reservoir, re.M) == [
        "reservoir (adding, T = 100)",
        "States (seq-digits, read = rows)",
    ]
    assert "| reservoir | reservoir | 1 | erdos-renyi | 100 | 1000 | 20.00 |" in reservoir
    assert "| esn [spectral_radius=1.2] | esn | 2 | erdos-renyi | 100 ± 0 | 1005 ± 7 |" in reservoir


def test_a_group_without_artifacts_or_sweep_gets_the_table_only(tmp_path: Path):
    run = sequence_run(tmp_path, "lstm", 0, "adding", {"T": 50}, {"loss": 0.1})
    text = write_report(FakeStore([run]), "sequences", tmp_path / "out").markdown.read_text()
    assert titles(text) == ["Sequence results", "Timings", "Cost per sample", "Runs"]
    assert "| 50 | lstm | lstm | 1 | 0.1 | 0.1667 | – | – | 10.0 |" in text


def test_other_families_get_none_of_these_sections(tmp_path: Path):
    records = classification_runs(tmp_path)
    groups = group_runs(records)
    context = ReportContext()
    for name in OURS:
        assert all_sections()[name].groups(context, groups) == [], name
    titles_ = [s.title for s in build_document(records, "quickstart").sections]
    assert titles_ == [t for t in CLASSIFICATION_SECTIONS if t != "Parameter sweeps"]
