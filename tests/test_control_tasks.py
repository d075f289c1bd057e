"""Control tasks and the scoring every control agent shares: seeds, curve figures, spec checks."""

from __future__ import annotations

from pathlib import Path

import fake_learner  # noqa: F401  (registers the "fake" classification learner and "toy" task)
import numpy as np
import pytest

from neurosim.errors import ParameterError, SpecError
from neurosim.experiment.spec import load_spec
from neurosim.families.control import LearningCurve
from neurosim.learner import Budget, Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks import make_task


def always_left(observation: np.ndarray) -> int:
    return 0


def test_tasks_expose_their_environment():
    cartpole = make_task("cartpole", 3)
    assert (cartpole.env_id, cartpole.observation_size, cartpole.n_actions) == ("CartPole-v1", 4, 2)
    assert cartpole.solved_return == 475 and cartpole.max_episode_steps == 500
    acrobot = make_task("acrobot", 0)
    assert (acrobot.observation_size, acrobot.n_actions, acrobot.solved_return) == (6, 3, -100)
    assert make_task("mountaincar", 0).max_episode_steps == 200


def test_evaluation_is_deterministic_and_uses_the_requested_episodes():
    task = make_task("cartpole", 0, eval_episodes=5)
    first, second = task.evaluate_policy(always_left), task.evaluate_policy(always_left)
    assert len(first) == 5 and np.array_equal(first, second)
    # Pushing one way topples the pole within a few dozen steps, from any start.
    assert np.all((first >= 8) & (first <= 40))
    other_seed = make_task("cartpole", 1, eval_episodes=5).evaluate_policy(always_left)
    assert not np.array_equal(first, other_seed)


def test_bad_task_parameters_name_the_field():
    with pytest.raises(ParameterError, match="eval_episodes"):
        make_task("cartpole", 0, eval_episodes=0)


def test_curve_finds_the_first_solved_evaluation_and_the_area():
    task = make_task("cartpole", 0)
    curve = LearningCurve(task, budget_env_steps=1000)
    assert curve.eval_every == 50  # 1/20 of the budget by default
    for steps, returns in [(250, [100.0, 200.0]), (500, [480.0, 460.0]), (750, [500.0, 500.0])]:
        curve.log(steps, wall_s=steps / 100, returns=np.array(returns))
    assert curve.steps_to_solve == 750 and curve.wall_s_to_solve == 7.5  # 475 is the threshold
    assert curve.best_return == 500
    # Hand-computed: each value holds until the next evaluation; the first also covers [0, 250].
    # 150 over [0, 500], 470 over [500, 750], 500 over [750, 1000].
    assert curve.auc() == pytest.approx((150 * 500 + 470 * 250 + 500 * 250) / 1000)


def test_random_policy_scores_like_random_play():
    task = make_task("cartpole", 0, eval_episodes=20)
    agent = LEARNERS.get("random-policy")()
    history = agent.fit(task, Budget(env_steps=4000), Recorder())
    metrics = agent.evaluate(task, "eval")
    assert 15 < metrics["mean_return"] < 30  # random CartPole play averages ~22
    assert np.isnan(metrics["steps_to_solve"])
    assert history.column("env_steps")[-1] == 4000 and len(history.rows) == 20


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return path


def test_learners_run_only_on_tasks_of_their_kind(tmp_path: Path):
    mixed = """
name = "mixed"
seeds = [0]
tasks = ["toy", "cartpole"]

[[learner]]
name = "random-policy"
"""
    with pytest.raises(SpecError, match="'random-policy' learns control tasks but task 'toy'"):
        load_spec(write(tmp_path, mixed))
    chosen = mixed + 'tasks = ["cartpole"]\nenv_steps = 2000\n\n[[learner]]\nname = "fake"\n'
    chosen += 'tasks = ["toy"]\n'
    runs = load_spec(write(tmp_path, chosen)).runs()
    assert [(run.task, run.learner) for run in runs] == [
        ("toy", "fake"),
        ("cartpole", "random-policy"),
    ]
    assert runs[1].budget["env_steps"] == 2000
    assert "env_steps" not in runs[0].budget  # run ids of classification runs are unchanged
    with pytest.raises(SpecError, match="'tasks' names 'acrobot', which is not among"):
        load_spec(write(tmp_path, chosen.replace('tasks = ["toy"]\n', 'tasks = ["acrobot"]\n')))
