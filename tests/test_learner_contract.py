"""The contract every registered learner honours, checked for each one (after scikit-learn's
`check_estimator`): what it declares is true of what it does.

A new learner is covered by adding one tiny configuration to TINY; a registered learner without
one fails `test_every_learner_has_a_tiny_configuration`, so none slips through unchecked.
"""

from __future__ import annotations

import dataclasses
import math
import random
from pathlib import Path

import fake_learner  # noqa: F401  (registers the "fake" learner the engine tests use: held to it too)
import numpy as np
import pytest

from neurosim.artifacts import KINDS, Artifacts
from neurosim.cli import main
from neurosim.errors import EXIT_USER_ERROR, ParameterError, SpecError
from neurosim.experiment.spec import load_spec
from neurosim.learner import Budget, Learner, Recorder
from neurosim.metrics import METRICS
from neurosim.registry import LEARNERS
from neurosim.tasks import Task, make_task

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@dataclasses.dataclass(frozen=True)
class Tiny:
    """A fit that takes seconds: task, task parameters, learner parameters and budget."""

    task: str
    task_params: dict
    params: dict
    budget: dict


DIGITS = {"subset": 200}
CARTPOLE = {"eval_episodes": 2, "eval_every": 200}
SEQUENCES = {"n_train": 64, "n_val": 32, "n_test": 32}
LANGUAGE = {"n_train": 3000, "n_val": 600, "n_test": 600, "vocab_size": 40}
TINY = {
    "fake": Tiny("toy", {}, {}, {"epochs": 2}),
    "logreg": Tiny("digits", DIGITS, {}, {}),
    "descent": Tiny("saddle", {}, {"lr": 0.05, "gradient_noise": 0.1}, {"samples": 200}),
    "least-squares": Tiny("wilson-separable", {"n_train": 20, "n_test": 20}, {}, {"epochs": 5}),
    "mlp": Tiny("digits", DIGITS, {"hidden": [16]}, {"epochs": 3}),
    "fa": Tiny("digits", DIGITS, {"hidden": [16]}, {"epochs": 3}),
    "dfa": Tiny("digits", DIGITS, {"hidden": [16]}, {"epochs": 3}),
    "three-factor": Tiny("digits", DIGITS, {"hidden": 16, "angle_repeats": 4}, {"epochs": 3}),
    "krotov-hopfield": Tiny(
        "digits", DIGITS, {"hidden": 16, "k": 2, "unsupervised_epochs": 3}, {"epochs": 3}
    ),
    "mlp-landscape": Tiny(
        "digits",
        DIGITS,
        {
            "hidden": [8],
            "landscape_samples": 50,
            "line_points": 5,
            "grid": 4,
            "snapshots": 4,
            "hessian_points": 2,
            "lanczos_steps": 5,
            "slq_probes": 1,
        },
        {"epochs": 2},
    ),
    "stdp-wta": Tiny("digits", DIGITS, {"n_neurons": 20}, {"epochs": 1}),
    "random-policy": Tiny("cartpole", CARTPOLE, {}, {"env_steps": 400}),
    "dqn": Tiny("cartpole", CARTPOLE, {"learning_starts": 100}, {"env_steps": 400}),
    "ppo": Tiny("cartpole", CARTPOLE, {"n_envs": 2, "n_steps": 64}, {"env_steps": 400}),
    "reinforce": Tiny("cartpole", CARTPOLE, {}, {"env_steps": 400}),
    "esn": Tiny("seq-digits", DIGITS, {"n_units": 30, "mc_lags": 5}, {"samples": 100}),
    "reservoir": Tiny(
        "seq-digits",
        {"subset": 100},
        {"n_units": 30, "codegen": "numpy", "mc_lags": 3, "mc_copies": 4, "mc_length": 12},
        {"samples": 50},
    ),
    "rstdp-agent": Tiny(
        "cartpole",
        CARTPOLE,
        {"episodes": 2, "n_per_dim": 4, "n_per_action": 3, "n_critic": 3, "codegen": "numpy"},
        {"env_steps": 400},
    ),
    "rnn": Tiny("seq-digits", {"subset": 200}, {"hidden": 8}, {"epochs": 2}),
    "gru": Tiny("copy", {"T": 5, **SEQUENCES}, {"hidden": 8, "tbptt": 10}, {"epochs": 2}),
    "lstm": Tiny("adding", {"T": 10, **SEQUENCES}, {"hidden": 8}, {"epochs": 2}),
    "cnn": Tiny("digits-t", {"subset": 150}, {"channels": [4], "hidden": 16}, {"epochs": 2}),
    "stn": Tiny("digits-r", {"subset": 150}, {"channels": [4], "hidden": 16}, {"epochs": 2}),
    "ngram": Tiny("lm-synthetic", LANGUAGE, {"order": 3}, {}),
    "random-features": Tiny("digits-lab", {**DIGITS, "label_noise": 0.2}, {"n_features": 50}, {}),
    "rnnlm": Tiny(
        "lm-synthetic",
        LANGUAGE,
        {"embedding": 8, "hidden": 8, "layers": 1, "bptt": 10, "batch_size": 4},
        {"epochs": 2},
    ),
}
NAMES = LEARNERS.names()


