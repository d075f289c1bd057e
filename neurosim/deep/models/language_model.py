"""A word-level recurrent language model: embedding -> 1-2 recurrent layers -> softmax.

The recurrent layers are the sequences family's cores (`build_core`), one single-layer module per
layer, so the fused and readable paths share parameter names (`cores.0.weight_ih_l0`, ...) and a
model trained fast is copied into readable cells to look at its gates. Dropout sits on the
non-recurrent connections only (Zaremba et al. 2014): on the embedding's output, between layers
and before the softmax; the recurrent state itself is never dropped, so memory is not eroded.
With `tie_weights` the output layer reuses the input embedding (Press & Wolf 2017): one matrix,
fewer parameters, and words that are predicted alike are embedded alike.
"""

from __future__ import annotations

import torch
from torch import nn

from neurosim.deep.models.cells import CellName, State, Trace
from neurosim.deep.models.sequence import PathName, build_core

# One state per layer, each in torch's layout: h (1, n, hidden), or (h, c) for the LSTM.
States = tuple[State, ...]
EMBEDDING_INIT = 0.1  # U(-0.1, 0.1) as in the PyTorch word_language_model example and Zaremba's


def detach_states(states: States) -> States:
    """The same values cut from the graph: the next chunk's BPTT stops here."""
    return tuple(
        (s[0].detach(), s[1].detach()) if isinstance(s, tuple) else s.detach() for s in states
    )


class LanguageModel(nn.Module):
    """`forward(tokens, states)` gives next-token logits (n, steps, vocab) and each layer's final
    state, to be carried into the next chunk of the same streams."""

    def __init__(
        self,
        cell: CellName,
        vocab_size: int,
        embedding: int,
        hidden: int,
        layers: int,
        dropout: float,
        tie_weights: bool,
        path: PathName = "fused",
    ):
        super().__init__()
        if tie_weights and embedding != hidden:
            raise ValueError("tied weights need embedding size == hidden size")
        self.cell, self.path = cell, path
        self.config = (vocab_size, embedding, hidden, layers, dropout, tie_weights)
        self.embedding = nn.Embedding(vocab_size, embedding)
        sizes = [embedding, *[hidden] * (layers - 1)]
        self.cores = nn.ModuleList(build_core(cell, n, hidden, path, "tanh") for n in sizes)
        self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden, vocab_size)
        nn.init.uniform_(self.embedding.weight, -EMBEDDING_INIT, EMBEDDING_INIT)
        nn.init.zeros_(self.decoder.bias)
        if tie_weights:
            self.decoder.weight = self.embedding.weight
        else:
            nn.init.uniform_(self.decoder.weight, -EMBEDDING_INIT, EMBEDDING_INIT)

    def forward(
        self, tokens: torch.Tensor, states: States | None = None
    ) -> tuple[torch.Tensor, States]:
        """Logits for the token after each of `tokens` (n, steps), from `states` (zeros: None)."""
        x = self.drop(self.embedding(tokens))
        finals = []
        for layer, core in enumerate(self.cores):
            x, final = core(x, None if states is None else states[layer])
            x = self.drop(x)
            finals.append(final)
        return self.decoder(x), tuple(finals)

    def trace(self, tokens: torch.Tensor) -> tuple[torch.Tensor, list[Trace]]:
        """Logits as `forward` gives them (from zero state) and every layer's trace (readable
        path only, dropout as the current mode says)."""
        if self.path != "readable":
            raise ValueError("trace needs the readable path: use model.readable()")
        x = self.drop(self.embedding(tokens))
        traces = []
        for core in self.cores:
            trace = core.trace(x)
            traces.append(trace)
            x = self.drop(torch.stack(trace.hidden, dim=1))
        return self.decoder(x), traces

    def readable(self) -> LanguageModel:
        """This model on the readable path with the same weights (itself if it already is);
        built inside a forked generator, so making it draws nothing from training's stream."""
        if self.path == "readable":
            return self
        with torch.random.fork_rng(devices=[]):
            twin = LanguageModel(self.cell, *self.config, path="readable")
        twin.load_state_dict(self.state_dict())
        return twin.to(self.embedding.weight.device).train(self.training)
