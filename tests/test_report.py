"""The report on a fake store: tables with every label, figures that exist, any artifact subset."""

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from neurosim.activity import Activity, Signal, SpikeTrains
from neurosim.errors import UserError
from neurosim.experiment.report import format_values, group_runs, markdown_table, write_report


@dataclasses.dataclass
class FakeRun:
    run_id: str
    experiment: str
    task: str
    learner: str
    label: str
    seed: int
    config: dict
    metrics: dict
    timings: dict
    history: list
    directory: Path


class FakeStore:
    def __init__(self, runs: list[FakeRun]):
        self._runs = runs

    def runs(self, experiment: str | None = None) -> list[FakeRun]:
        return [r for r in self._runs if experiment is None or r.experiment == experiment]


def make_run(root: Path, label: str, seed: int, test: dict, **overrides) -> FakeRun:
    fields = dict(
        run_id=f"{label}-{seed}",
        experiment="quickstart",
        task="digits",
        learner=label.split("-")[0],
        label=label,
        seed=seed,
        config={"params": {}, "budget": {}, "task_params": {}},
        metrics={"test": test, "val": {"accuracy": test["accuracy"] - 0.01}},
        timings={"fit_s": 10.0 + seed, "evaluate_s": 1.0, "total_s": 11.0 + seed},
        history=[
            {"samples": s, "val_accuracy": test["accuracy"] * s / 1000} for s in (10, 100, 1000)
        ],
        directory=root / f"{label}-{seed}",
    )
    fields.update(overrides)
    run = FakeRun(**fields)
    (run.directory / "artifacts").mkdir(parents=True)
    return run


def write_spiking_artifacts(run: FakeRun, rng: np.random.Generator) -> None:
    artifacts = run.directory / "artifacts"
    y = rng.integers(0, 10, 60)
    np.savez(artifacts / "predictions.npz", y_true=y, y_pred=np.where(rng.random(60) < 0.8, y, 3))
    np.savez(
        artifacts / "receptive_fields.npz",
        weights=rng.random((16, 64)),
        image_shape=np.array([8, 8]),
        assignments=rng.integers(0, 10, 16),
    )
    onsets = np.arange(12) * 0.5
    exc = SpikeTrains(np.sort(rng.uniform(0, 6, 500)), rng.integers(0, 16, 500), n_units=16)
    inh = SpikeTrains(np.sort(rng.uniform(0, 6, 300)), rng.integers(0, 16, 300), n_units=16)
    meta = {
        "onsets": onsets.tolist(),
        "labels": rng.integers(0, 10, 12).tolist(),
        "presentation_s": 0.35,
        "images": rng.random((12, 64)).tolist(),
        "image_shape": [8, 8],
    }
    Activity(spikes={"exc": exc, "inh": inh}, meta=meta).save(
        artifacts / "activity_test_digits.npz"
    )


@pytest.fixture
def store(tmp_path: Path) -> FakeStore:
    rng = np.random.default_rng(0)
    runs = []
    for seed, acc in enumerate([0.80, 0.84]):
        run = make_run(
            tmp_path,
            "stdp-wta",
            seed,
            {"accuracy": acc, "probe_accuracy": acc + 0.06},
            history=[{"samples": 1000, "train_accuracy": acc}],
        )
        write_spiking_artifacts(run, rng)
        runs.append(run)
    for seed, acc in enumerate([0.97, 0.96, 0.98]):
        run = make_run(tmp_path, "mlp-adam", seed, {"accuracy": acc})
        y = rng.integers(0, 10, 60)
        np.savez(run.directory / "artifacts" / "predictions.npz", y_true=y, y_pred=y)
        hidden = Signal(np.arange(5) * 0.1, rng.random((5, 8)))
        Activity(signals={"hidden": hidden}).save(
            run.directory / "artifacts" / "activity_test_samples.npz"
        )
        runs.append(run)
    runs.append(make_run(tmp_path, "other", 0, {"accuracy": 0.5}, experiment="elsewhere"))
    return FakeStore(runs)


