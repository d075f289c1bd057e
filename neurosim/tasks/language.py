"""Language tasks: a vocabulary and train/val/test token streams, one per corpus.

Every split is one stream of word ids, the sentences in their order, each ending with `<eos>`;
words outside the vocabulary (the top K training words) read as `<unk>`. A language model is
scored on every token of a stream, `<eos>` and `<unk>` included, each predicted from the tokens
before it (the stream is taken to start after an `<eos>`), so an n-gram and an RNN are scored on
exactly the same tokens. Where the text comes from a source whose probabilities are known, the
task also stores that source's own cross-entropy on each split: the *floor* no model can beat
except by the luck of a finite sample.

The corpora themselves (tokenizer, sources) live in their own modules and build tasks through
`language_task`.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import ClassVar

import numpy as np

from neurosim.errors import UserError
from neurosim.tasks.base import ProbeSet, Task

UNK, EOS = "<unk>", "<eos>"
UNK_ID, EOS_ID = 0, 1


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """Word ids: `<unk>` is 0, `<eos>` is 1, then the kept words, most frequent first."""

    words: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.words[:2] != (UNK, EOS):
            raise ValueError(f"a vocabulary starts with {UNK} and {EOS}")

    @classmethod
    def from_counts(cls, counts: Counter[str], size: int | None) -> Vocabulary:
        """The `size` most frequent words (ties in alphabetical order), after `<unk>`, `<eos>`."""
        ranked = sorted(
            (word for word in counts if word not in (UNK, EOS)),
            key=lambda word: (-counts[word], word),
        )
        return cls((UNK, EOS, *ranked[:size]))

    def __len__(self) -> int:
        return len(self.words)

    def index(self) -> dict[str, int]:
        return {word: i for i, word in enumerate(self.words)}

    def encode(self, sentences: Iterable[Sequence[str]]) -> np.ndarray:
        """One stream of ids: each sentence's words, then `<eos>`; unknown words as `<unk>`."""
        index = self.index()
        ids: list[int] = []
        for sentence in sentences:
            ids.extend(index.get(word, UNK_ID) for word in sentence)
            ids.append(EOS_ID)
        return np.asarray(ids, dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.words[int(i)] for i in ids]


@dataclasses.dataclass(frozen=True)
class LanguageTask(Task):
    """A vocabulary, token streams per split, and the floor where the source is known.

    `floor` maps a split to the generating source's cross-entropy on it in nats per token (its
    exp is the perplexity floor); it is empty for real text.
    """

    family: ClassVar[str] = "language"
    name: str
    seed: int
    splits: dict[str, np.ndarray]
    vocabulary: Vocabulary
    floor: dict[str, float] = dataclasses.field(default_factory=dict)
    references: dict[str, str] = dataclasses.field(default_factory=dict)
    params: dict[str, object] = dataclasses.field(default_factory=dict)

    evaluation_splits = ("val", "test")

    @property
    def vocab_size(self) -> int:
        return len(self.vocabulary)

    def split(self, name: str) -> np.ndarray:
        if name not in self.splits:
            raise UserError(
                f"task '{self.name}' has no split '{name}'; splits: {', '.join(self.splits)}"
            )
        return self.splits[name]

    def floor_perplexity(self, split: str) -> float | None:
        return math.exp(self.floor[split]) if split in self.floor else None

    def sentences(self, split: str, n: int) -> list[np.ndarray]:
        """The first `n` sentences of a split, each ending with its `<eos>`."""
        tokens = self.split(split)
        ends = np.flatnonzero(tokens == EOS_ID)[:n] + 1
        return np.split(tokens[: ends[-1]], ends[:-1]) if len(ends) else []

    def probe_set(self, n: int = 4) -> ProbeSet:
        """The first `n` test sentences: ids padded with -1 to one length, and their words."""
        sentences = self.sentences("test", n)
        x = np.full((len(sentences), max(map(len, sentences), default=0)), -1, dtype=np.int64)
        for row, sentence in zip(x, sentences, strict=True):
            row[: len(sentence)] = sentence
        words = [self.vocabulary.decode(sentence) for sentence in sentences]
        return ProbeSet(name=f"test[:{len(sentences)}]", x=x, y=None, meta={"words": words})


def language_task(
    name: str,
    seed: int,
    sentences: dict[str, list[list[str]]],
    vocab_size: int | None,
    *,
    vocabulary: Vocabulary | None = None,
    floor: dict[str, float] | None = None,
    references: dict[str, str] | None = None,
    params: dict[str, object] | None = None,
) -> LanguageTask:
    """A task from tokenized sentences per split: the vocabulary is the `vocab_size` most
    frequent training words (None: all of them), unless a `vocabulary` is given (a source whose
    words are all known); every split is encoded with it."""
    if "train" not in sentences:
        raise ValueError("a language task needs a 'train' split")
    if vocabulary is None:
        counts = Counter(word for sentence in sentences["train"] for word in sentence)
        vocabulary = Vocabulary.from_counts(counts, vocab_size)
    return LanguageTask(
        name=name,
        seed=seed,
        splits={split: vocabulary.encode(rows) for split, rows in sentences.items()},
        vocabulary=vocabulary,
        floor=dict(floor or {}),
        references=dict(references or {}),
        params=dict(params or {}),
    )
