"""Feedback alignment and direct feedback alignment against theory: with the feedback matrices
set to the forward weights they are backprop; with random ones the update still aligns."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional

from neurosim.deep.learners.feedback_alignment import (
    DFALearner,
    FALearner,
    hidden_weights,
    weight_gradients,
)
from neurosim.deep.models.feedback import (
    DirectFeedback,
    FALinear,
    direct_feedback_alignment,
    feedback_alignment,
)
from neurosim.deep.models.mlp import build_mlp
from neurosim.learner import Budget, Recorder
from neurosim.tasks import make_task

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def build_fa_mlp(*args, **kwargs) -> nn.Sequential:
    return feedback_alignment(build_mlp(*args, **kwargs))


def build_dfa_mlp(*args, **kwargs) -> nn.Sequential:
    return direct_feedback_alignment(build_mlp(*args, **kwargs))


def batch(n: int = 20, features: int = 8, classes: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(n, features, generator=generator)
    return x, torch.randint(0, classes, (n,), generator=generator)


def test_same_forward_weights_as_mlp_from_the_same_seed() -> None:
    torch.manual_seed(3)
    mlp = build_mlp(8, [6, 5], 4, "tanh", 0.0)
    for build in (build_fa_mlp, build_dfa_mlp):
        torch.manual_seed(3)
        model = build(8, [6, 5], 4, "tanh", 0.0)
        x, _ = batch()
        torch.testing.assert_close(model(x), mlp(x))


def test_fa_with_b_equal_to_w_is_exactly_backprop() -> None:
    torch.manual_seed(0)
    model = build_fa_mlp(8, [6, 5], 4, "tanh", 0.0)
    x, y = batch()
    exact = weight_gradients(model, x, y, exact=True)
    random = weight_gradients(model, x, y, exact=False)
    assert not torch.allclose(random[0], exact[0], atol=1e-6)  # random B: not backprop
    for layer in model:
        if isinstance(layer, FALinear):
            layer.feedback.copy_(layer.weight.detach())
    model.zero_grad()
    functional.cross_entropy(model(x), y).backward()
    fa = [p.grad.clone() for p in model.parameters()]
    reference = build_mlp(8, [6, 5], 4, "tanh", 0.0)
    reference.load_state_dict(model.state_dict(), strict=False)
    functional.cross_entropy(reference(x), y).backward()
    for got, want in zip(fa, reference.parameters(), strict=True):
        torch.testing.assert_close(got, want.grad, atol=1e-6, rtol=0)


def test_fa_input_gradient_goes_through_b() -> None:
    """One FALinear by hand: dL/dx = g B, dL/dW = g^T x, dL/db = sum g."""
    torch.manual_seed(0)
    layer = FALinear.wrap(nn.Linear(3, 2))
    x = torch.randn(5, 3, requires_grad=True)
    g = torch.randn(5, 2)
    layer(x).backward(g)
    torch.testing.assert_close(x.grad, g @ layer.feedback)
    torch.testing.assert_close(layer.weight.grad, g.t() @ x.detach())
    torch.testing.assert_close(layer.bias.grad, g.sum(0))


def set_dfa_to_readout(model: nn.Sequential) -> None:
    readout = [m for m in model if isinstance(m, nn.Linear)][-1]
    feedback = [m for m in model if isinstance(m, DirectFeedback)]
    feedback[-1].feedback.copy_(readout.weight.detach().t())


def test_dfa_one_hidden_layer_with_b_equal_to_readout_is_backprop() -> None:
    torch.manual_seed(0)
    model = build_dfa_mlp(8, [6], 4, "relu", 0.0)
    set_dfa_to_readout(model)
    x, y = batch()
    exact = weight_gradients(model, x, y, exact=True)
    dfa = weight_gradients(model, x, y, exact=False)
    torch.testing.assert_close(dfa[0], exact[0], atol=1e-6, rtol=0)


def test_dfa_two_hidden_layers_is_not_backprop_but_e_times_b() -> None:
    """Top layer B = W_out^T: its gradient is backprop's; the first layer gets e B_1^T f'(a_1)
    (computed by hand), not backprop's error through layer 2 -- so the order held: e was
    stored before the lower layer's feedback ran."""
    torch.manual_seed(0)
    model = build_dfa_mlp(8, [6, 5], 4, "tanh", 0.0)
    set_dfa_to_readout(model)
    x, y = batch()
    exact = weight_gradients(model, x, y, exact=True)
    dfa = weight_gradients(model, x, y, exact=False)
    torch.testing.assert_close(dfa[1], exact[1], atol=1e-6, rtol=0)
    assert not torch.allclose(dfa[0], exact[0], atol=1e-3)
    w1, b1 = model[0].weight.detach(), model[0].bias.detach()
    b_first = model[2].feedback
    logits = model(x).detach()
    e = (logits.softmax(dim=1) - functional.one_hot(y, 4)) / len(y)
    delta = (e @ b_first.t()) * (1 - torch.tanh(x @ w1.t() + b1) ** 2)
    torch.testing.assert_close(dfa[0], delta.t() @ x, atol=1e-6, rtol=0)


