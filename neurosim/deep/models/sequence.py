"""A recurrent net with a linear readout, on either path: torch's fused module or readable cells.

Both paths have the same parameter names (`core.weight_ih_l0`, ..., `readout.weight`), so a model
trained fast on the fused path is copied into readable cells to look at its gates and at the
gradient reaching every step. The readout reads every step (per-step targets) or the last one.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from torch import nn

from neurosim.deep.models.cells import BLOCKS, FUSED, READABLE, CellName, RNNCell, State, Trace

PathName = Literal["fused", "readable"]
InitName = Literal["default", "identity", "orthogonal", "chrono"]
# The gate block whose bias chrono sets so that the state is kept: c = f * c + ..., h = z * h + ...
KEEP_GATE = {"lstm": "forget", "gru": "update"}


def build_core(
    cell: CellName, n_inputs: int, hidden: int, path: PathName, nonlinearity: str
) -> nn.Module:
    """One recurrent layer, batch first, taking and returning state in torch's layout."""
    if path == "readable":
        if cell == "rnn":
            return RNNCell(n_inputs, hidden, nonlinearity)
        return READABLE[cell](n_inputs, hidden)
    options = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    return FUSED[cell](n_inputs, hidden, batch_first=True, **options)


class SequenceModel(nn.Module):
    """Recurrent layer + linear readout; `forward(x, state)` gives (outputs, final state)."""

    def __init__(
        self,
        cell: CellName,
        n_inputs: int,
        hidden: int,
        n_outputs: int,
        per_step: bool,
        path: PathName = "fused",
        nonlinearity: str = "tanh",
    ):
        super().__init__()
        self.cell, self.path, self.per_step = cell, path, per_step
        self.nonlinearity = nonlinearity
        self.sizes = (n_inputs, hidden, n_outputs)
        self.core = build_core(cell, n_inputs, hidden, path, nonlinearity)
        self.readout = nn.Linear(hidden, n_outputs)

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Outputs (n, steps, outputs) for per-step targets, else (n, outputs) after the last
        step; the final state (torch's layout) to carry into a next chunk."""
        hidden, state = self.core(x, state)
        return self.readout(hidden if self.per_step else hidden[:, -1]), state

    def trace(self, x: torch.Tensor) -> tuple[torch.Tensor, Trace]:
        """Outputs as `forward` gives them and the readable cells' trace (readable path only)."""
        if self.path != "readable":
            raise ValueError("trace needs the readable path: use model.readable()")
        trace = self.core.trace(x)
        hidden = torch.stack(trace.hidden, dim=1) if self.per_step else trace.hidden[-1]
        return self.readout(hidden), trace

    def readable(self) -> SequenceModel:
        """This model on the readable path with the same weights (itself if it already is).

        Built inside a forked generator: making the copy draws no random numbers from the
        training's stream.
        """
        if self.path == "readable":
            return self
        with torch.random.fork_rng(devices=[]):
            twin = SequenceModel(
                self.cell, *self.sizes, self.per_step, "readable", self.nonlinearity
            )
        twin.load_state_dict(self.state_dict())  # copies the values into the twin's own
        return twin.to(self.readout.weight.device).train(self.training)

    def recurrent_blocks(self) -> dict[str, torch.Tensor]:
        """The recurrent weight matrix of each gate block (hidden, hidden), by block name."""
        weight = self.core.weight_hh_l0
        return dict(zip(BLOCKS[self.cell], weight.chunk(len(BLOCKS[self.cell])), strict=True))


def spectral_radius(matrix: torch.Tensor) -> float:
    """The largest eigenvalue modulus (in float64 on the CPU)."""
    return float(torch.linalg.eigvals(matrix.detach().cpu().double()).abs().max())


def spectral_radii(model: SequenceModel) -> np.ndarray:
    """The spectral radius of each recurrent gate block, in torch's block order."""
    return np.array([spectral_radius(block) for block in model.recurrent_blocks().values()])


def initialise(
    model: SequenceModel, init: InitName, radius: float | None, chrono_max: float | None = None
) -> None:
    """Re-initialise the recurrent weights (and for chrono the gate biases) in place.

    - default: torch's U(-1/sqrt(hidden), 1/sqrt(hidden)), left as built.
    - identity: Le et al. 2015 (IRNN): recurrent matrix I and zero biases, so at the start the
      state is carried unchanged and the gradient neither vanishes nor explodes.
    - orthogonal: each gate block a random orthogonal matrix (Saxe et al. 2014): all singular
      values 1, the gradient's norm kept through linear steps.
    - chrono: torch's weights, and gate biases set by `chrono_biases` so that each unit keeps its
      state for a time drawn between 2 and `chrono_max` steps (gru and lstm only).
    `radius` then rescales every block to that spectral radius.
    """
    core = model.core
    with torch.no_grad():
        if init == "identity":
            hidden = core.weight_hh_l0.shape[1]
            for block in model.recurrent_blocks().values():
                block.copy_(torch.eye(hidden))
            core.bias_ih_l0.zero_()
            core.bias_hh_l0.zero_()
        elif init == "orthogonal":
            for block in model.recurrent_blocks().values():
                nn.init.orthogonal_(block)
        elif init == "chrono":
            if chrono_max is None:
                raise ValueError("init 'chrono' needs chrono_max")
            chrono_biases(model, chrono_max)
        if radius is not None:
            for block in model.recurrent_blocks().values():
                current = spectral_radius(block)
                if current > 0:
                    block.mul_(radius / current)


def chrono_biases(model: SequenceModel, chrono_max: float) -> None:
    """Chrono initialisation (Tallec & Ollivier 2018, "Can recurrent neural networks warp time?").

    A gated unit whose keep gate stays at g forgets at rate 1 - g: its state decays over
    tau = 1 / (1 - g) steps. Torch's small random biases put g near 1/2, tau near 2, so the
    gradient from a target T steps later shrinks roughly as 2^-T before training has begun.
    Chrono spreads the units' times instead: the keep-gate bias is b = log(u), u ~ U(1,
    chrono_max - 1), so g = sigmoid(b) = u / (1 + u) and tau = 1 + u ~ U(2, chrono_max) at zero
    input. The LSTM's keep gate is its forget gate f, and its input gate gets -b, so i = 1 - f: a
    unit that keeps long writes little, and its cell settles at i * g / (1 - f) = g, within
    (-1, 1). In torch's GRU h' = (1 - z) * n + z * h, so the keep gate is the update gate z, and
    1 - z already writes. The bias sits in bias_ih, bias_hh's
    part set to 0: the cell sees only their sum, on either path.
    """
    core, cell = model.core, model.cell
    blocks = BLOCKS[cell]
    hidden = core.weight_hh_l0.shape[1]

    def rows(block: str) -> slice:
        start = blocks.index(block) * hidden
        return slice(start, start + hidden)

    keep = torch.log(torch.empty(hidden).uniform_(1.0, chrono_max - 1.0))
    with torch.no_grad():
        core.bias_ih_l0[rows(KEEP_GATE[cell])] = keep
        core.bias_hh_l0[rows(KEEP_GATE[cell])] = 0.0
        if cell == "lstm":
            core.bias_ih_l0[rows("input")] = -keep
            core.bias_hh_l0[rows("input")] = 0.0
