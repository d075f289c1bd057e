"""rnn, gru and lstm: truncated BPTT, clipping, parameters, budgets, recordings and a fast check
that an LSTM learns what a memoryless guess cannot."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from neurosim.artifacts import Artifacts
from neurosim.deep.bptt import SequenceObjective
from neurosim.deep.callbacks import Callback, TrainState
from neurosim.deep.learners.recurrent import GRULearner, LSTMLearner, RNNLearner
from neurosim.deep.models.sequence import SequenceModel
from neurosim.deep.optimizers import OPTIMIZERS
from neurosim.deep.trainer import Trainer
from neurosim.errors import ParameterError
from neurosim.learner import Budget, Recorder
from neurosim.tasks import make_task
from neurosim.tasks.sequences import ADDING_BASELINE, SequenceTask

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = {"n_train": 64, "n_val": 32, "n_test": 32}


def no_score(outputs: np.ndarray, y: np.ndarray) -> dict[str, float]:
    return {}


def input_gradient(tbptt: int | None, per_step: bool) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The losses a batch gives and the gradient of the last one w.r.t. every input step."""
    torch.manual_seed(0)
    model = SequenceModel("lstm", 2, 8, 3, per_step=per_step)
    x = torch.randn(4, 10, 2, requires_grad=True)
    y = torch.randint(0, 3, (4, 10) if per_step else (4,))
    objective = SequenceObjective("class", per_step, no_score, tbptt)
    losses = list(objective.losses(model, x, y))  # nothing stepped: the weights stay fixed
    (grad,) = torch.autograd.grad(losses[-1], x)
    return losses, grad.abs().sum(dim=(0, 2))


def test_full_bptt_reaches_every_step():
    losses, reach = input_gradient(None, per_step=False)
    assert len(losses) == 1
    assert torch.all(reach > 0)


@pytest.mark.parametrize("per_step", [False, True])
def test_truncated_bptt_reaches_no_further_back_than_its_chunk(per_step: bool):
    losses, reach = input_gradient(4, per_step)  # chunks: steps 0-3, 4-7, 8-9
    assert len(losses) == (3 if per_step else 1)  # a target after the last step: one loss
    assert torch.all(reach[8:] > 0)
    assert torch.all(reach[:8] == 0)


def test_truncated_bptt_carries_the_state_forward_unchanged():
    torch.manual_seed(0)
    model = SequenceModel("gru", 2, 8, 1, per_step=False)
    x, y = torch.randn(4, 10, 2), torch.rand(4, dtype=torch.float64)
    full = SequenceObjective("value", False, no_score)
    (truncated,) = SequenceObjective("value", False, no_score, tbptt=3).losses(model, x, y)
    (whole,) = full.losses(model, x, y)
    torch.testing.assert_close(truncated, whole)  # same forward values, only the graph is cut


class NormsAroundTheStep(Callback):
    """Gradient norm before clipping, after it, and the size of the step taken."""

    def __init__(self) -> None:
        self.raw: list[float] = []
        self.used: list[float] = []
        self.moves: list[float] = []

    def on_before_step(self, state: TrainState) -> None:
        self.raw.append(nn.utils.get_total_norm([p.grad for p in state.model.parameters()]).item())
        self.before = [p.detach().clone() for p in state.model.parameters()]

    def on_batch_end(self, state: TrainState) -> None:
        self.used.append(nn.utils.get_total_norm([p.grad for p in state.model.parameters()]).item())
        moves = [p.detach() - b for p, b in zip(state.model.parameters(), self.before, strict=True)]
        self.moves.append(nn.utils.get_total_norm(moves).item())


