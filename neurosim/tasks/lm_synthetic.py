"""`lm-synthetic`: text from a hidden Markov source whose own cross-entropy is the floor.

The source is a product of two hidden chains, and every word depends on both:

- a *topic* (one of `topics`) that stays with probability `topic_stay` at every token and
  otherwise jumps to one of the other topics, uniformly: a topic lasts 1 / (1 - topic_stay)
  tokens on average (100 at the default 0.99, about eight sentences);
- a *word class* chain, the short-range syntax: `word_classes` classes plus the sentence end.
  From a word class the next is `<eos>` with probability 1 / `sentence_length`, otherwise a word
  class drawn from a sparse row (Dirichlet(0.5), fixed by `source_seed`); after `<eos>` comes a
  word class from a start row drawn the same way.

Each word class owns its own block of the vocabulary. A word of a class is drawn from a mixture
of two Zipf laws (rank^-`zipf`) over that block: one in an order shared by all topics (weight
1 - `topic_weight`) and one in the topic's own random order (weight `topic_weight`), so the
frequent words of one topic are rare in another, yet a single word is only weak evidence of its
topic. The hidden state is (topic, class), topics x (word_classes + 1) states in all (40 at the
defaults).

Why a 5-gram cannot see the structure that matters: the class of the next word is predicted by
the last word or two, which an n-gram sees, but the topic, which decides *which* words of the
class are likely, is only revealed by the evidence of every word since the last switch, on
average 100 tokens back. With 8 topics and each word only weak evidence, the last four words
carry a small part of it. The module measures that
part exactly: `HiddenMarkovSource.window_log_probs(tokens, 4)` is the cross-entropy of the best
possible 5-gram (the source's own p(x_t | x_{t-4..t-1}), as if an n-gram had infinite data),
stored in `references` next to the unigram and a topic oracle, so the gap a recurrent model can
close is known before any model is trained.

The floor: for each split, the source's own cross-entropy on that stream,
-(1/N) sum_t ln p(x_t | x_<t), by the scaled forward algorithm from the source's start
distribution (the state after a sentence end), the split read as one continuous stream, exactly
as a language model reads it. The source is fixed by `source_seed` and its text by `text_seed`,
not by the run seed: like a real corpus, every run reads the same text, and seeds vary only the
models (a deterministic n-gram then needs one run).
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from itertools import accumulate

import numpy as np

from neurosim.params import build_params, check_fields
from neurosim.registry import TASKS
from neurosim.tasks.language import EOS, EOS_ID, UNK, LanguageTask, Vocabulary, language_task

FIRST_WORD_ID = 2  # ids 0 and 1 are <unk> and <eos>
CLASS_CONCENTRATION = 0.5  # Dirichlet concentration of the class rows: sparse, syntax-like


@dataclasses.dataclass
class SyntheticParams:
    """Sizes of the splits in tokens (each is cut at the first sentence end at or after the
    size) and the shape of the source."""

    n_train: int = 200_000
    n_val: int = 20_000
    n_test: int = 20_000
    vocab_size: int = 500  # words the source emits; the task adds <unk> and <eos>
    topics: int = 8
    word_classes: int = 4
    topic_stay: float = 0.99  # probability per token that the topic stays
    zipf: float = 1.0  # exponent of the rank-frequency law within a (topic, class)
    topic_weight: float = 0.7  # share of a word's probability that follows the topic's own order
    sentence_length: float = 12.0  # mean words per sentence
    source_seed: int = 0  # fixes the source's class rows and word orders
    text_seed: int = 0  # fixes the sampled text

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                ("n_train", self.n_train >= 1, "must be >= 1"),
                ("n_val", self.n_val >= 1, "must be >= 1"),
                ("n_test", self.n_test >= 1, "must be >= 1"),
                ("topics", self.topics >= 1, "must be >= 1"),
                ("word_classes", self.word_classes >= 1, "must be >= 1"),
                ("vocab_size", self.vocab_size >= self.word_classes, "must be >= word_classes"),
                ("topic_stay", 0.0 <= self.topic_stay <= 1.0, "must be in [0, 1]"),
                ("zipf", self.zipf >= 0.0, "must be >= 0"),
                ("topic_weight", 0.0 <= self.topic_weight <= 1.0, "must be in [0, 1]"),
                ("sentence_length", self.sentence_length >= 1.0, "must be >= 1"),
            ],
        )


@dataclasses.dataclass(frozen=True)
class HiddenMarkovSource:
    """A hidden Markov model over token ids: state s = topic * (word_classes + 1) + class, the
    class `word_classes` being the sentence end (it always emits `<eos>`)."""

    start: np.ndarray  # (S,) the state distribution after a sentence end
    transition: np.ndarray  # (S, S) rows sum to 1
    emission: np.ndarray  # (S, V) over the task's token ids; column 0 (<unk>) is 0
    topic_of_state: np.ndarray  # (S,)
    eos_state: np.ndarray  # (S,) bool: the state emits <eos>

    @property
    def n_states(self) -> int:
        return len(self.start)

    def stationary(self) -> np.ndarray:
        """The stationary state distribution: the left eigenvector of the transition for 1."""
        values, vectors = np.linalg.eig(self.transition.T)
        pi = np.real(vectors[:, np.argmin(np.abs(values - 1.0))])
        return pi / pi.sum()

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """At least `n` tokens, ending with the first `<eos>` at or after the n-th, and their
        hidden states."""
        rows = [list(accumulate(row)) for row in self.transition.tolist()]
        start = list(accumulate(self.start.tolist()))
        eos_state = self.eos_state.tolist()
        top = self.n_states - 1  # guards a cumulative sum that rounds below a uniform draw
        state = min(bisect.bisect_right(start, rng.random()), top)
        states = [state]
        while len(states) < n or not eos_state[state]:
            draws = rng.random(max(n - len(states), 64)).tolist()
            for u in draws:
                state = min(bisect.bisect_right(rows[state], u), top)
                states.append(state)
                if len(states) >= n and eos_state[state]:
                    break
        path = np.asarray(states, dtype=np.int64)
        tokens = np.empty(len(path), dtype=np.int64)
        cumulative = np.cumsum(self.emission, axis=1)
        for s in np.unique(path):
            where = np.flatnonzero(path == s)
            picked = np.searchsorted(cumulative[s], rng.random(len(where)), side="right")
            tokens[where] = np.minimum(picked, self.emission.shape[1] - 1)
        return tokens, path

    def log_probs(self, tokens: np.ndarray) -> np.ndarray:
        """ln p(x_t | x_<t) for every token, by the forward algorithm from `start`, normalised at
        every step (the normaliser is the predictive probability, so nothing underflows)."""
        likelihood = self.emission.T[tokens]  # (N, S): p(x_t | s)
        transition = self.transition
        out = np.empty(len(tokens))
        prior = self.start
        for t, emit in enumerate(likelihood):
            joint = prior * emit
            total = joint.sum()
            out[t] = total
            prior = (joint / total) @ transition
        return np.log(out)

    def window_log_probs(self, tokens: np.ndarray, context: int) -> np.ndarray:
        """ln p(x_t | x_{t-context..t-1}): the source's prediction from the last `context` tokens
        only, the hidden state before them taken from the stationary distribution (what an
        n-gram of order context + 1 converges to with unlimited data). The first `context`
        tokens, which have less history, get the full forward prediction."""
        exact = self.log_probs(tokens[:context])
        n = len(tokens) - context
        if n <= 0:
            return exact
        likelihood = self.emission.T[tokens]
        prior = np.broadcast_to(self.stationary(), (n, self.n_states))
        for step in range(context + 1):
            joint = prior * likelihood[step : step + n]
            total = joint.sum(axis=1)
            if step < context:
                prior = (joint / total[:, None]) @ self.transition
        return np.concatenate([exact, np.log(total)])

    def topic_oracle_log_probs(self, tokens: np.ndarray, states: np.ndarray) -> np.ndarray:
        """ln p(x_t | topic_t): a predictor told the true topic but nothing of the history, the
        word class averaged over its stationary share within the topic."""
        pi = self.stationary()
        same_topic = self.topic_of_state[:, None] == self.topic_of_state[None, :]
        within = np.where(same_topic, pi[None, :], 0.0)
        within /= within.sum(axis=1, keepdims=True)  # row s: p(state | topic of s)
        mixed = within @ self.emission  # (S, V): p(x | topic of s)
        return np.log(mixed[states, tokens])


def _zipf(n: int, exponent: float) -> np.ndarray:
    weights = np.arange(1, n + 1, dtype=np.float64) ** -exponent
    return weights / weights.sum()


def build_source(p: SyntheticParams) -> HiddenMarkovSource:
    """The source of the module docstring, its random parts drawn from `p.source_seed`."""
    rng = np.random.default_rng(p.source_seed)
    k, c = p.topics, p.word_classes
    eos = c  # the class index of the sentence end
    classes = np.zeros((c + 1, c + 1))
    classes[:c, :c] = rng.dirichlet(np.full(c, CLASS_CONCENTRATION), size=c)
    classes[:c, :c] *= 1.0 - 1.0 / p.sentence_length
    classes[:c, eos] = 1.0 / p.sentence_length
    classes[eos, :c] = rng.dirichlet(np.full(c, CLASS_CONCENTRATION))
    if k == 1:
        topics = np.ones((1, 1))
    else:
        topics = np.full((k, k), (1.0 - p.topic_stay) / (k - 1))
        np.fill_diagonal(topics, p.topic_stay)
    emission = np.zeros((k * (c + 1), FIRST_WORD_ID + p.vocab_size))
    blocks = np.array_split(np.arange(FIRST_WORD_ID, FIRST_WORD_ID + p.vocab_size), c)
    for cls, block in enumerate(blocks):
        law = _zipf(len(block), p.zipf)
        shared = np.zeros(emission.shape[1])
        shared[rng.permutation(block)] = law
        for topic in range(k):
            own = np.zeros(emission.shape[1])
            own[rng.permutation(block)] = law
            emission[topic * (c + 1) + cls] = (1 - p.topic_weight) * shared + p.topic_weight * own
    for topic in range(k):
        emission[topic * (c + 1) + eos, EOS_ID] = 1.0
    return HiddenMarkovSource(
        start=np.kron(np.full(k, 1.0 / k), classes[eos]),
        transition=np.kron(topics, classes),
        emission=emission,
        topic_of_state=np.repeat(np.arange(k), c + 1),
        eos_state=np.tile(np.arange(c + 1) == eos, k),
    )


def _batch_means_error(values: np.ndarray, batches: int = 20) -> float:
    """Standard error of a mean of correlated values, from the spread of `batches` block means."""
    means = np.array([block.mean() for block in np.array_split(values, batches)])
    return float(means.std(ddof=1) / math.sqrt(batches))


@TASKS.register("lm-synthetic")
def make_lm_synthetic(seed: int, **params: object) -> LanguageTask:
    """Train, val and test streams sampled from one source, each from its own child of
    `text_seed` (so a split does not change with the size of another), with their floors."""
    p = build_params(SyntheticParams, params, owner="task 'lm-synthetic'")
    source = build_source(p)
    sizes = {"train": p.n_train, "val": p.n_val, "test": p.n_test}
    children = np.random.SeedSequence(p.text_seed).spawn(len(sizes))
    vocabulary = Vocabulary((UNK, EOS, *(f"w{i}" for i in range(p.vocab_size))))
    streams, log_probs, sentences = {}, {}, {}
    for (split, n), child in zip(sizes.items(), children, strict=True):
        streams[split] = source.sample(np.random.default_rng(child), n)
        log_probs[split] = source.log_probs(streams[split][0])
        words = vocabulary.decode(streams[split][0])
        ends = np.flatnonzero(streams[split][0] == EOS_ID) + 1
        sentences[split] = [words[a : b - 1] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
    pooled = np.concatenate(list(log_probs.values()))
    rate, error = -float(pooled.mean()), _batch_means_error(-pooled)
    test_tokens, test_states = streams["test"]
    horizon = {
        "unigram (the source's stationary word frequencies)": source.window_log_probs(
            test_tokens, 0
        ),
        "best 5-gram (the source's p(x_t | last 4 tokens))": source.window_log_probs(
            test_tokens, 4
        ),
        "topic oracle (told the true topic, not the history)": source.topic_oracle_log_probs(
            test_tokens, test_states
        ),
    }
    references = {
        "entropy rate (forward algorithm over all splits)": f"{rate:.4f} ± {error:.4f} nats/token"
        f" (perplexity {math.exp(rate):.2f})",
        **{
            f"test perplexity of the {name}": f"{math.exp(-float(lp.mean())):.2f}"
            for name, lp in horizon.items()
        },
    }
    return language_task(
        "lm-synthetic",
        seed,
        sentences,
        None,
        vocabulary=vocabulary,
        floor={split: -float(lp.mean()) for split, lp in log_probs.items()},
        references=references,
        params=dataclasses.asdict(p),
    )
