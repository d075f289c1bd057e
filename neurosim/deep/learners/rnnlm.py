"""`rnnlm`: a word-level recurrent language model trained by truncated BPTT (Mikolov et al. 2010;
Zaremba et al. 2014).

Word embeddings feed `rnn`, `gru` or `lstm` layers (the sequences family's cores) and a softmax
over the vocabulary, with tied input and output embeddings (Press & Wolf 2017) and dropout on
the non-recurrent connections only. The train stream is cut into `batch_size` contiguous columns
read side by side in chunks of `bptt` steps; the hidden state is carried from chunk to chunk
(detached), so a word can be predicted from context further back than a chunk even though the
gradient is not. The shared Trainer draws independent, shuffled sequences and starts each from
zero, which cannot carry state between batches: hence the small loop here, which keeps the
Trainer's other habits (seeding, budget, best val model kept, one History row per epoch).
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from neurosim.activity import Activity, Signal
from neurosim.deep.cost import HOW, torch_cost
from neurosim.deep.device import apply_thread_limit, is_device_name, resolve_device
from neurosim.deep.models.cells import CellName
from neurosim.deep.models.language_model import LanguageModel, States, detach_states
from neurosim.deep.models.sequence import PathName
from neurosim.deep.optimizers import OptimizerName, make_optimizer
from neurosim.deep.trainer import BestModel
from neurosim.errors import ParameterError
from neurosim.families.language import LanguageLearner, perplexity
from neurosim.learner import Budget, History, Recorder, Stopwatch
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.language import EOS_ID, LanguageTask

SCORE_CHUNK = 128  # steps per forward pass when scoring: bounds the logits held (columns x vocab)
PROBE_RANKS = (10, 20, 50, 100, 200, 500)  # frequency ranks of the default probe words
NEIGHBOURS = 5
SAMPLE_TOKENS = 40
SAMPLE_TEMPERATURES = (0.7, 1.0)


@dataclasses.dataclass
class RNNLMParams:
    """Hyperparameters of `rnnlm`.

    `embedding`/`hidden`: sizes (equal when `tie_weights`). `dropout`: on the embedding output,
    between layers and before the softmax (Zaremba et al. 2014). `batch_size` contiguous columns
    of the train stream are read in chunks of `bptt` steps, the state carried across chunks and
    reset at each epoch's start. `clip_grad_norm`: the largest L2 norm of a step's gradient (0
    or None: none). After an epoch whose val perplexity is not the best so far the learning rate
    is divided by `lr_decay` (1: never); the best val model is kept. Scoring reads a stream in
    `score_columns` contiguous columns side by side: the first token of each column but the first
    is predicted from the preceding token alone, not its whole history. `probe_words`: whose
    embedding neighbours are recorded (None: the words of frequency rank 10, 20, 50, 100, 200,
    500 where the vocabulary has them).
    """

    cell: CellName = "lstm"
    embedding: int = 200
    hidden: int = 200
    layers: int = 2
    dropout: float = 0.2
    tie_weights: bool = True
    path: PathName = "fused"
    optimizer: OptimizerName = "sgd"
    lr: float = 20.0
    lr_decay: float = 4.0
    momentum: float = 0.9  # used by 'momentum' and 'nesterov' only
    weight_decay: float = 0.0
    batch_size: int = 20
    bptt: int = 35
    clip_grad_norm: float | None = 0.25
    score_columns: int = 10
    device: str = "auto"
    probe_words: list[str] | None = None

    def validate(self, owner: str) -> None:
        clip = self.clip_grad_norm
        tied_ok = not self.tie_weights or self.embedding == self.hidden
        check_fields(
            owner,
            self,
            [
                ("embedding", self.embedding >= 1, "must be >= 1"),
                ("hidden", self.hidden >= 1, "must be >= 1"),
                (
                    "embedding",
                    tied_ok,
                    f"must equal 'hidden' ({self.hidden}) when 'tie_weights' is true",
                ),
                ("layers", self.layers >= 1, "must be >= 1"),
                ("dropout", 0 <= self.dropout < 1, "must be in [0, 1)"),
                ("lr", math.isfinite(self.lr) and self.lr > 0, "must be a finite number > 0"),
                ("lr_decay", self.lr_decay >= 1, "must be >= 1"),
                ("momentum", 0 <= self.momentum < 1, "must be in [0, 1)"),
                ("weight_decay", self.weight_decay >= 0, "must be >= 0"),
                ("batch_size", self.batch_size >= 1, "must be >= 1"),
                ("bptt", self.bptt >= 1, "must be >= 1"),
                ("clip_grad_norm", clip is None or clip >= 0, "must be >= 0"),
                ("score_columns", self.score_columns >= 1, "must be >= 1"),
                ("device", is_device_name(self.device), "must be 'auto' or a torch device"),
            ],
        )


def batchify(stream: torch.Tensor, columns: int) -> torch.Tensor:
    """The stream cut into `columns` contiguous equal pieces, one per row (columns, length); the
    remainder that does not fill a row is dropped."""
    length = len(stream) // columns
    return stream[: columns * length].view(columns, length)


@LEARNERS.register("rnnlm")
class RNNLMLearner(LanguageLearner):
    """Embedding, recurrent layers and a (tied) softmax, trained by truncated BPTT."""

    name = "rnnlm"
    Params = RNNLMParams
    budget_fields = frozenset({"epochs", "samples", "wall_time_s"})
    artifacts = ("arrays", "json", "activity")
    default_epochs = 40

    def build(self, task: LanguageTask) -> LanguageModel:
        p = self.params
        return LanguageModel(
            p.cell,
            task.vocab_size,
            p.embedding,
            p.hidden,
            p.layers,
            p.dropout,
            p.tie_weights,
            p.path,
        )

    def fit(self, task: LanguageTask, budget: Budget, recorder: Recorder) -> History:
        """Seed, build, train epoch by epoch; `samples` counts predicted training tokens, and
        `train_tokens_per_s_` the time spent in training steps (val scoring excluded)."""
        p = self.params
        self._probe_words(task)  # a bad probe word fails now, not after training
        apply_thread_limit()
        clock = Stopwatch(budget)
        device = resolve_device(p.device)
        torch.manual_seed(task.seed)
        model = self.build(task).to(device)
        self.model_, self.device_ = model, device
        optimizer = make_optimizer(
            p.optimizer, model.parameters(), p.lr, p.momentum, p.weight_decay, device.type
        )
        stream = batchify(torch.as_tensor(task.split("train"), device=device), p.batch_size)
        if stream.shape[1] < 2:
            raise ParameterError(
                f"learner 'rnnlm': field 'batch_size' ({p.batch_size}) leaves fewer than 2 of "
                f"the {len(task.split('train'))} train tokens per column"
            )
        history, best, lr = History(), BestModel(), p.lr
        tokens, seconds = 0, 0.0
        for epoch in range(1, budget.resolve_epochs(self.default_epochs) + 1):
            start = time.perf_counter()
            loss, seen = self._train_epoch(model, optimizer, stream, budget, clock, tokens)
            if seen == 0:
                break
            row = {"epoch": epoch, "samples": tokens + seen, "train_loss": loss, "lr": lr}
            tokens, seconds = tokens + seen, seconds + time.perf_counter() - start
            if "val" in task.splits:
                val = perplexity(self.token_log_probs(task, task.split("val")))
                row["val_perplexity"] = val
                best.offer(epoch, -val, model)
                if best.epoch != epoch:
                    lr /= p.lr_decay
                    for group in optimizer.param_groups:
                        group["lr"] = lr
            else:
                best.epoch = epoch
            history.log(**row)
            if clock.expired() or (budget.samples is not None and tokens >= budget.samples):
                break
        best.restore(model)
        self.history_, self.best_epoch_ = history, best.epoch
        self.train_tokens_per_s_ = tokens / max(seconds, 1e-9)
        return history

    def _train_epoch(
        self,
        model: LanguageModel,
        optimizer: torch.optim.Optimizer,
        stream: torch.Tensor,
        budget: Budget,
        clock: Stopwatch,
        tokens: int,
    ) -> tuple[float, int]:
        """One pass over the columns in chunks, the state carried from zero; (mean loss in nats
        per token, tokens predicted). A `samples` budget shortens the last chunk to what is
        left (rounded up to whole steps of every column); the clock is read after each chunk."""
        p = self.params
        model.train()
        columns, length = stream.shape
        states: States | None = None
        loss_sum = torch.zeros((), device=stream.device)  # summed on the device: no sync per chunk
        seen = 0
        for t in range(0, length - 1, p.bptt):
            steps = min(p.bptt, length - 1 - t)
            if budget.samples is not None:
                steps = min(steps, -(-(budget.samples - tokens - seen) // columns))
            if steps <= 0:
                break
            logits, states = model(stream[:, t : t + steps], states)
            states = detach_states(states)
            target = stream[:, t + 1 : t + 1 + steps]
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if p.clip_grad_norm:
                nn.utils.clip_grad_norm_(model.parameters(), p.clip_grad_norm)
            optimizer.step()
            loss_sum += loss.detach() * target.numel()
            seen += target.numel()
            if clock.expired():
                break
        return (loss_sum / max(seen, 1)).item(), seen

    def cost(self, task: LanguageTask) -> dict:
        """MACs per predicted token counted by torch on the readable twin (the counter does not
        see inside fused LSTM kernels), on one chunk of `bptt` steps of every training column."""
        p = self.params
        stream = batchify(torch.as_tensor(task.split("train"), device=self.device_), p.batch_size)
        steps = min(p.bptt, stream.shape[1] - 1)
        x, y = stream[:, :steps], stream[:, 1 : steps + 1]

        def losses(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
            logits, _ = model(x)
            return [F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))]

        def infer(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
            model.eval()
            with torch.inference_mode():
                return model(x)[0]

        what = f"predicted tokens ({len(x)} columns x {steps} steps; a sample is a token)"
        return torch_cost(
            self.model_,
            x,
            y,
            losses=losses,
            how=HOW.format(n=y.numel(), what=what),
            infer=infer,
            count_on=self.model_.readable(),
            samples=y.numel(),
        )

    def token_log_probs(self, task: LanguageTask, tokens: np.ndarray) -> np.ndarray:
        return self._log_probs(tokens, self.params.score_columns)

    @torch.inference_mode()
    def _log_probs(self, tokens: np.ndarray, columns: int) -> np.ndarray:
        """Every token's log-prob, the stream read in `columns` contiguous columns side by side.

        Each token is predicted after reading the one before it (the first after `<eos>`), so
        a column's first token gets its true predecessor as input but not the state its history
        would have left; the columns are padded at the end to one length.
        """
        model = self.model_.eval()
        n = len(tokens)
        if n == 0:
            return np.zeros(0)
        columns = min(columns, n)
        length = -(-n // columns)
        target = np.zeros(columns * length, dtype=np.int64)
        target[:n] = tokens
        inputs = np.concatenate([[EOS_ID], target[:-1]])
        x = torch.as_tensor(inputs, device=self.device_).view(columns, length)
        y = torch.as_tensor(target, device=self.device_).view(columns, length)
        states: States | None = None
        pieces = []
        for t in range(0, length, SCORE_CHUNK):
            logits, states = model(x[:, t : t + SCORE_CHUNK], states)
            log_probs = F.log_softmax(logits.float(), dim=-1)
            pieces.append(log_probs.gather(-1, y[:, t : t + SCORE_CHUNK, None])[..., 0])
        return torch.cat(pieces, dim=1).reshape(-1)[:n].double().cpu().numpy()

    @torch.inference_mode()
    def sample(
        self, task: LanguageTask, n_tokens: int, temperature: float, seed: int
    ) -> np.ndarray:
        """`n_tokens` word ids generated after an `<eos>`, each drawn from the softmax of the
        logits / `temperature` (0: the most probable word), seeded by `seed`."""
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        model = self.model_.eval()
        generator = torch.Generator().manual_seed(seed)
        token = torch.full((1, 1), EOS_ID, dtype=torch.long, device=self.device_)
        states: States | None = None
        out = []
        for _ in range(n_tokens):
            logits, states = model(token, states)
            logits = logits[0, -1].float().cpu()
            if temperature == 0:
                word = int(torch.argmax(logits))
            else:
                probs = torch.softmax(logits / temperature, dim=-1)
                word = int(torch.multinomial(probs, 1, generator=generator))
            out.append(word)
            token = torch.full((1, 1), word, dtype=torch.long, device=self.device_)
        return np.asarray(out, dtype=np.int64)

    def neighbours(
        self, task: LanguageTask, words: list[str], k: int = NEIGHBOURS
    ) -> dict[str, list[list[str | float]]]:
        """Each word's `k` nearest words by cosine of the input embeddings, nearest first."""
        weight = self.model_.embedding.weight.detach().float().cpu()
        unit = F.normalize(weight, dim=1)
        index = task.vocabulary.index()
        found = {}
        for word in words:
            cosines = unit @ unit[index[word]]
            cosines[index[word]] = -math.inf
            best = torch.topk(cosines, min(k, len(cosines) - 1))
            found[word] = [
                [task.vocabulary.words[int(i)], round(float(c), 4)]
                for c, i in zip(best.values, best.indices, strict=True)
            ]
        return found

    def record(self, task: LanguageTask, recorder: Recorder) -> None:
        super().record(task, recorder)
        if not recorder.enabled:
            return
        samples = [
            {
                "temperature": temperature,
                "text": " ".join(
                    task.vocabulary.decode(self.sample(task, SAMPLE_TOKENS, temperature, task.seed))
                ),
            }
            for temperature in SAMPLE_TEMPERATURES
        ]
        recorder.json("samples", samples)
        recorder.json("neighbours", self.neighbours(task, self._probe_words(task)))
        self._record_gates(task, recorder)

    def _probe_words(self, task: LanguageTask) -> list[str]:
        words = task.vocabulary.words
        if self.params.probe_words is None:
            return [words[rank + 1] for rank in PROBE_RANKS if rank + 1 < len(words)]
        missing = [word for word in self.params.probe_words if word not in words]
        if missing:
            raise ParameterError(
                f"learner 'rnnlm': field 'probe_words': not in the vocabulary of task "
                f"'{task.name}': {', '.join(missing)}"
            )
        return list(self.params.probe_words)

    def _record_gates(self, task: LanguageTask, recorder: Recorder) -> None:
        """The top layer's gates, cell and hidden values, from zero state, on the first probe
        sentence (as the sequences family records them, plus the words read)."""
        probe = task.probe_set(1)
        if not len(probe.x):
            return
        sentence = probe.x[0][probe.x[0] >= 0]
        model = self.model_.readable().eval()
        with torch.inference_mode():
            _, traces = model.trace(torch.as_tensor(sentence[None], device=self.device_))
        top = traces[-1]
        t = np.arange(len(sentence))
        signals = {
            "input": Signal(t=t, values=sentence),
            "hidden": Signal(t=t, values=torch.stack(top.hidden, dim=1)[0].cpu().numpy()),
        }
        for name, values in top.values.items():
            signals[name] = Signal(t=t, values=values[0].cpu().numpy())
        meta = {
            "sentence": 0,
            "words": probe.meta["words"][0],
            "cell": self.params.cell,
            "layer": len(traces) - 1,
            "trained_path": self.params.path,
            "note": "t is the word read (from zero state); values of the top layer's units",
        }
        recorder.activity(Activity(signals=signals, meta=meta), probe=probe.name, name="gates")