def figures_of(markdown: str) -> list[str]:
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)


def test_report_has_every_label_number_and_figure(store: FakeStore, tmp_path: Path):
    path = write_report(store, "quickstart", tmp_path / "report", description="STDP vs MLP.")
    text = path.read_text()
    assert path == tmp_path / "report" / "report.md"
    assert text.startswith("# quickstart\n") and "STDP vs MLP." in text
    for expected in (
        "| stdp-wta | stdp | digits | 2 | 82.0 ± 2.8 % | 88.0 ± 2.8 % | 81.0 ± 2.8 %"
        " | 10.5 ± 0.7 |",
        "| mlp-adam | mlp | digits | 3 | 97.0 ± 1.0 % | – | 96.0 ± 1.0 % | 11.0 ± 1.0 |",
        "| `stdp-wta-1` | stdp-wta | digits | 1 | 84.0 % |",
    ):
        assert expected in text
    assert "| other |" not in text  # a run of another experiment
    figures = figures_of(text)
    assert set(figures) == {
        "accuracy.png",
        "learning_curves.png",
        "receptive_fields_stdp-wta.png",
        "raster_stdp-wta.png",
        "confusion.png",
    }
    assert all((tmp_path / "report" / name).stat().st_size > 1000 for name in figures)
    assert "| exc | 16 |" in text  # spike statistics under the raster
    assert "## Notes" not in text


def test_report_without_artifacts_still_has_tables(tmp_path: Path):
    runs = [make_run(tmp_path, "mlp", seed, {"accuracy": 0.9}, history=[]) for seed in (0, 1)]
    text = write_report(FakeStore(runs), "quickstart", tmp_path / "out").read_text()
    assert "| mlp | mlp | digits | 2 | 90.0 ± 0.0 % |" in text
    assert figures_of(text) == ["accuracy.png"]
    assert "Timings" in text and "`mlp-1`" in text


def test_unreadable_artifact_becomes_a_note(tmp_path: Path):
    run = make_run(tmp_path, "mlp", 0, {"accuracy": 0.9})
    (run.directory / "artifacts" / "predictions.npz").write_text("not a zip file")
    np.savez(run.directory / "artifacts" / "receptive_fields.npz", weights=np.ones((2, 4)))
    text = write_report(FakeStore([run]), "quickstart", tmp_path / "out").read_text()
    assert "could not read `predictions.npz` of run `mlp-0`" in text
    assert (
        "could not read `receptive_fields.npz` of run `mlp-0`: 'missing arrays image_shape'" in text
    )


def test_no_runs_is_a_user_error(tmp_path: Path):
    with pytest.raises(UserError, match="no runs"):
        write_report(FakeStore([]), "quickstart", tmp_path)


def test_runs_sharing_a_label_are_told_apart_by_their_parameters(tmp_path: Path):
    runs = [
        make_run(
            tmp_path,
            "mlp",
            seed,
            {"accuracy": 0.9},
            run_id=f"r{seed}{lr}",
            directory=tmp_path / f"r{seed}{lr}",
            config={"params": {"lr": lr, "width": 100}},
        )
        for lr in (0.001, 0.003)
        for seed in (0, 1)
    ]
    runs += [
        make_run(
            tmp_path,
            "mlp",
            0,
            {"accuracy": 0.9},
            run_id="short",
            directory=tmp_path / "s",
            config={"params": {"lr": 0.001, "width": 100}, "budget": {"epochs": 1}},
        )
    ]
    groups = group_runs(runs)
    assert list(groups) == [
        "mlp [budget.epochs=None, lr=0.001]",
        "mlp [budget.epochs=None, lr=0.003]",
        "mlp [budget.epochs=1, lr=0.001]",
    ]
    assert [r.seed for r in groups["mlp [budget.epochs=None, lr=0.003]"]] == [0, 1]


