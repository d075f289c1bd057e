"""PPO: GAE and the clipped objective on hand cases, autoreset handling, keeping, parameters."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from neurosim.deep.device import choose_device
from neurosim.deep.models.actor_critic import orthogonal_mlp
from neurosim.deep.rl.actor_critic import BestActor
from neurosim.deep.rl.advantages import discounted_returns, gae
from neurosim.deep.rl.frozen_policy import FrozenPolicy
from neurosim.deep.rl.ppo import PPOAgent, Rollouts, clipped_surrogate_loss, linear_decay
from neurosim.errors import ParameterError
from neurosim.families.control import LearningCurve
from neurosim.learner import Budget, Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks import make_task

# CartPole terminates once |x| > 2.4 or |theta| > 12 degrees; every other observation is inside.
CART_LIMIT, ANGLE_LIMIT = 2.4, 12 * 2 * np.pi / 360


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_gae_on_a_hand_computed_trajectory() -> None:
    # Four steps: the episode terminates at step 1, a new one starts at step 2 and is cut by the
    # time limit at step 3. gamma = lambda = 0.5, so gamma * lambda = 0.25.
    rewards = np.array([1.0, 1.0, 1.0, 1.0])
    values = np.array([1.0, 2.0, 3.0, 4.0])
    next_values = np.array([2.0, 9.0, 4.0, 8.0])  # 9: a terminal state's value, never used
    terminated = np.array([False, True, False, False])
    truncated = np.array([False, False, False, True])
    # deltas: 1 + .5*2 - 1 = 1;  1 + 0 - 2 = -1;  1 + .5*4 - 3 = 0;  1 + .5*8 - 4 = 1 (bootstrap)
    # A3 = 1;  A2 = 0 + .25*1 = .25;  A1 = -1 (episode ends);  A0 = 1 + .25*(-1) = .75
    expected = np.array([0.75, -1.0, 0.25, 1.0])
    got = gae(rewards, values, next_values, terminated, truncated, gamma=0.5, lam=0.5)
    np.testing.assert_allclose(got, expected)
    # Parallel copies are independent columns.
    two = gae(
        np.stack([rewards, rewards], 1),
        np.stack([values, values], 1),
        np.stack([next_values, next_values], 1),
        np.stack([terminated, terminated], 1),
        np.stack([truncated, truncated], 1),
        gamma=0.5,
        lam=0.5,
    )
    np.testing.assert_allclose(two, np.stack([expected, expected], 1))


def test_gae_with_lambda_one_is_the_monte_carlo_return_minus_the_baseline() -> None:
    rng = np.random.default_rng(0)
    rewards, values = rng.normal(size=6), rng.normal(size=6)
    next_values = np.append(values[1:], 0.0)
    terminated = np.array([False] * 5 + [True])
    advantages = gae(rewards, values, next_values, terminated, np.zeros(6), gamma=0.9, lam=1.0)
    np.testing.assert_allclose(advantages, discounted_returns(rewards, 0.9) - values)


def test_clipped_objective_on_a_hand_case() -> None:
    ratio = torch.tensor([0.5, 1.5, 0.5, 1.5], requires_grad=True)
    advantages = torch.tensor([1.0, 1.0, -1.0, -1.0])
    loss = clipped_surrogate_loss(ratio, advantages, clip_range=0.2)
    # min(rA, clip(r)A): min(.5, .8) = .5; min(1.5, 1.2) = 1.2; min(-.5, -.8) = -.8;
    # min(-1.5, -1.2) = -1.5. Mean -0.15, loss +0.15.
    assert loss.item() == pytest.approx(0.15)
    loss.backward()
    # Only the pessimistic, unclipped terms carry gradient: d(-rA/4)/dr = -A/4.
    np.testing.assert_allclose(ratio.grad.numpy(), [-0.25, 0.0, 0.0, 0.25])


def test_linear_schedules_reach_zero_at_the_end_of_the_budget() -> None:
    assert linear_decay(1e-3, "linear", 0.0) == 1e-3
    assert linear_decay(1e-3, "linear", 0.75) == pytest.approx(2.5e-4)
    assert linear_decay(0.2, "linear", 1.0) == 0.0
    assert linear_decay(0.2, "constant", 0.9) == 0.2


def test_the_autoreset_step_is_neither_trained_on_nor_counted() -> None:
    task = make_task("cartpole", 0)
    torch.manual_seed(0)
    actor = orthogonal_mlp(task.observation_size, [8], task.n_actions, out_gain=0.01)
    critic = orthogonal_mlp(task.observation_size, [8], 1, out_gain=1.0)
    rollouts = Rollouts(task.make_vector_env(4), 64, task.seed, torch.device("cpu"))
    curve = LearningCurve(task, budget_env_steps=10_000)
    for n in range(1, 4):
        rollouts.collect(actor, 10_000, curve)
        batch = rollouts.batch(critic, gamma=0.99, gae_lambda=0.95)
        ended = rollouts.terminated | rollouts.truncated
        # The step after each end is the reset one, and only those are skipped.
        assert not rollouts.trained_on[1:][ended[:-1]].any()
        assert rollouts.trained_on[1:][~ended[:-1]].all()
        assert len(batch) == 64 * 4 - np.sum(~rollouts.trained_on)
        # A reset step starts from the terminal observation; none may be trained on.
        x, theta = batch.observations[:, 0].numpy(), batch.observations[:, 2].numpy()
        assert np.all((np.abs(x) <= CART_LIMIT) & (np.abs(theta) <= ANGLE_LIMIT))
        assert len(curve.episode_returns) > 0
        assert rollouts.env_steps == np.sum(curve.episode_returns) + np.sum(
            rollouts.episode_return
        ), f"rollout {n}: env steps are the rewards of finished and running episodes"
    assert np.sum(~rollouts.trained_on) > 0  # the random start policy ends many episodes
    rollouts.close()


def test_time_limits_bootstrap_from_the_final_observation() -> None:
    # Episodes cut after 5 steps by a time limit; with lambda = 0 each advantage is one TD error,
    # r + gamma * V(next observation) - V(observation), with V(next) = 0 only after termination.
    envs = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1", max_episode_steps=5)] * 2)
    torch.manual_seed(1)
    actor = orthogonal_mlp(4, [8], 2, out_gain=0.01)
    critic = orthogonal_mlp(4, [8], 1, out_gain=1.0)
    rollouts = Rollouts(envs, 16, seed=0, device=torch.device("cpu"))
    rollouts.collect(actor, 10_000, LearningCurve(make_task("cartpole", 0), 10_000))
    batch = rollouts.batch(critic, gamma=0.9, gae_lambda=0.0)
    assert rollouts.truncated.sum() >= 4
    with torch.no_grad():
        values = critic(rollouts.observations).squeeze(-1).numpy()
        after = critic(torch.as_tensor(rollouts.observation)).squeeze(-1).numpy()
    next_values = np.concatenate([values[1:], after[None]])
    expected = rollouts.rewards + 0.9 * (1 - rollouts.terminated) * next_values - values
    np.testing.assert_allclose(batch.advantages.numpy(), expected[rollouts.trained_on], rtol=1e-5)
    np.testing.assert_allclose(
        batch.returns.numpy(), (expected + values)[rollouts.trained_on], rtol=1e-5
    )
    envs.close()


def test_greedy_policy_is_a_frozen_copy_of_the_actor() -> None:
    torch.manual_seed(0)
    actor = orthogonal_mlp(4, [64, 64], 2, out_gain=1.0)
    policy = FrozenPolicy(actor)
    observations = np.random.default_rng(0).normal(size=(200, 4)).astype(np.float32)
    with torch.no_grad():
        expected = actor(torch.from_numpy(observations)).argmax(1).numpy()
    assert [policy(o) for o in observations] == expected.tolist()
    with torch.no_grad():
        for weight in actor.parameters():
            weight.zero_()
    assert [policy(o) for o in observations] == expected.tolist()


class ScriptedCurve:
    """Stands in for LearningCurve.evaluate with preset means."""

    def __init__(self, means: list[float]):
        self.means = iter(means)

    def evaluate(self, env_steps: int, policy: FrozenPolicy) -> float:
        return next(self.means)


def test_keeps_the_best_actor_and_the_later_one_on_ties() -> None:
    actors = [orthogonal_mlp(4, [8], 2, out_gain=1.0) for _ in range(4)]
    kept = BestActor(actors[0])
    curve = ScriptedCurve([10.0, 30.0, 30.0, 20.0])
    for step, actor in enumerate(actors):
        kept.evaluate(curve, step, actor)
    assert kept.best_return == 30.0
    weight = actors[2][0].weight.detach().numpy().T
    np.testing.assert_array_equal(kept.policy.layers[0][0], weight)


def test_without_any_evaluation_the_trained_actor_is_kept() -> None:
    before, after = (orthogonal_mlp(4, [8], 2, out_gain=1.0) for _ in range(2))
    kept = BestActor(before)
    kept.finish(after)
    np.testing.assert_array_equal(kept.policy.layers[0][0], after[0].weight.detach().numpy().T)
    evaluated = BestActor(before)
    evaluated.evaluate(ScriptedCurve([5.0]), 0, before)
    evaluated.finish(after)  # an evaluated actor stays kept
    np.testing.assert_array_equal(
        evaluated.policy.layers[0][0], before[0].weight.detach().numpy().T
    )


def test_auto_device_keeps_small_nets_on_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    small = orthogonal_mlp(4, [64, 64], 2, out_gain=1.0)
    large = torch.nn.Linear(1000, 1000)  # 1,001,000 parameters
    assert choose_device("auto", [small, small]).type == "cpu"
    assert choose_device("auto", [large]).type == "cuda"
    assert choose_device("cpu", [large]).type == "cpu"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n_envs", 0),
        ("n_steps", 0),
        ("batch_size", 0),
        ("n_epochs", 0),
        ("gamma", 1.5),
        ("gae_lambda", -0.1),
        ("lr", 0.0),
        ("lr", float("nan")),
        ("clip_range", 0.0),
        ("ent_coef", -0.01),
        ("vf_coef", -1.0),
        ("max_grad_norm", 0.0),
        ("hidden", [64, 0]),
        ("device", "not-a-device"),
        ("lr_schedule", "cosine"),
        ("optimizer", "lbfgs"),
    ],
)
def test_bad_parameters_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ParameterError, match=f"field '{field}'"):
        PPOAgent(**{field: value})


def fit(seed: int, env_steps: int = 6000) -> PPOAgent:
    agent = LEARNERS.get("ppo")()
    agent.fit(make_task("cartpole", seed, eval_every=2000), Budget(env_steps=env_steps), Recorder())
    return agent


@pytest.fixture(scope="module")
def short_run() -> PPOAgent:
    return fit(seed=0)


def test_a_short_run_learns_and_scores_its_kept_actor(short_run: PPOAgent) -> None:
    assert LEARNERS.get("ppo") is PPOAgent
    history = short_run.curve_.history
    # Evaluations come after the update that crosses each 2000 steps (a rollout is <= 256 steps).
    steps = history.column("env_steps")
    assert len(steps) == 3 and np.all((steps >= [2000, 4000, 6000]) & (steps < [2256, 4256, 6256]))
    metrics = short_run.evaluate(make_task("cartpole", 0), "eval")
    # The kept actor is greedy and deterministic, and every evaluation uses the same episodes.
    assert (
        metrics["mean_return"] == metrics["best_eval_return"] == history.column("eval_return").max()
    )
    assert metrics["mean_return"] > 100  # random play scores ~22
    ends = short_run.curve_.episode_end_steps
    assert ends == sorted(ends) and ends[-1] <= 6000


def test_same_seed_same_run(short_run: PPOAgent) -> None:
    again = fit(seed=0)
    assert again.curve_.episode_returns == short_run.curve_.episode_returns
    assert again.curve_.history.column("eval_return").tolist() == (
        short_run.curve_.history.column("eval_return").tolist()
    )
