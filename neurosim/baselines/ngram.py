"""`ngram`: interpolated modified Kneser-Ney (Chen & Goodman 1998, sections 3.4-3.5), in numpy.

Written here because nothing maintained fits: `nltk.lm` is pure Python, scans every n-gram of
an order for each continuation count it looks up, and gives zero probability to words never
seen as continuations; kenlm's PyPI package only queries models (its estimator is a C++ build
with Boost). This one fits a 5-gram on ~600k tokens in about a second and scores a whole stream
at once.

    p_k(w | c) = max(N_k(c w) - D_k(N_k(c w)), 0) / N_k(c .) + gamma_k(c) p_{k-1}(w | c')

where c' is c without its first word; N_k is the raw count at the highest order and the
continuation count N1+(. c w) below it; D_k(n) is D1, D2 or D3+ by n, from the count-of-counts
n1..n4 of the counts that order uses (as SRILM and KenLM do), or one fixed discount; gamma_k(c)
is the mass the discounts took from c's successors. An unseen context hands everything to the
lower order (gamma = 1); the unigram level is interpolated with the uniform distribution, so
every word, `<unk>` included, has p > 0.

The training split is one continuous stream: a token's context is simply the `order - 1` tokens
before it, across sentence ends, and the stream is taken to start after `<eos>`s, so the first
contexts are padded with `<eos>` ids. Each k-gram thus has a left neighbour, and continuation
counts are defined for every k-gram that occurs.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from neurosim.families.language import LanguageLearner, perplexity
from neurosim.learner import Budget, History, Recorder
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.language import EOS_ID, LanguageTask

# KenLM's --discount_fallback values, used where an order's count-of-counts cannot give valid
# modified discounts (tiny corpora: some n_k is zero, or a D_k falls outside (0, k]).
FALLBACK_DISCOUNTS = np.array([0.5, 1.0, 1.5])
SAMPLE_TEMPERATURES = (0.7, 1.0)
SAMPLE_TOKENS = 40


def modified_discounts(counts: np.ndarray) -> np.ndarray:
    """D1, D2, D3+ from the count-of-counts n1..n4 of `counts` (Chen & Goodman eq. 26):
    Y = n1 / (n1 + 2 n2), D_k = k - (k + 1) Y n_{k+1} / n_k."""
    n = np.array([np.count_nonzero(counts == k) for k in range(1, 5)], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = n[0] / (n[0] + 2 * n[1])
        k = np.arange(1, 4)
        discounts = k - (k + 1) * y * n[1:] / n[:3]
    if not np.all(np.isfinite(discounts) & (discounts > 0) & (discounts <= k)):
        return FALLBACK_DISCOUNTS.copy()
    return discounts


@dataclasses.dataclass(frozen=True)
class Level:
    """Order k of the model: its k-grams, each keyed by its first word and the id of the
    (k-1)-gram after it (so ids chain from the right), and its contexts, the (k-1)-grams."""

    # sorted: first word * n_suffixes + suffix id; a k-gram's id is its index here
    keys: np.ndarray
    n_suffixes: int  # how many (k-1)-gram ids there are: the keys' radix
    alpha: np.ndarray  # per k-gram: its discounted count over its context's total
    gamma: np.ndarray  # per context: the mass left to order k-1 (1 for an unseen context)
    discounts: np.ndarray  # D1, D2, D3+

    def lookup(self, first: np.ndarray, suffix: np.ndarray) -> np.ndarray:
        """Ids of the k-grams (first word, suffix (k-1)-gram id); -1 where never seen."""
        key = first * self.n_suffixes + suffix
        at = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
        return np.where((suffix >= 0) & (self.keys[at] == key), at, -1)


class KneserNey:
    """The fitted model: one Level per order, and the vocabulary size for the uniform floor."""

    def __init__(self, levels: list[Level], vocab_size: int):
        self.levels = levels
        self.vocab_size = vocab_size

    @property
    def order(self) -> int:
        return len(self.levels)

    @classmethod
    def fit(
        cls, stream: np.ndarray, vocab_size: int, order: int, discount: str | float
    ) -> KneserNey:
        padded = np.concatenate([np.full(order - 1, EOS_ID, dtype=np.int64), stream])
        real = slice(order - 1, None)  # positions of the stream's own tokens
        # ids[k][p]: id of the k-gram ending at padded position p (-1 where it does not fit)
        ids = [np.zeros(len(padded), dtype=np.int64)]  # order 0: the empty gram, id 0
        keys = [np.zeros(1, dtype=np.int64)]
        for k in range(1, order + 1):
            key = padded[: len(padded) - k + 1] * len(keys[-1]) + ids[-1][k - 1 :]
            unique, inverse = np.unique(key, return_inverse=True)
            level_ids = np.full(len(padded), -1, dtype=np.int64)
            level_ids[k - 1 :] = inverse.ravel()
            ids.append(level_ids)
            keys.append(unique)
        levels = []
        for k in range(1, order + 1):
            if k == order:
                counts = np.bincount(ids[k][real], minlength=len(keys[k]))
            else:  # continuation counts: distinct left neighbours, i.e. (k+1)-grams ending in it
                above = keys[k + 1][np.unique(ids[k + 1][real])]
                counts = np.bincount(above % len(keys[k]), minlength=len(keys[k]))
            prefix = np.zeros(len(keys[k]), dtype=np.int64)  # each k-gram's context id
            if k > 1:
                prefix[ids[k][k - 1 :]] = ids[k - 1][k - 2 : -1]
            levels.append(_level(keys[k], len(keys[k - 1]), counts, prefix, discount))
        return cls(levels, vocab_size)

    def prob(self, windows: np.ndarray) -> np.ndarray:
        """p(last word | the words before it) for each row of `windows` (n, m), m <= order:
        a row of m words uses orders 1..m."""
        n, m = windows.shape
        p = np.full(n, 1.0 / self.vocab_size)
        gram = np.zeros(n, dtype=np.int64)  # id of the k-gram ending in the predicted word
        context = np.zeros(n, dtype=np.int64)  # id of the (k-1)-gram before it
        for k, level in enumerate(self.levels[:m], start=1):
            gram = level.lookup(windows[:, m - k], gram)
            # an unseen context has no k-gram (alpha = 0) and gamma = 1: p stays the lower order's
            alpha = np.where(gram >= 0, level.alpha[np.maximum(gram, 0)], 0.0)
            gamma = np.where(context >= 0, level.gamma[np.maximum(context, 0)], 1.0)
            p = alpha + gamma * p
            if k < m:
                context = level.lookup(windows[:, m - 1 - k], context)
        return p

    def stream_windows(self, tokens: np.ndarray) -> np.ndarray:
        """(n, order) windows, the last column the stream, the first contexts `<eos>`-padded."""
        pad = np.full(self.order - 1, EOS_ID, dtype=np.int64)
        return sliding_window_view(np.concatenate([pad, tokens]), self.order)

    def next_word_probs(self, context: np.ndarray) -> np.ndarray:
        """p(w | the last order-1 words of `context`) for every word of the vocabulary."""
        windows = np.empty((self.vocab_size, self.order), dtype=np.int64)
        windows[:, :-1] = context[len(context) - self.order + 1 :]
        windows[:, -1] = np.arange(self.vocab_size)
        return self.prob(windows)


def _level(
    keys: np.ndarray, n_contexts: int, counts: np.ndarray, prefix: np.ndarray, discount: str | float
) -> Level:
    """One order's interpolation terms from its counts and each k-gram's context id."""
    present = counts > 0
    if discount == "modified":
        discounts = modified_discounts(counts[present])
    else:
        discounts = np.full(3, float(discount))
    c, ctx = counts[present], prefix[present]
    d = discounts[np.minimum(c, 3) - 1]
    total = np.bincount(ctx, weights=c, minlength=n_contexts)
    left = np.bincount(ctx, weights=d, minlength=n_contexts)
    seen = total > 0
    alpha = np.zeros(len(keys))
    alpha[present] = (c - d) / total[ctx]
    gamma = np.ones(n_contexts)
    gamma[seen] = left[seen] / total[seen]
    return Level(keys, n_contexts, alpha, gamma, discounts)


@dataclasses.dataclass
class NGramParams:
    order: int = 3  # 1: the unigram model (interpolated with the uniform distribution)
    discount: Literal["modified"] | float = "modified"  # or one fixed D in (0, 1) for all counts

    def validate(self, owner: str) -> None:
        fixed = isinstance(self.discount, float)
        check_fields(
            owner,
            self,
            [
                ("order", 1 <= self.order <= 5, "must lie in 1..5"),
                ("discount", not fixed or 0 < self.discount < 1, "must lie in (0, 1)"),
            ],
        )


@LEARNERS.register("ngram")
class NGramLearner(LanguageLearner):
    """Interpolated (modified) Kneser-Ney over the train stream, fitted once by counting."""

    name = "ngram"
    Params = NGramParams
    budget_fields = frozenset({"samples"})  # counts the first `samples` training tokens
    artifacts = ("arrays", "json")

    def fit(self, task: LanguageTask, budget: Budget, recorder: Recorder) -> History:
        train = task.split("train")[: budget.samples]
        start = time.perf_counter()
        self.model_ = KneserNey.fit(train, task.vocab_size, self.params.order, self.params.discount)
        self.train_tokens_per_s_ = len(train) / max(time.perf_counter() - start, 1e-9)
        train_log_probs = self.token_log_probs(task, train)
        self.history_ = History()
        self.history_.log(epoch=1, samples=len(train), train_perplexity=perplexity(train_log_probs))
        return self.history_

    def token_log_probs(self, task: LanguageTask, tokens: np.ndarray) -> np.ndarray:
        return np.log(self.model_.prob(self.model_.stream_windows(tokens)))

    def sample(
        self, task: LanguageTask, n_tokens: int, temperature: float, rng: np.random.Generator
    ) -> np.ndarray:
        """`n_tokens` word ids drawn one at a time after an `<eos>`, from p^(1/temperature)
        renormalised."""
        text = np.full(self.model_.order - 1 + n_tokens, EOS_ID, dtype=np.int64)
        for t in range(self.model_.order - 1, len(text)):
            logits = np.log(self.model_.next_word_probs(text[:t])) / temperature
            weights = np.exp(logits - logits.max())
            text[t] = rng.choice(len(weights), p=weights / weights.sum())
        return text[self.model_.order - 1 :]

    def record(self, task: LanguageTask, recorder: Recorder) -> None:
        super().record(task, recorder)
        if recorder.enabled:
            rng = np.random.default_rng(task.seed)
            samples = [
                {
                    "temperature": t,
                    "text": " ".join(
                        task.vocabulary.decode(self.sample(task, SAMPLE_TOKENS, t, rng))
                    ),
                }
                for t in SAMPLE_TEMPERATURES
            ]
            recorder.json("samples", samples)