@pytest.mark.parametrize("clip", [None, 0.05])
def test_clipping_caps_the_gradient_norm_of_every_step(clip: float | None):
    task = make_task("adding", 0, T=10, **SMALL)
    watch, lr = NormsAroundTheStep(), 0.1
    trainer = Trainer(
        optimizer="sgd",
        lr=lr,
        default_epochs=2,
        batch_size=16,
        device="cpu",
        callbacks=[watch],
        objective=SequenceObjective("value", False, task.score),
        clip_grad_norm=clip,
    )
    build = LSTMLearner(hidden=8).build
    trainer.fit(lambda: build(task), task.split("train"), None, Budget(), seed=0)
    raw, used, moves = map(np.array, (watch.raw, watch.used, watch.moves))
    assert len(raw) == 8  # 64 sequences in batches of 16, two epochs
    expected = raw if clip is None else np.minimum(raw, clip)
    if clip is not None:
        assert np.all(raw > clip)  # the cap was hit, so it was tested
    np.testing.assert_allclose(used, expected, rtol=1e-4)
    np.testing.assert_allclose(moves, lr * expected, rtol=1e-3)  # plain SGD: step = lr * grad


@pytest.mark.parametrize(
    ("learner", "params", "field"),
    [
        (GRULearner, {"nonlinearity": "relu"}, "nonlinearity"),
        (LSTMLearner, {"nonlinearity": "relu"}, "nonlinearity"),
        (LSTMLearner, {"init": "identity"}, "init"),
        (RNNLearner, {"init": "xavier"}, "init"),
        (RNNLearner, {"init": "chrono"}, "init"),
        (GRULearner, {"chrono_max": 2.0}, "chrono_max"),
        (RNNLearner, {"path": "slow"}, "path"),
        (RNNLearner, {"hidden": 0}, "hidden"),
        (RNNLearner, {"spectral_radius": 0.0}, "spectral_radius"),
        (RNNLearner, {"spectral_radius": float("inf")}, "spectral_radius"),
        (RNNLearner, {"optimizer": "lbfgs"}, "optimizer"),
        (RNNLearner, {"lr": -1.0}, "lr"),
        (RNNLearner, {"momentum": 1.0}, "momentum"),
        (RNNLearner, {"weight_decay": -1.0}, "weight_decay"),
        (RNNLearner, {"batch_size": 0}, "batch_size"),
        (RNNLearner, {"clip_grad_norm": -1.0}, "clip_grad_norm"),
        (RNNLearner, {"tbptt": -5}, "tbptt"),
        (RNNLearner, {"patience": -1}, "patience"),
        (RNNLearner, {"device": "gpu7"}, "device"),
        (RNNLearner, {"gradient_every": 0}, "gradient_every"),
    ],
)
def test_bad_params_name_the_field(learner: type, params: dict, field: str):
    with pytest.raises(ParameterError, match=re.escape(f"field '{field}'")):
        learner(**params)


def test_relu_and_identity_are_elman_choices():
    params = RNNLearner(nonlinearity="relu", init="identity").params
    assert (params.cell, params.nonlinearity, params.init) == ("rnn", "relu", "identity")


def test_lstm_learns_adding_far_below_the_memoryless_baseline():
    task = make_task("adding", 0, T=10, n_train=1000, n_val=200, n_test=500)
    learner = LSTMLearner(hidden=32, lr=0.01)
    learner.fit(task, Budget(epochs=10), Recorder())
    assert learner.evaluate(task, "test")["loss"] < ADDING_BASELINE / 10


@pytest.fixture(scope="module")
def copy_task() -> SequenceTask:
    return make_task("copy", 0, T=5, **SMALL)


@pytest.mark.parametrize(("chrono_max", "longest"), [(None, 25), (10.0, 10)])
def test_chrono_times_reach_chrono_max_or_the_sequence_length(
    copy_task: SequenceTask, chrono_max: float | None, longest: float
):
    """Keep times 1 + exp(b_f) fill [2, chrono_max]; by default up to the 25 steps of copy T = 5."""
    model = LSTMLearner(hidden=500, init="chrono", chrono_max=chrono_max).build(copy_task)
    forget = model.core.bias_ih_l0[500:1000] + model.core.bias_hh_l0[500:1000]
    tau = 1 + forget.detach().exp()
    assert copy_task.steps == 25
    assert 2 <= tau.min() < 2.2 and longest - 0.2 < tau.max() <= longest + 1e-4


def test_readable_path_trains_as_the_fused_one(copy_task: SequenceTask):
    histories = []
    for path in ("fused", "readable"):
        learner = GRULearner(hidden=8, path=path, lr=0.01)
        histories.append(learner.fit(copy_task, Budget(epochs=3), Recorder()).rows)
    fused, readable = histories
    for a, b in zip(fused, readable, strict=True):
        assert a.keys() == b.keys()
        np.testing.assert_allclose(list(a.values()), list(b.values()), rtol=1e-4)


