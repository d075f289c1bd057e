"""Feedback alignment (Lillicrap et al. 2016) and direct feedback alignment (Nokland 2016) as
autograd Functions: the forward pass is the MLP's, only the error's path backwards changes.

Each module holds its fixed random feedback matrix as a buffer (moved with the model, saved in
its state, never seen by the optimizer). Setting `exact = True` on a module turns it back into
plain backprop, so the same weights give the true gradient to compare an update with.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional


class _FALinearFunction(torch.autograd.Function):
    """y = x W^T + b; backward sends the error to the input through B, not W."""

    @staticmethod
    def forward(ctx, x, weight, bias, feedback):  # noqa: ANN001, ANN205
        ctx.save_for_backward(x, feedback)
        return functional.linear(x, weight, bias)

    @staticmethod
    def backward(ctx, grad):  # noqa: ANN001, ANN205
        x, feedback = ctx.saved_tensors
        bias_grad = grad.sum(dim=0) if ctx.needs_input_grad[2] else None
        return grad @ feedback, grad.t() @ x, bias_grad, None


class FALinear(nn.Linear):
    """A Linear layer whose backward pass to its input uses the fixed matrix `feedback` (W's
    shape); the weight and bias gradients are backprop's outer products."""

    @classmethod
    def wrap(cls, linear: nn.Linear) -> FALinear:
        """`linear`'s own weights, with B drawn from torch's generator like W's default init."""
        layer = cls.__new__(cls)
        nn.Module.__init__(layer)  # not nn.Linear's: it would draw (and discard) another W
        layer.in_features, layer.out_features = linear.in_features, linear.out_features
        layer.weight, layer.bias = linear.weight, linear.bias
        bound = 1 / math.sqrt(linear.in_features)
        layer.register_buffer("feedback", torch.empty_like(linear.weight).uniform_(-bound, bound))
        layer.exact = False
        return layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.exact:
            return functional.linear(x, self.weight, self.bias)
        return _FALinearFunction.apply(x, self.weight, self.bias, self.feedback)


class ErrorSlot:
    """Where the output error e = dL/d(logits) of the current backward pass is kept."""

    def __init__(self) -> None:
        self.error: torch.Tensor | None = None


class _StoreError(torch.autograd.Function):
    """Identity on the logits; its backward (the first to run) keeps e in the slot."""

    @staticmethod
    def forward(ctx, logits, slot):  # noqa: ANN001, ANN205
        ctx.slot = slot
        return logits.view_as(logits)

    @staticmethod
    def backward(ctx, grad):  # noqa: ANN001, ANN205
        ctx.slot.error = grad
        return grad, None


class _DirectFeedback(torch.autograd.Function):
    """Identity on a hidden layer's output; its backward ignores the gradient from above and
    returns e B^T. It runs after every layer above it (they produce its incoming gradient), so
    the slot already holds this pass's e."""

    @staticmethod
    def forward(ctx, hidden, feedback, slot):  # noqa: ANN001, ANN205
        ctx.slot = slot
        ctx.save_for_backward(feedback)
        return hidden.view_as(hidden)

    @staticmethod
    def backward(ctx, grad):  # noqa: ANN001, ANN205
        (feedback,) = ctx.saved_tensors
        error = ctx.slot.error
        if error is None:
            raise RuntimeError("direct feedback ran before the output error was stored")
        return error @ feedback.t(), None, None


class OutputError(nn.Module):
    """Placed after the readout: stores e for the DirectFeedback modules below."""

    def __init__(self, slot: ErrorSlot) -> None:
        super().__init__()
        self.slot = slot
        self.exact = False

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        if self.exact:
            return logits
        self.slot.error = None
        return _StoreError.apply(logits, self.slot)


class DirectFeedback(nn.Module):
    """Placed after a hidden layer's activation: its output's gradient becomes e B^T, with B
    (units x n_classes) fixed and random, drawn like a readout's weights."""

    def __init__(self, units: int, n_classes: int, slot: ErrorSlot) -> None:
        super().__init__()
        bound = 1 / math.sqrt(units)
        self.register_buffer("feedback", torch.empty(units, n_classes).uniform_(-bound, bound))
        self.slot = slot
        self.exact = False

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        if self.exact:
            return hidden
        return _DirectFeedback.apply(hidden, self.feedback, self.slot)


def feedback_alignment(mlp: nn.Sequential) -> nn.Sequential:
    """An mlp (from `build_mlp`) trained by feedback alignment: every Linear gets a fixed
    random B, drawn after all of W, so W stays the mlp's for the same seed."""
    return nn.Sequential(*(FALinear.wrap(m) if isinstance(m, nn.Linear) else m for m in mlp))


def direct_feedback_alignment(mlp: nn.Sequential) -> nn.Sequential:
    """An mlp (from `build_mlp`) trained by direct feedback alignment: a DirectFeedback closes
    each hidden block (just before the next Linear, so after its activation and any dropout),
    an OutputError follows the readout; every B is drawn after all of W."""
    linears = [m for m in mlp if isinstance(m, nn.Linear)]
    n_outputs = linears[-1].out_features
    slot = ErrorSlot()
    modules: list[nn.Module] = []
    width = 0
    for module in mlp:
        if isinstance(module, nn.Linear):
            if width:
                modules.append(DirectFeedback(width, n_outputs, slot))
            width = module.out_features
        modules.append(module)
    modules.append(OutputError(slot))
    return nn.Sequential(*modules)


def set_exact(model: nn.Module, exact: bool) -> None:
    """Switch every feedback module in `model` to plain backprop (True) or back (False)."""
    for module in model.modules():
        if isinstance(module, (FALinear, OutputError, DirectFeedback)):
            module.exact = exact