@pytest.fixture(scope="module")
def digits():  # noqa: ANN201
    return make_task("digits", seed=0)


@pytest.mark.parametrize("learner_class", [FALearner, DFALearner])
def test_feedback_matrices_never_change_in_training(learner_class, digits) -> None:  # noqa: ANN001
    learner = learner_class(hidden=[16, 16], device="cpu")
    result = learner.train(digits, Budget(epochs=1), seed=0)
    torch.manual_seed(0)
    fresh = learner.build(digits)
    trained = result.model.state_dict()
    for name, value in fresh.state_dict().items():
        if name.endswith("feedback"):
            torch.testing.assert_close(trained[name], value.to(trained[name].device))
        else:
            assert not torch.equal(trained[name].cpu(), value)  # the weights did train
    assert not any(n.endswith("feedback") for n, _ in result.model.named_parameters())


def test_fa_learns_digits_and_its_update_aligns_with_backprop(digits) -> None:
    learner = FALearner(hidden=[100], device="cpu")
    history = learner.fit(digits, Budget(epochs=5), Recorder())
    angles = history.column("update_angle_deg")
    assert len(angles) == 5 and angles[-1] < 90
    assert history.column("alignment_deg")[-1] < 90
    accuracy = (learner.predict(digits, "test") == digits.split("test").y).mean()
    assert accuracy > 0.8  # chance is 0.1


def test_dfa_learns_digits(digits) -> None:
    learner = DFALearner(hidden=[100], device="cpu")
    history = learner.fit(digits, Budget(epochs=5), Recorder())
    assert history.column("update_angle_deg")[-1] < 90
    accuracy = (learner.predict(digits, "test") == digits.split("test").y).mean()
    assert accuracy > 0.8


def test_hidden_weights_leave_out_the_readout() -> None:
    model = build_fa_mlp(8, [6, 5], 4, "relu", 0.0)
    assert [tuple(w.shape) for w in hidden_weights(model)] == [(6, 8), (5, 6)]


@pytest.mark.parametrize("build", [build_fa_mlp, build_dfa_mlp])
def test_without_hidden_layers_both_are_softmax_regression(build) -> None:  # noqa: ANN001
    """No hidden layer: no error is sent anywhere, so the gradients are backprop's."""
    torch.manual_seed(0)
    model = build(8, [], 4, "relu", 0.0)
    x, y = batch()
    functional.cross_entropy(model(x), y).backward()
    torch.manual_seed(0)
    reference = build_mlp(8, [], 4, "relu", 0.0)
    functional.cross_entropy(reference(x), y).backward()
    for got, want in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(got.grad, want.grad, atol=1e-6, rtol=0)


def test_dfa_feedback_sits_after_dropout_and_batch_norm_blocks() -> None:
    model = build_dfa_mlp(8, [6, 5], 4, "relu", 0.5, batch_norm=True)
    kinds = [type(m).__name__ for m in model]
    assert kinds == [
        "Linear", "BatchNorm1d", "ReLU", "Dropout", "DirectFeedback",
        "Linear", "BatchNorm1d", "ReLU", "Dropout", "DirectFeedback",
        "Linear", "OutputError",
    ]  # fmt: skip
    assert [tuple(m.feedback.shape) for m in model if isinstance(m, DirectFeedback)] == [
        (6, 4),
        (5, 4),
    ]
