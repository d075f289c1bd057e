"""Recurrent cells written out from the textbook equations, one step at a time.

torch's `nn.RNN`/`nn.GRU`/`nn.LSTM` run fused kernels that hide the gates and keep the hidden state
of each step out of the autograd graph. These cells compute the same thing step by step in plain
torch, so every gate can be recorded and the gradient of a loss can be read at every step's
hidden state. Parameters have torch's names, shapes and gate order (one layer: `weight_ih_l0`
(blocks * hidden, inputs), `weight_hh_l0` (blocks * hidden, hidden), `bias_ih_l0`, `bias_hh_l0`),
so a state dict moves between a cell and its torch counterpart unchanged.
"""

from __future__ import annotations

import dataclasses
import math
from abc import abstractmethod
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

CellName = Literal["rnn", "gru", "lstm"]
# State as torch's batch_first modules take it: h (1, n, hidden), or (h, c) for the LSTM.
State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


@dataclasses.dataclass
class Trace:
    """One pass over a sequence: each step's hidden state (n, hidden) as the graph node the next
    step reads, each step's gate values by name (n, steps, hidden), and the final state."""

    hidden: list[torch.Tensor]
    values: dict[str, torch.Tensor]
    state: State


class ReadableCell(nn.Module):
    """A single-layer recurrent net laid out as torch's, stepped in Python.

    `blocks` names the gate blocks stacked in the weight matrices, in torch's order.
    """

    blocks: ClassVar[tuple[str, ...]]
    values: ClassVar[tuple[str, ...]]  # what `step` reports besides the hidden state

    def __init__(self, n_inputs: int, hidden: int):
        super().__init__()
        self.input_size, self.hidden_size = n_inputs, hidden
        rows = len(self.blocks) * hidden
        self.weight_ih_l0 = nn.Parameter(torch.empty(rows, n_inputs))
        self.weight_hh_l0 = nn.Parameter(torch.empty(rows, hidden))
        self.bias_ih_l0 = nn.Parameter(torch.empty(rows))
        self.bias_hh_l0 = nn.Parameter(torch.empty(rows))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's initialisation: every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    @abstractmethod
    def step(
        self, gx: torch.Tensor, state: State
    ) -> tuple[torch.Tensor, State, dict[str, torch.Tensor]]:
        """One step from the input projection `gx` = W_ih x_t + b_ih (n, blocks * hidden) and the
        previous state (h (n, hidden), or (h, c)): the new h, the new state and the gate values."""

    def initial_state(self, x: torch.Tensor) -> State:
        return x.new_zeros(len(x), self.hidden_size)

    def trace(self, x: torch.Tensor, state: State | None = None) -> Trace:
        """Run over x (n, steps, inputs) from `state` (torch's layout; zeros when None)."""
        if state is None:
            state = self.initial_state(x)
        elif isinstance(state, tuple):
            state = (state[0][0], state[1][0])  # drop torch's layer axis
        else:
            state = state[0]
        gx = F.linear(x, self.weight_ih_l0, self.bias_ih_l0)  # every step's input part at once
        hidden: list[torch.Tensor] = []
        values: dict[str, list[torch.Tensor]] = {name: [] for name in self.values}
        for t in range(x.shape[1]):
            h, state, step_values = self.step(gx[:, t], state)
            hidden.append(h)
            for name, value in step_values.items():
                values[name].append(value)
        final = (state[0][None], state[1][None]) if isinstance(state, tuple) else state[None]
        stacked = {name: torch.stack(steps, dim=1) for name, steps in values.items() if steps}
        return Trace(hidden, stacked, final)

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """As torch's batch_first module: every step's h (n, steps, hidden) and the final state."""
        trace = self.trace(x, state)
        return torch.stack(trace.hidden, dim=1), trace.state


class RNNCell(ReadableCell):
    """Elman: h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or relu."""

    blocks = ("recurrent",)
    values = ()

    def __init__(self, n_inputs: int, hidden: int, nonlinearity: str = "tanh"):
        super().__init__(n_inputs, hidden)
        self.nonlinearity = nonlinearity

    def step(
        self, gx: torch.Tensor, state: State
    ) -> tuple[torch.Tensor, State, dict[str, torch.Tensor]]:
        pre = gx + F.linear(state, self.weight_hh_l0, self.bias_hh_l0)
        h = torch.tanh(pre) if self.nonlinearity == "tanh" else torch.relu(pre)
        return h, h, {}


class GRUCell(ReadableCell):
    """Cho et al. 2014, as torch defines it (the reset gate scales W_hn h + b_hn):
    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h."""

    blocks = ("reset", "update", "candidate")
    values = ("reset_gate", "update_gate", "candidate")

    def step(
        self, gx: torch.Tensor, state: State
    ) -> tuple[torch.Tensor, State, dict[str, torch.Tensor]]:
        h = state
        x_r, x_z, x_n = gx.chunk(3, dim=1)
        h_r, h_z, h_n = F.linear(h, self.weight_hh_l0, self.bias_hh_l0).chunk(3, dim=1)
        reset = torch.sigmoid(x_r + h_r)
        update = torch.sigmoid(x_z + h_z)
        candidate = torch.tanh(x_n + reset * h_n)
        h = (1 - update) * candidate + update * h
        return h, h, {"reset_gate": reset, "update_gate": update, "candidate": candidate}


class LSTMCell(ReadableCell):
    """Hochreiter & Schmidhuber 1997 with a forget gate (Gers et al. 2000), gates in torch's order:
    i, f, o = sigmoid(W x + b + U h + b'), g = tanh(...), c' = f * c + i * g, h' = o * tanh(c')."""

    blocks = ("input", "forget", "candidate", "output")
    values = ("input_gate", "forget_gate", "candidate", "output_gate", "cell")

    def initial_state(self, x: torch.Tensor) -> State:
        zeros = x.new_zeros(len(x), self.hidden_size)
        return zeros, zeros

    def step(
        self, gx: torch.Tensor, state: State
    ) -> tuple[torch.Tensor, State, dict[str, torch.Tensor]]:
        h, c = state
        pre = gx + F.linear(h, self.weight_hh_l0, self.bias_hh_l0)
        x_i, x_f, x_g, x_o = pre.chunk(4, dim=1)
        input_gate = torch.sigmoid(x_i)
        forget_gate = torch.sigmoid(x_f)
        candidate = torch.tanh(x_g)
        output_gate = torch.sigmoid(x_o)
        c = forget_gate * c + input_gate * candidate
        h = output_gate * torch.tanh(c)
        values = {
            "input_gate": input_gate,
            "forget_gate": forget_gate,
            "candidate": candidate,
            "output_gate": output_gate,
            "cell": c,
        }
        return h, (h, c), values


READABLE: dict[str, type[ReadableCell]] = {"rnn": RNNCell, "gru": GRUCell, "lstm": LSTMCell}
FUSED: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
BLOCKS: dict[str, tuple[str, ...]] = {name: cell.blocks for name, cell in READABLE.items()}
