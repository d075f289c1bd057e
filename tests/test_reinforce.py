"""REINFORCE with a baseline: discounted returns by hand, learning, seeding, parameters."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurosim.deep.models.actor_critic import orthogonal_mlp
from neurosim.deep.rl.advantages import discounted_returns
from neurosim.deep.rl.reinforce import ReinforceAgent, reinforce_losses
from neurosim.errors import ParameterError
from neurosim.learner import Budget, Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks import make_task

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_discounted_returns_by_hand() -> None:
    # G2 = 3;  G1 = 2 + .5*3 = 3.5;  G0 = 1 + .5*3.5 = 2.75
    np.testing.assert_allclose(discounted_returns(np.array([1.0, 2.0, 3.0]), 0.5), [2.75, 3.5, 3])
    # Undiscounted CartPole: the return from step t is the number of steps left.
    np.testing.assert_allclose(discounted_returns(np.ones(5), 1.0), [5, 4, 3, 2, 1])


def test_the_gradient_favours_actions_that_beat_the_baseline() -> None:
    # Zero readout weights: a uniform policy (pi = 1/2) and a baseline of 0 everywhere.
    actor = orthogonal_mlp(4, [8], 2, out_gain=0.0)
    critic = orthogonal_mlp(4, [8], 1, out_gain=0.0)
    observations = torch.ones(2, 4)
    actions = torch.tensor([0, 1])
    returns = torch.tensor([1.0, -1.0])  # action 0 did better than expected, action 1 worse
    policy_loss, value_loss = reinforce_losses(
        actor, critic, observations, actions, returns, normalize_advantage=False
    )
    # -mean(A log pi) = -(1 * ln .5 + (-1) * ln .5) / 2 = 0;  mean((0 - G)^2) = 1
    assert policy_loss.item() == pytest.approx(0.0, abs=1e-7)
    assert value_loss.item() == pytest.approx(1.0)
    optimizer = torch.optim.SGD([*actor.parameters(), *critic.parameters()], lr=0.1)
    (policy_loss + value_loss).backward()
    optimizer.step()
    assert actor(observations[:1]).softmax(-1)[0, 0] > 0.5
    # The baseline moved toward the mean return (0) only: its gradient is (V - G), summed to 0.
    assert critic(observations[:1]).item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gamma", 0.0),
        ("lr", -1e-3),
        ("value_lr", float("inf")),
        ("episodes_per_update", 0),
        ("hidden", [0]),
        ("device", "nowhere"),
        ("optimizer", "lbfgs"),
    ],
)
def test_bad_parameters_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ParameterError, match=f"field '{field}'"):
        ReinforceAgent(**{field: value})


def fit(seed: int, env_steps: int = 6000, **params: object) -> ReinforceAgent:
    agent = LEARNERS.get("reinforce")(**params)
    agent.fit(make_task("cartpole", seed, eval_every=2000), Budget(env_steps=env_steps), Recorder())
    return agent


@pytest.fixture(scope="module")
def short_run() -> ReinforceAgent:
    return fit(seed=0)


def test_a_short_run_learns_and_scores_its_kept_actor(short_run: ReinforceAgent) -> None:
    assert LEARNERS.get("reinforce") is ReinforceAgent
    curve = short_run.curve_
    steps = curve.history.column("env_steps")
    # One evaluation after the episode that crosses each 2000 steps; the last at the budget.
    assert len(steps) == 3 and np.all(steps >= [2000, 4000, 6000])
    metrics = short_run.evaluate(make_task("cartpole", 0), "eval")
    assert metrics["mean_return"] == metrics["best_eval_return"]
    assert metrics["mean_return"] > 100  # random play scores ~22
    # CartPole pays 1 per step: the finished episodes' returns are the steps they took.
    assert sum(curve.episode_returns) == curve.episode_end_steps[-1] <= 6000


def test_same_seed_same_run(short_run: ReinforceAgent) -> None:
    again = fit(seed=0)
    assert again.curve_.episode_returns == short_run.curve_.episode_returns
    assert (
        again.curve_.history.rows[-1]["eval_return"]
        == (short_run.curve_.history.rows[-1]["eval_return"])
    )
