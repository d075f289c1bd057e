"""The three-factor learner against theory: its expected update follows the gradient, a zero
reward-prediction error changes nothing, a hand-computed update, and it learns digits."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional

from neurosim.deep.learners.feedback_alignment import angle_deg
from neurosim.deep.learners.three_factor import (
    Net,
    ThreeFactorLearner,
    backprop_direction,
    expected_update,
    three_factor_update,
)
from neurosim.errors import ParameterError
from neurosim.learner import Budget, Recorder
from neurosim.tasks import make_task

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def small_net(hidden: int = 4, seed: int = 0) -> tuple[Net, torch.Tensor, torch.Tensor]:
    """A 64-hidden-10 net with random weights and 8 digits samples."""
    generator = torch.Generator().manual_seed(seed)
    net = Net(
        torch.randn(hidden, 64, generator=generator) * 0.3,
        torch.full((hidden,), 0.1),
        torch.randn(10, hidden, generator=generator),
        torch.zeros(10),
    )
    train = make_task("digits", 0).split("train")
    x = torch.as_tensor(train.x[:8], dtype=torch.float32)
    return net, x, torch.as_tensor(train.y[:8])


def expected_reward_direction(net: Net, x: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
    """The gradient of the noiseless network's expected reward mean(p_y) (the sigma -> 0 limit
    of what node perturbation + REINFORCE estimate)."""
    params = [t.clone().requires_grad_(True) for t in net.tensors()]
    w1, b1, w2, b2 = params
    p = ((x @ w1.T + b1).clamp_min(0) @ w2.T + b2).softmax(dim=1)
    return list(torch.autograd.grad(p.gather(1, y[:, None]).mean(), params))


def test_expected_update_follows_the_gradient_of_expected_reward_and_of_cross_entropy():
    net, x, y = small_net()
    generator = torch.Generator().manual_seed(1)
    expected = expected_update(net, x, y, 0.1, 0.05, 200_000, generator)
    reward = expected_reward_direction(net, x, y)
    backprop = backprop_direction(net, x, y)
    for layer in (0, 2):  # w1 (node perturbation), w2 (REINFORCE)
        # measured: w1 ~ 3 deg, w2 ~ 1 deg from grad E[r]; both < 50 deg from -grad CE
        assert angle_deg(expected[layer], reward[layer]) < 10
        assert angle_deg(expected[layer], backprop[layer]) < 60
    # unbiased: the same scale as the true gradient, not just the same direction
    torch.testing.assert_close(expected[2], reward[2], rtol=0.1, atol=0.01)


def test_zero_reward_prediction_error_changes_nothing():
    net, x, y = small_net()
    xi = torch.randn(len(x), 4, generator=torch.Generator().manual_seed(2))
    right = three_factor_update(net, x, y, xi, y, baseline=1.0, noise_sd=0.5)[0]
    wrong = three_factor_update(net, x, y, xi, (y + 1) % 10, baseline=0.0, noise_sd=0.5)[0]
    for change in [*right, *wrong]:
        assert torch.count_nonzero(change) == 0


def test_a_hand_computed_update():
    # 2 inputs, 1 hidden unit, 2 classes; x = (1, 2), w1 = (0.5, -0.25), b1 = 0.1:
    # u = 0.5 - 0.5 + 0.1 + xi(0.2) = 0.3 = h; z = (1 * 0.3, -1 * 0.3) = (0.3, -0.3)
    net = Net(
        torch.tensor([[0.5, -0.25]]),
        torch.tensor([0.1]),
        torch.tensor([[1.0], [-1.0]]),
        torch.zeros(2),
    )
    x, y = torch.tensor([[1.0, 2.0]]), torch.tensor([0])
    p0 = torch.sigmoid(torch.tensor(0.6)).item()  # softmax of (0.3, -0.3), class 0
    update, rewards = three_factor_update(
        net, x, y, torch.tensor([[0.2]]), torch.tensor([0]), baseline=0.25, noise_sd=0.5
    )
    m = 1.0 - 0.25  # r = 1 (right class)
    post = torch.tensor([1 - p0, -(1 - p0)]) * m  # onehot(a) - p
    assert rewards.tolist() == [1.0]
    torch.testing.assert_close(update[2], post[:, None] * 0.3)  # x h
    torch.testing.assert_close(update[3], post)
    torch.testing.assert_close(update[0], torch.tensor([[0.6, 1.2]]))  # m xi/s^2 = 0.6, x x
    torch.testing.assert_close(update[1], torch.tensor([0.6]))


def test_it_beats_chance_on_digits_by_a_wide_margin():
    task = make_task("digits", 0)
    learner = ThreeFactorLearner(angle_repeats=4)
    history = learner.fit(task, Budget(epochs=30), Recorder(None))
    accuracy = learner.evaluate(task, "test")["accuracy"]
    assert accuracy > 0.6  # chance 0.1; measured 0.75 (seed 0)
    assert history.rows[-1]["samples"] == 30 * len(task.split("train").y)
    assert 0 <= history.rows[-1]["update_angle_deg"] <= 180
    assert history.rows[-1]["train_reward"] > 0.3


def test_a_samples_budget_is_honoured_exactly():
    task = make_task("digits", 0, subset=200)
    history = ThreeFactorLearner(hidden=8, angle_repeats=1).fit(
        task, Budget(samples=250), Recorder(None)
    )
    assert history.rows[-1]["samples"] == 250


@pytest.mark.parametrize("field", ["noise_sd", "lr", "baseline_tau", "batch_size"])
def test_bad_parameters_name_the_field(field: str):
    with pytest.raises(ParameterError, match=field):
        ThreeFactorLearner(**{field: 0})


def test_rewards_are_the_sampled_class_being_right():
    net, x, y = small_net()
    xi = torch.zeros(len(x), 4)
    actions = torch.tensor([y[0].item(), (y[1].item() + 1) % 10, *y[2:].tolist()])
    _, rewards = three_factor_update(net, x, y, xi, actions, baseline=0.5, noise_sd=0.5)
    assert rewards.tolist() == [1.0, 0.0, *[1.0] * 6]
    assert functional.one_hot(actions, 10).shape == (8, 10)