def learner_class(name: str) -> type[Learner]:
    return LEARNERS.get(name)


def tiny_fit(name: str, folder: Path | None = None) -> tuple[Learner, Task, dict]:
    """Fit the tiny configuration and evaluate it on every evaluation split, seeded as the
    runner seeds a run (Python's and numpy's global generators too)."""
    tiny = TINY[name]
    random.seed(0)
    np.random.seed(0)
    task = make_task(tiny.task, 0, **tiny.task_params)
    learner = learner_class(name)(**tiny.params)
    recorder = Recorder(folder)
    learner.fit(task, Budget(**tiny.budget), recorder)
    metrics = {split: learner.evaluate(task, split) for split in task.evaluation_splits}
    learner.record(task, recorder)
    return learner, task, metrics


def test_every_learner_has_a_tiny_configuration():
    assert sorted(TINY) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_declarations_are_complete(name: str):
    cls = learner_class(name)
    assert cls.name == name
    assert dataclasses.is_dataclass(cls.Params)
    assert isinstance(cls.task_family, type) and issubclass(cls.task_family, Task)
    assert cls.budget_fields <= set(Budget.BUDGET_FIELDS) and cls.budget_fields
    assert cls.metrics and set(cls.metrics) <= set(METRICS.names()), "undeclared metrics"
    assert set(cls.artifacts) <= set(KINDS)


@pytest.mark.parametrize("name", NAMES)
def test_parameters_round_trip(name: str):
    cls = learner_class(name)
    params = dataclasses.asdict(cls(**TINY[name].params).params)
    assert dataclasses.asdict(cls(**params).params) == params


@pytest.mark.parametrize("name", NAMES)
def test_unknown_parameters_are_refused_by_name(name: str):
    with pytest.raises(ParameterError, match="unknown field 'no_such_field'"):
        learner_class(name)(no_such_field=1)


@pytest.mark.parametrize("name", NAMES)
def test_budget_fields_it_ignores_are_refused_when_the_spec_loads(name: str, tmp_path: Path):
    cls = learner_class(name)
    tiny = TINY[name]
    for field in sorted(set(Budget.BUDGET_FIELDS) - cls.budget_fields):
        spec = tmp_path / f"{field}.toml"
        spec.write_text(
            f'name = "x"\nseeds = [0]\ntasks = ["{tiny.task}"]\n'
            f'[[learner]]\nname = "{name}"\n{field} = 10\n'
        )
        with pytest.raises(SpecError, match=f"does not honour the budget field '{field}'"):
            load_spec(spec)


def test_an_ignored_budget_field_is_one_sentence_and_exit_code_2(tmp_path: Path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'name = "x"\nseeds = [0]\ntasks = ["digits"]\n[[learner]]\nname = "logreg"\nepochs = 5\n'
    )
    assert main(["run", str(spec), "--results", str(tmp_path / "results")]) == EXIT_USER_ERROR
    error = capsys.readouterr().err.strip()
    assert error == (
        f"neurosim: error: {spec}: learner 'logreg' does not honour the budget field "
        "'epochs' (budget fields it honours: samples)"
    )
    assert not (tmp_path / "results").exists()  # nothing written for a refused spec


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Learner, Task, dict, Path]]:
    """Each learner's tiny fit, recorded: shared by the tests below (fits cost seconds)."""
    results = {}
    for name in NAMES:
        folder = tmp_path_factory.mktemp(name)
        learner, task, metrics = tiny_fit(name, folder)
        results[name] = (learner, task, metrics, folder)
    return results


@pytest.mark.parametrize("name", NAMES)
def test_evaluate_returns_exactly_the_declared_metrics(name: str, fitted):
    learner, task, metrics, _ = fitted[name]
    assert isinstance(task, learner.task_family)
    for split in task.evaluation_splits:
        assert set(metrics[split]) == set(learner.metrics), split
        assert all(isinstance(value, float) for value in metrics[split].values())
        assert not any(math.isinf(value) for value in metrics[split].values())


@pytest.mark.parametrize("name", NAMES)
def test_recorded_artifacts_are_of_declared_kinds(name: str, fitted):
    learner, _, _, folder = fitted[name]
    kinds = {entry.kind for entry in Artifacts(folder).entries()}
    assert kinds <= set(learner.artifacts)
    for entry in Artifacts(folder).entries():
        assert entry.path.exists()
        Artifacts.load(entry)  # readable through its kind


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_gives_identical_metrics(name: str, fitted):
    _, _, metrics, _ = fitted[name]
    _, _, again = tiny_fit(name)
    # wall time and speeds are measured, not computed
    timing = {"wall_s_to_solve", "train_tokens_per_s", "score_tokens_per_s"}
    for split, values in metrics.items():
        for key, value in values.items():
            if key not in timing:
                np.testing.assert_equal(again[split][key], value, err_msg=f"{split} {key}")
