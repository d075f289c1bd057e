"""Small synthetic stores for the report tests: RunRecords with made-up metrics, histories and
artifacts written by the real Recorder (so each run has a manifest), no training."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neurosim.activity import Activity, Signal, SpikeTrains
from neurosim.artifacts import Recorder
from neurosim.experiment.runner import execute_run
from neurosim.experiment.spec import Experiment, load_spec
from neurosim.experiment.store import RunRecord, Store


def run_in_process(spec_text: str, root: Path) -> tuple[Store, Experiment]:
    """Every run of a spec executed in this process into a real Store under `root` (no worker
    processes: fast for tiny experiments, and plug-in tasks registered here are seen)."""
    spec_path = root / "spec.toml"
    spec_path.write_text(spec_text)
    experiment = load_spec(spec_path)
    store = Store(root / "results")
    runs = experiment.runs()
    store.set_experiment(experiment.name, experiment.description, runs)
    for run in runs:
        store.commit(run, execute_run(run, root / "work" / run.run_id))
    return store, experiment


class FakeStore:
    def __init__(self, runs: list[RunRecord]):
        self._runs = runs

    def runs(self, experiment: str | None = None) -> list[RunRecord]:
        return [r for r in self._runs if experiment is None or r.experiment == experiment]


# The section titles each store's report must show, in page order (sweep: with a grid).
CLASSIFICATION_SECTIONS = [
    "Results",
    "Accuracy",
    "Parameter sweeps",
    "Learning curves",
    "Receptive fields",
    "Spiking activity",
    "Confusion matrices",
    "Connectivity",
    "Timings",
    "Cost per sample",
    "Runs",
]
CONTROL_SECTIONS = [
    "Returns",
    "Steps to solve, per seed",
    "Returns during training",
    "Training episodes",
    "Spiking activity",
    "Spiking agent",
    "Timings",
    "Cost per sample",
    "Runs",
]


def make_run(
    root: Path,
    label: str,
    seed: int,
    metrics: dict,
    *,
    experiment: str = "quickstart",
    task: str = "digits",
    learner: str | None = None,
    grid: dict | None = None,
    history: list | None = None,
    timings: dict | None = None,
) -> RunRecord:
    grid = grid or {}
    run_id = f"{label}-{seed}-" + "-".join(f"{v}" for v in grid.values()).replace(" ", "")
    run = RunRecord(
        run_id=run_id.rstrip("-"),
        experiment=experiment,
        task=task,
        learner=learner or label.split("-")[0],
        label=label,
        seed=seed,
        config={"params": {}, "budget": {}, "task_params": {}, "grid": grid},
        metrics=metrics,
        timings=timings or {"fit_s": 10.0 + seed, "evaluate_s": 1.0, "total_s": 11.0 + seed},
        history=history or [],
        directory=root / run_id.rstrip("-"),
    )
    (run.directory / "artifacts").mkdir(parents=True)
    return run


def recorder(run: RunRecord) -> Recorder:
    return Recorder(run.directory / "artifacts")


def digit_activity(rng: np.random.Generator) -> Activity:
    """Two populations, 12 presentations of 0.5 s, with the stimuli in the meta."""
    onsets = np.arange(12) * 0.5
    exc = SpikeTrains(np.sort(rng.uniform(0, 6, 500)), rng.integers(0, 16, 500), n_units=16)
    inh = SpikeTrains(np.sort(rng.uniform(0, 6, 300)), rng.integers(0, 4, 300), n_units=4)
    meta = {
        "onsets": onsets.tolist(),
        "labels": rng.integers(0, 10, 12).tolist(),
        "presentation_s": 0.35,
        "images": rng.random((12, 64)).tolist(),
        "image_shape": [8, 8],
    }
    return Activity(spikes={"exc": exc, "inh": inh}, meta=meta)


def predictions(rec: Recorder, rng: np.random.Generator, accuracy: float) -> None:
    y = np.arange(60) % 10
    rec.predictions("test", y, np.where(rng.random(60) < accuracy, y, 3))


def classification_runs(root: Path, sweep: bool = False) -> list[RunRecord]:
    """stdp-wta (2 seeds, spiking artifacts), mlp-adam (3 seeds, signed receptive fields) and,
    with `sweep`, wta-n swept over n_neurons = 200, 50, 100 (stored out of order)."""
    rng = np.random.default_rng(0)
    runs = []
    for seed, acc in enumerate([0.80, 0.84]):
        run = make_run(
            root,
            "stdp-wta",
            seed,
            {
                "val": {"accuracy": acc - 0.01},
                "test": {"accuracy": acc, "probe_accuracy": acc + 0.06},
            },
            history=[{"samples": s, "train_accuracy": acc * s / 1000} for s in (100, 500, 1000)],
        )
        rec = recorder(run)
        rec.receptive_fields(
            rng.random((16, 64)), signed=False, image_shape=(8, 8), assignments=np.arange(16) % 10
        )
        rec.activity(digit_activity(rng), probe="test[:12]", name="probe")
        predictions(rec, rng, acc)
        runs.append(run)
    for seed, acc in enumerate([0.97, 0.96, 0.98]):
        run = make_run(
            root,
            "mlp-adam",
            seed,
            {"val": {"accuracy": acc - 0.01}, "test": {"accuracy": acc}},
            history=[
                {
                    "samples": s,
                    "val_accuracy": acc * s / 1000,
                    "train_accuracy": min(1.0, acc * s / 900),
                }
                for s in (10, 100, 1000)
            ],
        )
        rec = recorder(run)
        rec.receptive_fields(rng.normal(0, 0.3, (9, 64)), signed=True, image_shape=(8, 8))
        hidden = Signal(np.arange(5) * 0.1, rng.random((5, 8)))
        rec.activity(Activity(signals={"hidden": hidden}), probe="test[:5]", name="probe")
        predictions(rec, rng, acc)
        runs.append(run)
    if sweep:
        for n, acc in ((200, 0.9), (50, 0.6), (100, 0.8)):
            for seed in (0, 1):
                runs.append(
                    make_run(
                        root,
                        "wta-n",
                        seed,
                        {"test": {"accuracy": acc + 0.01 * seed}},
                        learner="stdp-wta",
                        grid={"n_neurons": n},
                    )
                )
    return runs


def control_runs(root: Path) -> list[RunRecord]:
    """dqn (two seeds, one solved) and rstdp-agent (one seed, spikes and weight snapshots)."""
    (runs, recorders) = zip(
        _control_run(root, "dqn", 0, 12500.0),
        _control_run(root, "dqn", 1, None),
        _control_run(root, "rstdp-agent", 0, None),
        strict=True,
    )
    rng = np.random.default_rng(1)
    rec = recorders[2]
    rec.json(
        "closed_loop", {"build_s": 61.2, "env_steps": 100, "episodes": 4, "ms_per_env_step": 3.04}
    )
    rec.weight_snapshots(
        "weights",
        episodes=np.array([0, 25, 50]),
        actor=rng.random((3, 4, 8)),  # 2 actions x 2 neurons, 2 dims x 4 inputs
        critic=rng.random((3, 2, 8)),
        n_per_action=np.array(2),
        n_critic=np.array(2),
        n_per_dim=np.array(4),
        dimension_names=np.array(["x", "v"]),
    )
    spikes = {
        "input": SpikeTrains(np.sort(rng.uniform(0, 1.5, 200)), rng.integers(0, 8, 200), 8),
        "action": SpikeTrains(np.sort(rng.uniform(0, 1.5, 60)), rng.integers(0, 4, 60), 4),
    }
    rec.activity(Activity(spikes=spikes), probe="last training episode", name="episode")
    return list(runs)


def _control_run(
    root: Path, label: str, seed: int, solved_at: float | None
) -> tuple[RunRecord, Recorder]:
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
    run = make_run(
        root,
        label,
        seed,
        {"eval": metrics},
        experiment="control",
        task="cartpole",
        history=[
            {"env_steps": s, "samples": s, "wall_s": s / 1000, "eval_return": r}
            for s, r in zip(steps, returns, strict=True)
        ],
    )
    episode_returns = list(np.linspace(10, 200, 60) + np.random.default_rng(seed).normal(0, 20, 60))
    rec = recorder(run)
    rec.json("episodes", {"returns": episode_returns, "end_env_steps": list(range(60))})
    return run, rec