def test_formatting_helpers():
    assert format_values("probe_accuracy", [0.5]) == "50.0 %"
    assert format_values("fit_s", [1.0, 3.0]) == "2.0 ± 1.4"
    assert format_values("perplexity", [101.25, 99.75]) == "100.5 ± 1.1"
    assert format_values("accuracy", []) == "–"
    assert format_values("steps_to_solve", [25000.0, 45000.0]) == "35000 ± 14142"
    assert markdown_table(["a", "b"], [[1, "x|y"]]) == "| a | b |\n| --- | --- |\n| 1 | x\\|y |\n"


def make_control_run(root: Path, label: str, seed: int, solved_at: float | None) -> FakeRun:
    steps = [2500.0 * k for k in range(1, 9)]
    returns = [min(500.0, 60.0 * k) for k in range(1, 9)]
    metrics = {
        "mean_return": 500.0 if solved_at else 120.0,
        "best_eval_return": max(returns),
        "steps_to_solve": solved_at if solved_at else float("nan"),
        "wall_s_to_solve": solved_at / 1000 if solved_at else float("nan"),
        "auc_return": 250.0,
        "last50_train_return": 90.0,
    }
    return make_run(
        root,
        label,
        seed,
        {"accuracy": 0.0},  # replaced below: control runs have no test split
        task="cartpole",
        metrics={"eval": metrics},
        history=[
            {"env_steps": s, "samples": s, "wall_s": s / 1000, "eval_return": r}
            for s, r in zip(steps, returns, strict=True)
        ],
    )


def test_control_report_shows_returns_steps_to_solve_curves_and_the_spiking_agent(tmp_path):
    runs = [
        make_control_run(tmp_path, "dqn", 0, 12500.0),
        make_control_run(tmp_path, "dqn", 1, None),
        make_control_run(tmp_path, "rstdp-agent", 0, None),
    ]
    spiking = runs[2]
    (spiking.directory / "artifacts" / "closed_loop.json").write_text(
        '{"build_s": 61.2, "env_steps": 100, "episodes": 4, "ms_per_env_step": 3.04}'
    )
    (spiking.directory / "artifacts" / "episodes.json").write_text(
        '{"returns": [10, 20, 30, 40], "end_env_steps": [10, 30, 60, 100]}'
    )
    np.savez(
        spiking.directory / "artifacts" / "weights.npz",
        episodes=np.array([0, 25, 50]),
        actor=np.random.default_rng(0).random((3, 4, 8)),  # 2 actions x 2 neurons, 2 dims x 4
        critic=np.random.default_rng(1).random((3, 2, 8)),
        n_per_action=np.array(2),
        n_critic=np.array(2),
        n_per_dim=np.array(4),
        dimension_names=np.array(["x", "v"]),
    )
    Activity(
        spikes={
            "input": SpikeTrains([0.01, 0.02], [0, 3], 8),
            "action": SpikeTrains([0.015], [1], 4),
        }
    ).save(spiking.directory / "artifacts" / "activity_episode.npz")
    for run in runs:
        run.experiment = "control"
    path = write_report(FakeStore(runs), "control", tmp_path / "report")
    text = path.read_text()
    assert "## Returns" in text and "| dqn | dqn | cartpole | 2 | 310.0 ± 268.7" in text
    assert "1/2" in text  # one of two dqn seeds solved
    assert "12.5k steps, 12 s" in text and "not solved (best 480)" in text
    assert "## Learning curves: cartpole" in text and "## Spiking agent: rstdp-agent" in text
    assert "| 0 | 4 | 100 | 61 | 3.04 |" in text  # the closed loop's build time and step cost
    assert "## Accuracy" not in text and "## Confusion" not in text  # no classification sections
    for image in re.findall(r"\]\(([^)]+\.png)\)", text):
        assert (tmp_path / "report" / image).stat().st_size > 1000
    assert {"episodes_rstdp-agent.png", "weights_rstdp-agent.png", "raster_rstdp-agent.png"} <= {
        p.name for p in (tmp_path / "report").iterdir()
    }