def test_keeps_the_lowest_val_loss_model(copy_task: SequenceTask):
    learner = LSTMLearner(hidden=8, lr=0.05, patience=None)
    history = learner.fit(copy_task, Budget(epochs=6), Recorder())
    logged = history.column("val_loss")
    assert list(history.rows[0]) == ["epoch", "samples", "train_loss", "val_loss", "val_accuracy"]
    assert learner.evaluate(copy_task, "val")["loss"] == logged.min()
    assert learner.best_epoch_ == 1 + np.flatnonzero(logged == logged.min())[-1]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_trains(copy_task: SequenceTask, optimizer: str):
    learner = RNNLearner(hidden=8, optimizer=optimizer, lr=0.01)
    history = learner.fit(copy_task, Budget(epochs=2), Recorder())
    assert history.rows[-1]["samples"] == 2 * 64
    assert np.isfinite(history.column("val_loss")).all()


def test_sample_and_wall_time_budgets(copy_task: SequenceTask):
    history = RNNLearner(hidden=8).fit(copy_task, Budget(samples=100), Recorder())
    assert [row["samples"] for row in history.rows] == [64, 100]
    history = RNNLearner(hidden=8, batch_size=16).fit(copy_task, Budget(wall_time_s=0), Recorder())
    assert [row["samples"] for row in history.rows] == [16]


def test_recording_changes_nothing(copy_task: SequenceTask, tmp_path: Path):
    def fit(recorder: Recorder) -> list[dict[str, float]]:
        return (
            LSTMLearner(hidden=8, lr=0.01, gradient_every=2)
            .fit(copy_task, Budget(epochs=3), recorder)
            .rows
        )

    assert fit(Recorder(tmp_path)) == fit(Recorder())


@pytest.mark.parametrize(
    ("learner", "gates"),
    [
        (RNNLearner, set()),
        (GRULearner, {"reset_gate", "update_gate", "candidate"}),
        (LSTMLearner, {"input_gate", "forget_gate", "output_gate", "candidate", "cell"}),
    ],
)
def test_records_gradients_through_time_and_gates(
    copy_task: SequenceTask, learner: type, gates: set[str], tmp_path: Path
):
    fitted = learner(hidden=8, gradient_every=2, init="orthogonal", spectral_radius=0.9)
    fitted.fit(copy_task, Budget(epochs=5), Recorder(tmp_path))
    artifacts = Artifacts(tmp_path)
    (entry,) = artifacts.entries("arrays", "gradients_through_time")
    arrays = Artifacts.load(entry)
    blocks = {"rnn": 1, "gru": 3, "lstm": 4}[fitted.params.cell]
    assert arrays["epochs"].tolist() == [0, 2, 4, 5]  # initialisation, every 2, the last
    assert arrays["step_norms"].shape == (4, copy_task.steps)
    assert arrays["spectral_radius"].shape == (4, blocks) == (4, len(arrays["blocks"]))
    np.testing.assert_allclose(arrays["spectral_radius"][0], 0.9, rtol=1e-6)  # as initialised
    assert np.all(arrays["step_norms"] > 0)

    (entry,) = artifacts.entries("activity", "gates")
    probe = copy_task.probe_set(4)
    assert entry.meta["probe"] == probe.name
    activity = Artifacts.load(entry)
    assert set(activity.signals) == {"input", "hidden"} | gates
    assert activity.meta["sequence"] == 0
    assert activity.meta["target"] == probe.y[0].tolist()
    np.testing.assert_array_equal(activity.signals["input"].values, probe.x[0])
    np.testing.assert_array_equal(activity.signals["hidden"].t, np.arange(copy_task.steps))
    # the hidden states are those of the trained fused net
    model = fitted.model_
    with torch.no_grad():
        hidden, _ = model.core(torch.as_tensor(probe.x[:1]))
    np.testing.assert_allclose(activity.signals["hidden"].values, hidden[0], rtol=1e-5, atol=1e-6)
