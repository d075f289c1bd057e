"""Double DQN: replay buffer, target, schedule, parameters, and short runs through fit/evaluate."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch import nn

from neurosim.deep.device import (
    MAX_CPU_PARAMETERS,
    THREADS_ENV,
    choose_device,
    resolve_device,
    use_torch_threads,
)
from neurosim.deep.models.mlp import build_mlp
from neurosim.deep.rl.dqn import DQN, double_dqn_target, linear_epsilon, max_target
from neurosim.deep.rl.frozen_policy import FrozenPolicy
from neurosim.deep.rl.replay import ReplayBuffer
from neurosim.errors import ParameterError
from neurosim.learner import Budget, Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks import make_task
from neurosim.tasks.control import ControlTask

SMOKE_STEPS = 2000
SMOKE_PARAMS = {"learning_starts": 500, "train_freq": 100, "gradient_steps": 20}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def smoke_task(seed: int = 0) -> ControlTask:
    return make_task("cartpole", seed, eval_every=500, eval_episodes=5)


def smoke_fit(seed: int = 0) -> DQN:
    learner = DQN(**SMOKE_PARAMS)
    learner.fit(smoke_task(seed), Budget(env_steps=SMOKE_STEPS), Recorder())
    return learner


@pytest.fixture(scope="module")
def smoke() -> DQN:
    return smoke_fit()


def test_registered() -> None:
    assert LEARNERS.get("dqn") is DQN


def test_replay_overwrites_the_oldest_first() -> None:
    buffer = ReplayBuffer(capacity=3, observation_size=2)
    for i in range(5):
        buffer.add(np.full(2, i), i, float(i), np.full(2, i + 1), terminated=False)
    assert len(buffer) == 3 and buffer.position == 2
    np.testing.assert_array_equal(buffer.actions, [3, 4, 2])
    np.testing.assert_array_equal(buffer.observations[:, 0], [3, 4, 2])
    np.testing.assert_array_equal(buffer.next_observations[:, 0], [4, 5, 3])


def test_replay_samples_only_filled_slots_uniformly() -> None:
    buffer = ReplayBuffer(capacity=10, observation_size=1)
    with pytest.raises(ValueError):
        buffer.sample(np.random.default_rng(0), 4)
    for i in range(3):
        buffer.add(np.array([i]), i, 0.0, np.array([i]), terminated=i == 2)
    batch = buffer.sample(np.random.default_rng(0), batch_size=64, n_batches=50)
    assert batch.actions.shape == (50, 64) and batch.observations.shape == (50, 64, 1)
    counts = np.bincount(batch.actions.ravel(), minlength=10)
    assert counts[3:].sum() == 0
    assert np.all(np.abs(counts[:3] / counts.sum() - 1 / 3) < 0.03)  # 3200 draws: sd ~0.008
    np.testing.assert_array_equal(batch.observations[..., 0], batch.actions)
    np.testing.assert_array_equal(batch.terminated, batch.actions == 2)


class ShortCartPole(ControlTask):
    """CartPole cut at 20 steps: random play (~22 steps an episode) both falls and gets cut."""

    def make_env(self) -> gym.Env:
        return gym.make(self.env_id, max_episode_steps=20)


def test_replay_masks_terminations_but_not_time_limit_cuts() -> None:
    base = make_task("cartpole", 0, eval_every=10_000, eval_episodes=1)
    task = ShortCartPole(**{f.name: getattr(base, f.name) for f in dataclasses.fields(base)})
    learner = DQN(learning_starts=10_000)  # random play only: no training needed
    learner.fit(task, Budget(env_steps=600), Recorder())
    buffer = learner.replay_
    obs, next_obs = buffer.observations[: len(buffer)], buffer.next_observations[: len(buffer)]
    # CartPole-v1 terminates exactly when the cart leaves |x| <= 2.4 or the pole |theta| <= 12 deg
    fell = (np.abs(next_obs[:, 0]) > 2.4) | (np.abs(next_obs[:, 2]) > 12 * 2 * np.pi / 360)
    np.testing.assert_array_equal(buffer.terminated[: len(buffer)], fell)
    episode_ends = np.any(next_obs[:-1] != obs[1:], axis=1)  # next step starts a new episode
    cut = episode_ends & ~fell[:-1]
    assert fell.sum() > 5 and cut.sum() > 5
    assert np.all(np.array(learner.curve_.episode_returns)[:-1] <= 20)


def test_double_dqn_target_by_hand() -> None:
    rewards = torch.tensor([1.0, 0.5, 2.0])
    terminated = torch.tensor([0.0, 1.0, 0.0])
    next_q_online = torch.tensor([[3.0, 1.0], [5.0, 2.0], [0.0, 4.0]])
    next_q_target = torch.tensor([[10.0, 20.0], [30.0, 40.0], [7.0, -1.0]])
    target = double_dqn_target(rewards, terminated, next_q_online, next_q_target, gamma=0.9)
    # row 0: online picks action 0, target scores it 10 (vanilla DQN would take 20);
    # row 1: terminal, reward only; row 2: online picks action 1, scored -1
    torch.testing.assert_close(target, torch.tensor([1 + 0.9 * 10, 0.5, 2 - 0.9]))
    # the max target (double_q = false) takes each row's largest target value instead
    vanilla = max_target(rewards, terminated, next_q_target, gamma=0.9)
    torch.testing.assert_close(vanilla, torch.tensor([1 + 0.9 * 20, 0.5, 2 + 0.9 * 7]))


def test_epsilon_schedule_is_linear_then_flat() -> None:
    def eps(step: int) -> float:
        return linear_epsilon(step, 50_000, fraction=0.16, start=1.0, end=0.04)

    assert eps(0) == 1.0
    assert eps(4000) == pytest.approx(0.52)  # halfway through the 8000 decay steps
    assert eps(8000) == pytest.approx(0.04)
    assert eps(49_999) == pytest.approx(0.04)


def test_greedy_policy_matches_the_torch_network() -> None:
    torch.manual_seed(0)
    network = build_mlp(4, [32, 16], 3, "relu", 0.0)
    observations = torch.randn(200, 4)
    with torch.no_grad():
        expected = network(observations).numpy()
    policy = FrozenPolicy(network)
    got = np.stack([policy.outputs(o) for o in observations.numpy()])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert [policy(o) for o in observations.numpy()] == list(expected.argmax(axis=1))


def test_auto_device_keeps_small_nets_on_the_cpu() -> None:
    at_limit = nn.Linear(999, 1000)  # 999,000 weights + 1000 biases = MAX_CPU_PARAMETERS
    assert sum(w.numel() for w in at_limit.parameters()) == MAX_CPU_PARAMETERS
    assert choose_device("auto", [at_limit]).type == "cpu"
    assert choose_device("auto", [at_limit, nn.Linear(1, 1)]) == resolve_device("auto")
    assert choose_device("cpu", [at_limit] * 10).type == "cpu"


def test_one_torch_thread_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(THREADS_ENV)
    use_torch_threads()
    assert torch.get_num_threads() == 1
    monkeypatch.setenv(THREADS_ENV, "2")
    use_torch_threads()
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lr", 0.0),
        ("gamma", 1.5),
        ("batch_size", 0),
        ("gradient_steps", 0),
        ("target_update_interval", 0),
        ("exploration_fraction", 0.0),
        ("exploration_final_eps", -0.1),
        ("max_grad_norm", 0.0),
        ("net_arch", [256, 0]),
        ("device", "no-such-device"),
        ("optimizer", "adamw"),
    ],
)
def test_bad_params_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ParameterError, match=f"'{field}'"):
        DQN(**{field: value})


def test_smoke_run_through_fit_and_evaluate(smoke: DQN) -> None:
    task = smoke_task()
    rows = smoke.curve_.history.rows
    assert [row["env_steps"] for row in rows] == [500, 1000, 1500, 2000]
    metrics = smoke.evaluate(task, "eval")
    assert metrics["train_episodes"] == len(smoke.curve_.episode_returns) > 0
    assert sum(smoke.curve_.episode_returns) <= SMOKE_STEPS
    # the kept model is the best evaluated one: greedy episodes on fixed seeds replay exactly
    best = max(row["eval_return"] for row in rows)
    assert metrics["best_eval_return"] == best
    assert metrics["mean_return"] == best
    assert np.mean(task.evaluate_policy(smoke.act)) == best


def test_same_seed_same_run(smoke: DQN) -> None:
    again = smoke_fit(seed=0)
    assert again.curve_.episode_returns == smoke.curve_.episode_returns
    assert again.curve_.history.column("eval_return").tolist() == (
        smoke.curve_.history.column("eval_return").tolist()
    )
    for a, b in zip(again.q_network_.parameters(), smoke.q_network_.parameters(), strict=True):
        assert torch.equal(a, b)
    other = smoke_fit(seed=1)
    assert other.curve_.episode_returns != smoke.curve_.episode_returns


@pytest.mark.slow
def test_solves_cartpole_within_the_zoo_budget() -> None:
    """rl-zoo's CartPole budget (50k steps): greedy 475 reached, and the kept model scores 500."""
    task = make_task("cartpole", 0)
    learner = DQN()
    learner.fit(task, Budget(env_steps=50_000), Recorder())
    metrics = learner.evaluate(task, "eval")
    assert metrics["steps_to_solve"] <= 50_000
    assert metrics["mean_return"] == 500
