"""Sequence tasks: problems that can only be solved by carrying information through time.

Each task states what a learner without memory would score (its *memoryless baseline*), so a loss
is read as a fraction of it: 1 means nothing was remembered. The lag `T` (how far back the answer
lies) is a task parameter, so a sweep over it draws the memory window of each learner.

- `copy` (Arjovsky et al. 2016): 10 symbols from 8, T blanks, recall all 10.
- `adding` (Hochreiter & Schmidhuber 1997, in the two-row form of Le et al. 2015): the sum of the
  two marked numbers among T.
- `seq-digits`: the 8x8 digits read row by row (8 steps of 8 pixels) or pixel by pixel (64 steps
  of 1), optionally in one fixed permuted order; the same splits as `digits`.

All data are generated from the seed with numpy; nothing is downloaded.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar, Literal

import numpy as np
from scipy.special import log_softmax

from neurosim.errors import ParameterError
from neurosim.params import build_params, check_fields
from neurosim.registry import TASKS
from neurosim.tasks.base import ProbeSet, Split, SplitTask

COPY_SYMBOLS = 8  # symbols a1..a8; a0 is the blank, a9 the delimiter
COPY_LENGTH = 10  # symbols to remember
ADDING_TOLERANCE = 0.04  # Hochreiter & Schmidhuber 1997: a sequence is right when |error| < 0.04


def copy_baseline(lag: int) -> float:
    """Cross-entropy (nats per step) of the best memoryless guess: blanks for certain until the
    recall, then a uniform guess over the 8 symbols for each of the 10 recall steps."""
    return COPY_LENGTH * math.log(COPY_SYMBOLS) / (lag + 2 * COPY_LENGTH)


ADDING_BASELINE = 1.0 / 6.0  # predicting the mean sum 1 gives MSE Var(U1 + U2) = 2/12


@dataclasses.dataclass(frozen=True)
class SequenceTask(SplitTask):
    """Sequences with targets, the task's loss and its memoryless baseline in the same units.

    `target` is "class" (cross-entropy on logits) or "value" (squared error on one number);
    `per_step` targets have one label per step (copy), the others one per sequence, read after the
    last step. `accuracy_from` is the first step whose labels count towards accuracy (copy: the
    recall; the blanks before it are easy and would swamp the figure).
    """

    family: ClassVar[str] = "sequences"
    name: str
    seed: int
    splits: dict[str, Split]
    n_outputs: int  # classes, or 1 for a value
    target: Literal["class", "value"]
    per_step: bool
    lag: int  # T: how many steps the answer lies back
    baseline_loss: float
    baseline: str  # what the baseline is, in words
    accuracy_from: int = 0
    references: dict[str, str] = dataclasses.field(default_factory=dict)
    params: dict[str, object] = dataclasses.field(default_factory=dict)

    evaluation_splits = ("val", "test")

    @property
    def n_inputs(self) -> int:
        return self.splits["train"].x.shape[2]

    @property
    def steps(self) -> int:
        return self.splits["train"].x.shape[1]

    @property
    def loss_name(self) -> str:
        return "cross-entropy (nats)" if self.target == "class" else "mean squared error"

    def score(self, outputs: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """loss, loss_ratio (loss / baseline) and accuracy of a learner's raw outputs.

        Outputs are logits (n, n_outputs) or (n, steps, n_outputs) for class targets, values (n,)
        for value targets. Accuracy of a value target is the fraction of sequences within
        ADDING_TOLERANCE of the truth.
        """
        if self.target == "value":
            error = np.asarray(outputs, dtype=np.float64).reshape(len(y)) - y
            loss = float(np.mean(error**2))
            accuracy = float(np.mean(np.abs(error) < ADDING_TOLERANCE))
        else:
            logits = np.asarray(outputs, dtype=np.float64)
            log_p = log_softmax(logits, axis=-1)
            picked = np.take_along_axis(log_p, y[..., None].astype(np.int64), axis=-1)[..., 0]
            loss = float(-np.mean(picked))
            right = log_p.argmax(axis=-1) == y
            accuracy = float(np.mean(right[:, self.accuracy_from :] if self.per_step else right))
        return {"loss": loss, "loss_ratio": loss / self.baseline_loss, "accuracy": accuracy}

    def probe_set(self, n: int = 10) -> ProbeSet:
        """The first `n` test sequences: fixed by the seed, never trained on."""
        return self.first_test_samples(n, {"steps": self.steps, "lag": self.lag, "task": self.name})


@dataclasses.dataclass
class GeneratedParams:
    """A generated task: its lag and how many sequences each split holds."""

    T: int = 50
    n_train: int = 5000
    n_val: int = 500
    n_test: int = 1000

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                ("T", self.T >= 2, "must be >= 2"),
                ("n_train", self.n_train >= 10, "must be >= 10"),
                ("n_val", self.n_val >= 10, "must be >= 10"),
                ("n_test", self.n_test >= 10, "must be >= 10"),
            ],
        )


def _generated_splits(p: GeneratedParams, seed: int, draw) -> dict[str, Split]:
    """Train, val and test from one generator each, so a split does not change with the size of
    another."""
    sizes = {"train": p.n_train, "val": p.n_val, "test": p.n_test}
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    return {
        name: draw(np.random.default_rng(child), n)
        for (name, n), child in zip(sizes.items(), seeds, strict=True)
    }


@TASKS.register("copy")
def make_copy(seed: int, **params: object) -> SequenceTask:
    """Inputs one-hot over 10 codes (blank 0, symbols 1-8, delimiter 9): 10 symbols, T - 1 blanks,
    the delimiter, 10 blanks. Targets: blank (0) for T + 10 steps, then the 10 symbols."""
    p = build_params(GeneratedParams, params, owner="task 'copy'")
    steps = p.T + 2 * COPY_LENGTH

    def draw(rng: np.random.Generator, n: int) -> Split:
        symbols = rng.integers(1, COPY_SYMBOLS + 1, size=(n, COPY_LENGTH))
        codes = np.zeros((n, steps), dtype=np.int64)
        codes[:, :COPY_LENGTH] = symbols
        codes[:, p.T + COPY_LENGTH - 1] = COPY_SYMBOLS + 1
        y = np.zeros((n, steps), dtype=np.int64)
        y[:, -COPY_LENGTH:] = symbols
        x = np.eye(COPY_SYMBOLS + 2, dtype=np.float32)[codes]
        return Split(x, y)

    return SequenceTask(
        name="copy",
        seed=seed,
        splits=_generated_splits(p, seed, draw),
        n_outputs=COPY_SYMBOLS + 1,
        target="class",
        per_step=True,
        lag=p.T,
        baseline_loss=copy_baseline(p.T),
        baseline="memoryless: blanks, then a uniform guess over 8 symbols",
        accuracy_from=p.T + COPY_LENGTH,
        references={
            "memoryless baseline (Arjovsky et al. 2016)": f"10 ln 8 / (T + 20) = "
            f"{copy_baseline(p.T):.4f} nats at T = {p.T}",
            "chance accuracy on the recalled symbols": "12.5 %",
        },
        params=dataclasses.asdict(p),
    )


@TASKS.register("adding")
def make_adding(seed: int, **params: object) -> SequenceTask:
    """Two input rows per step: a number drawn from U(0, 1) and a marker; one marker falls in the
    first half, one in the second. Target: the sum of the two marked numbers."""
    p = build_params(GeneratedParams, params, owner="task 'adding'")
    half = p.T // 2

    def draw(rng: np.random.Generator, n: int) -> Split:
        values = rng.uniform(0, 1, size=(n, p.T))
        first = rng.integers(0, half, size=n)
        second = rng.integers(half, p.T, size=n)
        markers = np.zeros((n, p.T))
        rows = np.arange(n)
        markers[rows, first] = markers[rows, second] = 1.0
        y = values[rows, first] + values[rows, second]
        return Split(np.stack([values, markers], axis=2).astype(np.float32), y)

    return SequenceTask(
        name="adding",
        seed=seed,
        splits=_generated_splits(p, seed, draw),
        n_outputs=1,
        target="value",
        per_step=False,
        lag=p.T,
        baseline_loss=ADDING_BASELINE,
        baseline="predicting the mean sum, 1",
        references={
            "predicting 1 (Var(U1 + U2))": "MSE 1/6 = 0.1667",
            "success criterion (Hochreiter & Schmidhuber 1997)": "|error| < 0.04",
            "IRNN / LSTM at T = 150-400 (Le et al. 2015)": "LSTM and IRNN solve it; tanh RNN not",
        },
        params=dataclasses.asdict(p),
    )


@dataclasses.dataclass
class SeqDigitsParams:
    read: Literal["rows", "pixels"] = "rows"
    permute: bool = False  # one fixed random order of the steps, the same for every image
    permutation_seed: int = 0
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    split_seed: int | None = None  # None: the run's seed decides the split, as in `digits`
    subset: int | None = None


@TASKS.register("seq-digits")
def make_seq_digits(seed: int, **params: object) -> SequenceTask:
    """The `digits` splits, each image read as a sequence; the label is read after the last step."""
    from neurosim.tasks.digits import digits_for

    p = build_params(SeqDigitsParams, params, owner="task 'seq-digits'")
    digits = digits_for("seq-digits", seed, p)
    if "val" not in digits.splits:
        raise ParameterError("task 'seq-digits': field 'val_fraction' must be > 0")
    steps, width = (8, 8) if p.read == "rows" else (64, 1)
    order = np.arange(steps)
    if p.permute:
        order = np.random.default_rng(p.permutation_seed).permutation(steps)
    splits = {
        name: Split(split.x.reshape(len(split), steps, width)[:, order].astype(np.float32), split.y)
        for name, split in digits.splits.items()
    }
    return SequenceTask(
        name="seq-digits",
        seed=seed,
        splits=splits,
        n_outputs=10,
        target="class",
        per_step=False,
        lag=steps,
        baseline_loss=math.log(10),
        baseline="chance: a uniform guess over 10 classes",
        references={
            "chance": "10 % accuracy, ln 10 = 2.303 nats",
            "logistic regression on the whole image (digits, measured here)": "96.7 %",
        },
        params=dataclasses.asdict(p),
    )
