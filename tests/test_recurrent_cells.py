"""Readable recurrent cells against torch's fused modules, and the gradient through time against
the linear theory: (W^T)^k carries the gradient back k steps, so its norm scales as rho^k for a
scaled orthogonal W."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from neurosim.deep.bptt import SequenceObjective
from neurosim.deep.gradients_through_time import step_gradient_norms
from neurosim.deep.models.cells import BLOCKS, FUSED, READABLE
from neurosim.deep.models.sequence import SequenceModel, initialise, spectral_radii

pytestmark = pytest.mark.usefixtures("one_torch_thread")

N, STEPS, INPUTS, HIDDEN = 5, 7, 3, 6
CASES = [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh")]


def fused_and_readable(cell: str, nonlinearity: str) -> tuple[nn.Module, nn.Module]:
    """A torch module with random weights and a readable cell loaded from its state dict."""
    torch.manual_seed(1)
    options = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    fused = FUSED[cell](INPUTS, HIDDEN, batch_first=True, **options)
    readable = READABLE[cell](INPUTS, HIDDEN, **options)
    readable.load_state_dict(fused.state_dict())  # strict: the same names and shapes
    return fused, readable


def initial_state(cell: str) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    h = torch.randn(1, N, HIDDEN)
    return (h, torch.randn(1, N, HIDDEN)) if cell == "lstm" else h


@pytest.mark.parametrize(("cell", "nonlinearity"), CASES)
def test_readable_cell_equals_torch_in_outputs_and_gradients(cell: str, nonlinearity: str):
    fused, readable = fused_and_readable(cell, nonlinearity)
    x = torch.randn(N, STEPS, INPUTS)
    state = initial_state(cell)
    results = []
    for module in (fused, readable):
        inputs = x.clone().requires_grad_(True)
        outputs, final = module(inputs, state)
        final_h = final[0] if cell == "lstm" else final
        loss = (outputs * torch.linspace(-1, 1, HIDDEN)).sum() + final_h.square().sum()
        if cell == "lstm":
            loss = loss + final[1].sin().sum()  # the cell state's gradient path too
        loss.backward()
        results.append(
            (outputs, final, inputs.grad, {k: p.grad for k, p in module.named_parameters()})
        )
    (out_f, final_f, dx_f, grads_f), (out_r, final_r, dx_r, grads_r) = results
    tolerance = {"rtol": 1e-5, "atol": 1e-5}
    torch.testing.assert_close(out_r, out_f, **tolerance)
    for a, b in zip(
        final_r if cell == "lstm" else [final_r],
        final_f if cell == "lstm" else [final_f],
        strict=True,
    ):
        torch.testing.assert_close(a, b, **tolerance)
    torch.testing.assert_close(dx_r, dx_f, **tolerance)
    assert (
        set(grads_r) == set(grads_f) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
    )
    for name, grad in grads_f.items():
        torch.testing.assert_close(grads_r[name], grad, **tolerance, msg=name)


@pytest.mark.parametrize(("cell", "nonlinearity"), CASES)
def test_a_sequence_model_moves_between_paths(cell: str, nonlinearity: str):
    torch.manual_seed(0)
    fused = SequenceModel(cell, INPUTS, HIDDEN, 4, per_step=True, nonlinearity=nonlinearity)
    torch.manual_seed(0)
    readable = SequenceModel(cell, INPUTS, HIDDEN, 4, True, "readable", nonlinearity)
    for key, value in fused.state_dict().items():  # same names, same draws from the same seed
        assert torch.equal(readable.state_dict()[key], value), key
    x = torch.randn(N, STEPS, INPUTS)
    twin = fused.readable()
    torch.testing.assert_close(twin(x)[0], fused(x)[0], rtol=1e-5, atol=1e-6)
    outputs, trace = twin.trace(x)
    torch.testing.assert_close(outputs, fused(x)[0], rtol=1e-5, atol=1e-6)
    assert len(trace.hidden) == STEPS
    assert readable.readable() is readable


def test_recorded_lstm_values_obey_the_cell_equations():
    _, lstm = fused_and_readable("lstm", "tanh")
    trace = lstm.trace(torch.randn(N, STEPS, INPUTS))
    v = trace.values
    c_before = torch.cat([torch.zeros(N, 1, HIDDEN), v["cell"][:, :-1]], dim=1)
    torch.testing.assert_close(
        v["cell"], v["forget_gate"] * c_before + v["input_gate"] * v["candidate"]
    )
    torch.testing.assert_close(torch.stack(trace.hidden, 1), v["output_gate"] * v["cell"].tanh())
    for gate in ("input_gate", "forget_gate", "output_gate"):
        assert 0 < v[gate].min() and v[gate].max() < 1


def test_recorded_gru_values_obey_the_cell_equations():
    _, gru = fused_and_readable("gru", "tanh")
    trace = gru.trace(torch.randn(N, STEPS, INPUTS))
    v, h = trace.values, torch.stack(trace.hidden, 1)
    h_before = torch.cat([torch.zeros(N, 1, HIDDEN), h[:, :-1]], dim=1)
    z = v["update_gate"]
    torch.testing.assert_close(h, (1 - z) * v["candidate"] + z * h_before)


@pytest.mark.parametrize("init", ["default", "orthogonal"])
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_spectral_radius_rescales_every_gate_block(cell: str, init: str):
    torch.manual_seed(0)
    model = SequenceModel(cell, INPUTS, 16, 2, per_step=False)
    initialise(model, init, 0.8)
    np.testing.assert_allclose(spectral_radii(model), np.full(len(BLOCKS[cell]), 0.8), rtol=1e-6)
    if init == "orthogonal":  # a scaled orthogonal block: every singular value 0.8
        for block in model.recurrent_blocks().values():
            svd = torch.linalg.svdvals(block.detach().double())
            np.testing.assert_allclose(svd.numpy(), 0.8, rtol=1e-5)


def test_identity_init_is_the_irnn():
    model = SequenceModel("rnn", INPUTS, HIDDEN, 2, per_step=False, nonlinearity="relu")
    initialise(model, "identity", None)
    assert torch.equal(model.core.weight_hh_l0, torch.eye(HIDDEN))
    assert not model.core.bias_ih_l0.any() and not model.core.bias_hh_l0.any()


def gradient_norms(radius: float, steps: int = 12) -> np.ndarray:
    """||dL/dh_t|| of a tanh net near its linear regime (zero biases, inputs of 1e-4) whose
    recurrent matrix is rho times an orthogonal one; the loss is read after the last step."""
    torch.manual_seed(0)
    model = SequenceModel("rnn", 2, 32, 1, per_step=False)
    initialise(model, "orthogonal", radius)
    with torch.no_grad():
        model.core.bias_ih_l0.zero_()
        model.core.bias_hh_l0.zero_()
    x = 1e-4 * torch.randn(8, steps, 2)
    objective = SequenceObjective("value", per_step=False, score=lambda outputs, y: {})
    return step_gradient_norms(model, objective, x, torch.full((8,), 3.0, dtype=torch.float64))


@pytest.mark.parametrize("radius", [0.5, 1.5])
def test_gradient_through_time_scales_as_the_spectral_radius_to_the_distance(radius: float):
    norms = gradient_norms(radius)
    distance = np.arange(len(norms))[::-1]  # steps back from the loss at the last step
    slope = np.polyfit(distance, np.log(norms), 1)[0]
    assert slope == pytest.approx(math.log(radius), abs=0.01)
    np.testing.assert_allclose(norms[:-1] / norms[1:], radius, rtol=0.01)  # step by step
    if radius < 1:
        assert np.all(np.diff(norms) > 0)  # vanishes going back
    else:
        assert np.all(np.diff(norms) < 0)  # explodes going back


def test_fused_and_readable_paths_give_the_same_gradient_picture():
    torch.manual_seed(0)
    model = SequenceModel("lstm", INPUTS, HIDDEN, 3, per_step=True)
    x, y = torch.randn(N, STEPS, INPUTS), torch.randint(0, 3, (N, STEPS))
    objective = SequenceObjective("class", per_step=True, score=lambda outputs, y: {})
    fused = step_gradient_norms(model, objective, x, y)
    readable = step_gradient_norms(model.readable(), objective, x, y)
    np.testing.assert_array_equal(fused, readable)
    assert all(p.grad is None for p in model.parameters())  # .grad untouched


KEEP_GATE_VALUE = {"lstm": "forget_gate", "gru": "update_gate"}


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_chrono_spreads_the_keep_times_uniformly_up_to_chrono_max(cell: str):
    """Tallec & Ollivier 2018: at zero input and state the keep gate is g = sigmoid(log u) =
    u / (1 + u), u ~ U(1, chrono_max - 1), so the unit's time 1 / (1 - g) = 1 + u is uniform on
    [2, chrono_max]; the LSTM's input gate is sigmoid(-log u) = 1 - g. Set on the fused path, read
    through its readable twin."""
    hidden, chrono_max = 1000, 100.0
    torch.manual_seed(0)
    default = SequenceModel(cell, INPUTS, hidden, 2, per_step=True)
    torch.manual_seed(0)
    model = SequenceModel(cell, INPUTS, hidden, 2, per_step=True)
    initialise(model, "chrono", None, chrono_max)
    with torch.no_grad():
        trace = model.readable().core.trace(torch.zeros(1, 1, INPUTS))
    keep = trace.values[KEEP_GATE_VALUE[cell]][0, 0].double().numpy()
    tau = np.sort(1 / (1 - keep))
    assert 2 - 1e-6 <= tau[0] and tau[-1] <= chrono_max + 1e-3
    uniform = (tau - 2) / (chrono_max - 2)  # the U(2, chrono_max) CDF at each sorted time
    empirical = np.arange(1, hidden + 1) / hidden
    assert np.abs(empirical - uniform).max() < 1.63 / math.sqrt(hidden)  # Kolmogorov-Smirnov, 1 %
    assert keep.mean() == pytest.approx(
        1 - math.log(chrono_max / 2) / (chrono_max - 2), abs=0.01
    )  # E[1 - 1 / tau] for tau ~ U(2, chrono_max)
    if cell == "lstm":
        inputs = trace.values["input_gate"][0, 0].double().numpy()
        np.testing.assert_allclose(inputs, 1 - keep, atol=1e-6)
    changed = {"lstm": ("input", "forget"), "gru": ("update",)}[cell]
    rows = torch.zeros(len(BLOCKS[cell]) * hidden, dtype=torch.bool)
    for block in changed:
        start = BLOCKS[cell].index(block) * hidden
        rows[start : start + hidden] = True
    assert not model.core.bias_hh_l0[rows].any()
    for name, value in default.state_dict().items():  # everything else as torch drew it
        kept = model.state_dict()[name]
        if name.startswith("core.bias"):
            kept, value = kept[~rows], value[~rows]
        assert torch.equal(kept, value), name
