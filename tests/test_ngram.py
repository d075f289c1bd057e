"""The Kneser-Ney n-gram against nltk's, against hand-computed discounts, against the axioms of
a distribution, and against a Markov source whose entropy rate is known in closed form; the
language family's perplexity against a uniform model's."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from neurosim.artifacts import Artifacts
from neurosim.baselines.ngram import FALLBACK_DISCOUNTS, KneserNey, NGramLearner, modified_discounts
from neurosim.errors import ParameterError
from neurosim.families.language import LanguageLearner
from neurosim.learner import Budget, History, Recorder
from neurosim.tasks.language import EOS_ID, LanguageTask, Vocabulary, language_task

SENTENCES = [
    "the cat sat on the mat",
    "the dog sat on the log",
    "a cat saw the dog",
    "the dog saw a cat",
    "a dog sat on a mat",
    "the cat ran",
    "a dog ran on the log",
    "the mat was red",
    "the log was old",
    "a cat was on the mat",
    "the dog was red",
    "a cat sat",
]


def tiny_task() -> LanguageTask:
    """A dozen sentences, every word of the vocabulary seen in training."""
    words = [s.split() for s in SENTENCES]
    return language_task("tiny", 0, {"train": words, "val": words[:3], "test": words[3:6]}, None)


def padded_ngrams(stream: np.ndarray, order: int) -> list[tuple[int, ...]]:
    """Every k-gram (k = 1..order) ending at a token of the stream, with the model's padding:
    the training n-grams of our model, handed to nltk as they are."""
    padded = [EOS_ID] * (order - 1) + stream.tolist()
    return [
        tuple(padded[p - k + 1 : p + 1])
        for p in range(order - 1, len(padded))
        for k in range(1, order + 1)
    ]


@pytest.mark.parametrize("order", [2, 3, 4, 5])
@pytest.mark.parametrize("discount", [0.1, 0.75])
def test_fixed_discount_matches_nltk_on_a_tiny_closed_vocabulary(order: int, discount: float):
    """Both models are fed exactly the same n-grams (ours: the stream, `<eos>`-padded; nltk: that
    stream's k-grams, k = 1..order, as one 'sentence'), so nltk's counts equal ours.

    The one designed difference is the lowest order: nltk's unigram is the undiscounted
    continuation distribution N1+(. w) / N1+(. .), ours discounts it and gives the mass taken to
    the uniform distribution (so `<unk>` and unseen words keep p > 0). So: (a) our unigram is
    checked against that formula on nltk's own continuation counts, and (b) nltk's unigram is
    replaced by that formula, after which nltk's recursion over orders 2..n (its alpha/gamma,
    continuation counts, back-off from unseen contexts) must give our p(w | context) for every
    word after every context of every length seen in training, and after unseen ones.
    Order 1 is excluded: nltk's order-1 model is the continuation unigram (needing bigrams),
    while an order-1 model here is the raw-count unigram, as the highest order always is.
    """
    lm_module = pytest.importorskip("nltk.lm")
    task = tiny_task()
    stream, words, v = task.splits["train"], task.vocabulary.words, task.vocab_size
    model = KneserNey.fit(stream, v, order, discount)
    lm = lm_module.KneserNeyInterpolated(order, discount=discount)
    lm.fit([[tuple(words[i] for i in g) for g in padded_ngrams(stream, order)]], words)

    continuation = {w: lm.estimator._continuation_counts(w) for w in words}
    n_types = sum(count > 0 for count, _ in continuation.values())

    def unigram(word: str) -> float:
        count, total = continuation[word]
        return (max(count - discount, 0.0) + discount * n_types / v) / total

    lm.estimator.unigram_score = unigram
    np.testing.assert_allclose(
        model.prob(np.arange(v)[:, None]), [unigram(w) for w in words], rtol=0, atol=1e-12
    )
    windows = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([np.full(order - 1, EOS_ID), stream]), order
    )[:, :-1]
    rng = np.random.default_rng(order)
    contexts = {tuple(row[len(row) - n :]) for row in windows for n in range(1, order)}
    contexts |= {tuple(rng.integers(0, v, n)) for n in range(1, order) for _ in range(5)}
    contexts |= {(0,) * n for n in range(1, order)}  # `<unk>`: in the vocabulary, not in training
    assert any(not lm.counts[tuple(words[i] for i in c)] for c in contexts)  # unseen ones too
    for context in sorted(contexts):
        queries = np.array([[*context, w] for w in range(v)])
        expected = [lm.unmasked_score(w, tuple(words[i] for i in context)) for w in words]
        np.testing.assert_allclose(model.prob(queries), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("discount", ["modified", 0.5])
def test_probabilities_sum_to_one_after_seen_and_unseen_contexts(order: int, discount):
    rng = np.random.default_rng(order)
    v = 12
    stream = rng.integers(0, v - 2, 400)  # words v-2, v-1 never seen in training
    model = KneserNey.fit(stream, v, order, discount)
    contexts = [stream[i : i + order - 1] for i in range(0, 300, 7)]
    contexts += [rng.integers(0, v, order - 1) for _ in range(20)]
    contexts += [np.full(order - 1, v - 1)]  # a context of unseen words only
    for context in contexts:
        p = model.next_word_probs(context)
        assert np.all(p > 0)
        assert abs(p.sum() - 1) < 1e-9


def test_modified_discounts_by_hand():
    # n1..n4 = 4, 2, 1, 1: Y = 4 / (4 + 2*2) = 1/2
    counts = np.array([1, 1, 1, 1, 2, 2, 3, 4, 7])
    d1, d2, d3 = 1 - 2 * 0.5 * 2 / 4, 2 - 3 * 0.5 * 1 / 2, 3 - 4 * 0.5 * 1 / 1
    np.testing.assert_allclose(modified_discounts(counts), [d1, d2, d3])
    assert (d1, d2, d3) == (0.5, 1.25, 1.0)
    # no count of 3: D2 and D3+ are undefined, so KenLM's fallback discounts are used
    np.testing.assert_array_equal(modified_discounts(np.array([1, 1, 2, 4])), FALLBACK_DISCOUNTS)


def test_the_top_order_uses_modified_discounts_of_its_raw_counts():
    rng = np.random.default_rng(1)
    stream = rng.integers(0, 6, 3000)
    model = KneserNey.fit(stream, 6, 2, "modified")
    padded = np.concatenate([[EOS_ID], stream])
    bigrams = np.unique(np.stack([padded[:-1], padded[1:]]), axis=1, return_counts=True)[1]
    np.testing.assert_allclose(model.levels[-1].discounts, modified_discounts(bigrams))
    assert np.all((model.levels[-1].discounts > 0) & (model.levels[-1].discounts < [1, 2, 3]))


@dataclasses.dataclass
class NoParams:
    pass


class UniformLearner(LanguageLearner):
    """ln(1/V) for every token: its perplexity is V by definition."""

    name = "uniform-test"
    Params = NoParams

    def fit(self, task: LanguageTask, budget: Budget, recorder: Recorder) -> History:
        return History()

    def token_log_probs(self, task: LanguageTask, tokens: np.ndarray) -> np.ndarray:
        return np.full(len(tokens), -math.log(task.vocab_size))


def test_a_uniform_model_has_the_vocabulary_size_as_perplexity():
    task = tiny_task()
    metrics = UniformLearner().evaluate(task, "test")
    assert task.vocab_size == 15  # 13 words, <unk>, <eos>
    assert metrics["perplexity"] == pytest.approx(15, rel=1e-12)
    assert metrics["cross_entropy"] == pytest.approx(math.log(15), rel=1e-12)


def markov_task(v: int, n_train: int, n_test: int) -> tuple[LanguageTask, float]:
    """A 2nd-order Markov chain over v words (sparse Dirichlet rows), and its entropy rate
    H = sum_(a, b) pi(a, b) H(P(. | a, b)), pi the stationary law of the pairs."""
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.full(v, 0.3), size=(v, v))  # p[a, b, c] = P(c | a, b)
    pairs = np.zeros((v * v, v * v))  # (a, b) -> (b, c)
    a, b, c = np.meshgrid(np.arange(v), np.arange(v), np.arange(v), indexing="ij")
    pairs[(a * v + b).ravel(), (b * v + c).ravel()] = p.ravel()
    values, vectors = np.linalg.eig(pairs.T)
    pi = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    pi /= pi.sum()
    entropy_rate = float(-(pi.reshape(v, v)[..., None] * p * np.log(p)).sum())
    cumulative = np.cumsum(p, axis=2)
    draws = rng.random(n_train + n_test)
    stream = np.empty(n_train + n_test, dtype=np.int64)
    x, y = EOS_ID, EOS_ID
    for t, u in enumerate(draws):
        x, y = y, min(int(np.searchsorted(cumulative[x, y], u)), v - 1)
        stream[t] = y
    vocabulary = Vocabulary(("<unk>", "<eos>", *(f"w{i}" for i in range(2, v))))
    splits = {"train": stream[:n_train], "val": stream[n_train:], "test": stream[n_train:]}
    return LanguageTask("markov", 0, splits, vocabulary), entropy_rate


def test_more_context_helps_and_order_3_nears_a_2nd_order_chains_entropy_rate():
    task, entropy_rate = markov_task(8, n_train=60_000, n_test=20_000)
    cross_entropy = {}
    for order in (1, 2, 3):
        learner = NGramLearner(order=order)
        learner.fit(task, Budget(), Recorder())
        cross_entropy[order] = learner.evaluate(task, "test")["cross_entropy"]
    assert cross_entropy[3] < cross_entropy[2] < cross_entropy[1]
    assert cross_entropy[1] - cross_entropy[3] > 0.2  # nats: the chain has real structure
    assert abs(cross_entropy[3] / entropy_rate - 1) < 0.03


def test_fit_records_history_samples_and_test_log_probs(tmp_path: Path):
    task = tiny_task()
    learner = NGramLearner(order=3)
    history = learner.fit(task, Budget(), Recorder())
    (row,) = history.rows
    assert row["epoch"] == 1 and row["samples"] == len(task.splits["train"])
    assert 1 < row["train_perplexity"] < task.vocab_size
    assert learner.train_tokens_per_s_ > 0
    learner.record(task, Recorder(tmp_path))
    entries = {entry.name: entry for entry in Artifacts(tmp_path).entries()}
    samples = json.loads(entries["samples"].path.read_text())
    assert [s["temperature"] for s in samples] == [0.7, 1.0]
    assert all(len(s["text"].split()) == 40 for s in samples)
    assert set(" ".join(s["text"] for s in samples).split()) <= set(task.vocabulary.words)
    log_probs = Artifacts.load(entries["test_log_probs"])["log_probs"]
    np.testing.assert_allclose(
        log_probs, learner.token_log_probs(task, task.splits["test"]), rtol=1e-6
    )


def test_a_cold_sample_follows_the_only_continuation():
    cycle = np.tile(np.arange(2, 7), 200)  # w2 w3 w4 w5 w6 w2 ...
    vocabulary = Vocabulary(("<unk>", "<eos>", *(f"w{i}" for i in range(2, 7))))
    task = LanguageTask("cycle", 0, {"train": cycle, "test": cycle[:10]}, vocabulary)
    learner = NGramLearner(order=2)
    learner.fit(task, Budget(), Recorder())
    ids = learner.sample(task, 12, 0.02, np.random.default_rng(0))
    assert np.all(np.diff(ids) % 5 == 1)  # each word followed by the next of the cycle


@pytest.mark.parametrize(
    ("params", "field"),
    [({"order": 0}, "order"), ({"order": 6}, "order"), ({"discount": 1.0}, "discount")],
)
def test_bad_parameters_name_the_field(params: dict, field: str):
    with pytest.raises(ParameterError, match=f"field '{field}'"):
        NGramLearner(**params)
    NGramLearner(discount=0.5)  # a fixed discount inside (0, 1) is fine
