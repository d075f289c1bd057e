"""make_optimizer against hand-computed updates (dyadic numbers, so float64 arithmetic is exact)."""

from __future__ import annotations

import pytest
import torch

from neurosim.deep.optimizers import OPTIMIZERS, make_optimizer
from neurosim.errors import ParameterError

W0 = torch.tensor([0.5, -1.25, 2.0, 0.75], dtype=torch.float64)
G1 = torch.tensor([0.25, -0.5, 1.0, -2.0], dtype=torch.float64)
G2 = torch.tensor([-0.75, 0.5, 0.25, 1.0], dtype=torch.float64)
LR = 0.25
MU = 0.5


def run_steps(
    name: str, grads: list[torch.Tensor], decay_by_hand: float = 0.0, **kwargs: float
) -> list[torch.Tensor]:
    """Weights after each step; `decay_by_hand` adds lambda * w to the gradient ourselves."""
    w = torch.nn.Parameter(W0.clone())
    optimizer = make_optimizer(name, [w], **{"lr": LR, **kwargs})
    after = []
    for grad in grads:
        w.grad = grad + decay_by_hand * w.detach()
        optimizer.step()
        after.append(w.detach().clone())
    return after


def test_names() -> None:
    assert OPTIMIZERS == ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")


def test_sgd_step_is_w_minus_lr_grad() -> None:
    (w1,) = run_steps("sgd", [G1])
    assert torch.equal(w1, W0 - LR * G1)


def test_plain_sgd_ignores_momentum() -> None:
    _, w2 = run_steps("sgd", [G1, G2], momentum=MU)
    assert torch.equal(w2, W0 - LR * G1 - LR * G2)


def test_momentum_second_step_uses_velocity() -> None:
    w1, w2 = run_steps("momentum", [G1, G2], momentum=MU)
    v1 = G1  # torch starts the velocity at the first gradient
    v2 = MU * v1 + G2
    torch.testing.assert_close(w1, W0 - LR * v1)
    torch.testing.assert_close(w2, W0 - LR * v1 - LR * v2)


def test_nesterov_looks_ahead() -> None:
    w1, w2 = run_steps("nesterov", [G1, G2], momentum=MU)
    v1 = G1
    v2 = MU * v1 + G2
    torch.testing.assert_close(w1, W0 - LR * (G1 + MU * v1))
    torch.testing.assert_close(w2, w1 - LR * (G2 + MU * v2))


def test_adam_first_step_is_lr_times_sign() -> None:
    (w1,) = run_steps("adam", [G1])
    torch.testing.assert_close(w1 - W0, -LR * torch.sign(G1), rtol=1e-6, atol=0.0)


def test_adagrad_divides_by_root_of_summed_squares() -> None:
    w1, w2 = run_steps("adagrad", [G1, G2])
    torch.testing.assert_close(w1 - W0, -LR * torch.sign(G1), rtol=1e-6, atol=0.0)
    torch.testing.assert_close(w2 - w1, -LR * G2 / torch.sqrt(G1**2 + G2**2), rtol=1e-6, atol=0.0)


def test_rmsprop_first_step() -> None:
    (w1,) = run_steps("rmsprop", [G1])  # v = (1 - 0.99) g^2, so the step is lr * g / (0.1 |g|)
    torch.testing.assert_close(w1 - W0, -10 * LR * torch.sign(G1), rtol=1e-6, atol=0.0)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_weight_decay_adds_lambda_w_to_the_gradient(name: str) -> None:
    decayed = run_steps(name, [G1, G2], weight_decay=0.125, momentum=MU)
    by_hand = run_steps(name, [G1, G2], decay_by_hand=0.125, momentum=MU)
    assert not torch.allclose(decayed[-1], run_steps(name, [G1, G2], momentum=MU)[-1])
    for got, want in zip(decayed, by_hand, strict=True):
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_minimises_a_quadratic(name: str) -> None:
    target = torch.tensor([1.0, -2.0, 3.0])
    w = torch.nn.Parameter(torch.zeros(3))
    optimizer = make_optimizer(name, [w], lr=0.05)
    losses = []
    for _ in range(100):
        optimizer.zero_grad()
        loss = ((w - target) ** 2).sum()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_fused_kernels_where_torch_has_them() -> None:
    w = [torch.nn.Parameter(torch.zeros(3))]
    assert make_optimizer("adam", w, lr=0.1, device_type="cpu").defaults["fused"] is True
    assert not make_optimizer("rmsprop", w, lr=0.1, device_type="cpu").defaults.get("fused")
    # a device type without fused kernels falls back to torch's defaults, and still works
    fallback = make_optimizer("adam", w, lr=0.1, device_type="xla")
    assert not fallback.defaults["fused"]
    w[0].grad = torch.ones(3)
    fallback.step()
    torch.testing.assert_close(w[0].detach(), torch.full((3,), -0.1))


def test_unknown_optimizer_names_the_field() -> None:
    with pytest.raises(ParameterError, match="'optimizer'"):
        make_optimizer("lbfgs", [torch.nn.Parameter(torch.zeros(1))], lr=0.1)
