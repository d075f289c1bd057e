"""Recurrent nets trained by backprop through time: `rnn`, `gru` and `lstm`.

The backprop side of the sequences family: what a gradient can carry across T steps, against
which spiking and reservoir learners are read. Each trains through the shared Trainer on the
fused torch path by default; the readable path (cells written from the equations) trains the same
parameters step by step. Whichever path trained it, the model is copied into readable cells to
record its gates on the probe sequence and the gradient reaching every step.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar, Literal

import numpy as np
import torch

from neurosim.activity import Activity, Signal
from neurosim.deep.bptt import SequenceObjective
from neurosim.deep.cost import trainer_cost
from neurosim.deep.gradients_through_time import GradientsThroughTime
from neurosim.deep.models.cells import CellName
from neurosim.deep.models.sequence import InitName, PathName, SequenceModel, initialise
from neurosim.deep.optimizers import OptimizerName
from neurosim.deep.trainer import Trainer, training_checks
from neurosim.families.sequences import N_PROBE_SEQUENCES, SequenceLearner
from neurosim.learner import Budget, History, Recorder
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.base import Split
from neurosim.tasks.sequences import SequenceTask

GRADIENT_SEQUENCES = 32  # the first training sequences, where the gradient through time is read


@dataclasses.dataclass
class RecurrentParams:
    """Hyperparameters shared by rnn, gru and lstm; `cell` is fixed by the learner.

    `tbptt`: steps per chunk of truncated BPTT (0 or None: full BPTT). `clip_grad_norm`: the
    largest L2 norm of a step's gradient (Pascanu et al. 2013; 0 or None: no clipping).
    `init` and `spectral_radius` set the recurrent weights (see `initialise`); `identity` (IRNN)
    and `nonlinearity = "relu"` are Elman-net choices, refused for gru and lstm, whose gates
    already fix their nonlinearities. `init = "chrono"` (gru and lstm only; Tallec & Ollivier
    2018) sets the gate biases so that units keep their state for times spread over 2 ..
    `chrono_max` steps; None takes the task's sequence length, the longest dependency a sequence
    can hold (copy: T + 20 steps for a lag of T + 10). `gradient_every`: epochs between
    recordings of the gradient through time (also recorded at initialisation and after the last
    epoch).
    With a val split the model with the lowest val loss is kept; `patience` epochs without a
    lower one stop training (0 or None: never).
    """

    cell: ClassVar[CellName] = "rnn"
    hidden: int = 64
    path: PathName = "fused"
    nonlinearity: Literal["tanh", "relu"] = "tanh"
    init: InitName = "default"
    spectral_radius: float | None = None
    chrono_max: float | None = None
    optimizer: OptimizerName = "adam"
    lr: float = 1e-3
    momentum: float = 0.9  # used by 'momentum' and 'nesterov' only
    weight_decay: float = 0.0  # L2: lambda * w added to the gradient
    batch_size: int = 32
    clip_grad_norm: float | None = 1.0
    tbptt: int | None = None
    patience: int | None = 20
    device: str = "auto"
    gradient_every: int = 5

    def validate(self, owner: str) -> None:
        elman = self.cell == "rnn"
        radius = self.spectral_radius
        clip = self.clip_grad_norm
        chrono_max = self.chrono_max
        check_fields(
            owner,
            self,
            [
                ("hidden", self.hidden >= 1, "must be >= 1"),
                ("nonlinearity", elman or self.nonlinearity == "tanh", "must be 'tanh' (rnn only)"),
                ("init", elman or self.init != "identity", "may be 'identity' (IRNN) for rnn only"),
                (
                    "init",
                    not elman or self.init != "chrono",
                    "may be 'chrono' for gru and lstm only",
                ),
                (
                    "chrono_max",
                    chrono_max is None or (math.isfinite(chrono_max) and chrono_max > 2),
                    "must be a finite number > 2",
                ),
                (
                    "spectral_radius",
                    radius is None or (math.isfinite(radius) and radius > 0),
                    "must be a finite number > 0",
                ),
                ("clip_grad_norm", clip is None or clip >= 0, "must be >= 0"),
                ("tbptt", self.tbptt is None or self.tbptt >= 0, "must be >= 0"),
                ("gradient_every", self.gradient_every >= 1, "must be >= 1"),
                *training_checks(self),
            ],
        )


@dataclasses.dataclass
class GRUParams(RecurrentParams):
    cell: ClassVar[CellName] = "gru"


@dataclasses.dataclass
class LSTMParams(RecurrentParams):
    cell: ClassVar[CellName] = "lstm"


class RecurrentLearner(SequenceLearner):
    """A recurrent layer and a linear readout trained by BPTT through the shared Trainer."""

    Params: ClassVar[type[RecurrentParams]]
    budget_fields = frozenset({"epochs", "samples", "wall_time_s"})
    artifacts = ("arrays", "activity")
    default_epochs = 100

    def fit(self, task: SequenceTask, budget: Budget, recorder: Recorder) -> History:
        p = self.params
        objective = SequenceObjective(task.target, task.per_step, task.score, p.tbptt or None)
        train = task.split("train")
        gradients = GradientsThroughTime(
            objective,
            Split(train.x[:GRADIENT_SEQUENCES], train.y[:GRADIENT_SEQUENCES]),
            p.gradient_every,
        )
        trainer = Trainer.from_params(
            p,
            self.default_epochs,
            callbacks=[gradients] if recorder.enabled else [],
            objective=objective,
            clip_grad_norm=p.clip_grad_norm or None,
        )
        result = trainer.fit(
            lambda: self.build(task),
            train,
            task.split("val") if "val" in task.splits else None,
            budget,
            task.seed,
        )
        self.model_, self.device_, self.objective_ = result.model, result.device, objective
        self.history_, self.best_epoch_ = result.history, result.best_epoch
        if recorder.enabled:
            recorder.arrays("gradients_through_time", **gradients.arrays())
            self._record_gates(task, recorder)
        return self.history_

    def build(self, task: SequenceTask) -> SequenceModel:
        """The untrained model for `task`, its recurrent weights initialised as asked."""
        p = self.params
        model = SequenceModel(
            p.cell, task.n_inputs, p.hidden, task.n_outputs, task.per_step, p.path, p.nonlinearity
        )
        initialise(model, p.init, p.spectral_radius, p.chrono_max or task.steps)
        return model

    def outputs(self, task: SequenceTask, x: np.ndarray) -> np.ndarray:
        inputs = torch.as_tensor(x, dtype=torch.float32, device=self.device_)
        return self.objective_.predict(self.model_, inputs).cpu().numpy()

    def representations(self, task: SequenceTask, x: np.ndarray) -> dict[str, np.ndarray]:
        """The hidden state after the last step (what the readout sees) and the logits."""
        inputs = torch.as_tensor(x, dtype=torch.float32, device=self.device_)
        self.model_.eval()
        with torch.inference_mode():
            hidden, _ = self.model_.core(inputs)
            last = hidden[:, -1]
            output = self.model_.readout(last)
        return {"hidden": last.cpu().numpy(), "output": output.cpu().numpy()}

    def cost(self, task: SequenceTask) -> dict:
        """MACs per sequence counted by torch on the readable twin (torch's counter does not
        see inside the fused LSTM kernel): every step forward, backprop through time back (in
        chunks with `tbptt`); the inference time is the trained path's."""
        return trainer_cost(
            self.model_,
            self.objective_,
            task.split("train"),
            self.params.batch_size,
            self.device_,
            what=f"training sequences of {task.steps} steps (a sample is a sequence)",
            infer=self.objective_.predict,
            count_on=self.model_.readable(),
        )

    def _record_gates(self, task: SequenceTask, recorder: Recorder) -> None:
        """Every gate, cell and hidden value of the trained net on the first probe sequence."""
        probe = task.probe_set(N_PROBE_SEQUENCES)
        model = self.model_.readable().eval()
        x = torch.as_tensor(probe.x[:1], dtype=torch.float32, device=self.device_)
        with torch.inference_mode():
            _, trace = model.trace(x)
        t = np.arange(task.steps)
        signals = {
            "input": Signal(t=t, values=probe.x[0]),
            "hidden": Signal(t=t, values=torch.stack(trace.hidden, dim=1)[0].cpu().numpy()),
        }
        for name, values in trace.values.items():
            signals[name] = Signal(t=t, values=values[0].cpu().numpy())
        meta = {
            "sequence": 0,
            "target": np.asarray(probe.y[0]).tolist(),
            "cell": self.params.cell,
            "trained_path": self.params.path,
            "note": "t is the step index; values per step and unit of the trained net",
        }
        recorder.activity(Activity(signals=signals, meta=meta), probe=probe.name, name="gates")


@LEARNERS.register("rnn")
class RNNLearner(RecurrentLearner):
    """Elman net (tanh or relu): the gradient through time vanishes or explodes."""

    name = "rnn"
    Params = RecurrentParams


@LEARNERS.register("gru")
class GRULearner(RecurrentLearner):
    """Gated recurrent unit (Cho et al. 2014)."""

    name = "gru"
    Params = GRUParams


@LEARNERS.register("lstm")
class LSTMLearner(RecurrentLearner):
    """Long short-term memory with a forget gate (Hochreiter & Schmidhuber 1997)."""

    name = "lstm"
    Params = LSTMParams
