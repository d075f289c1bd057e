"""The language corpora against what is known of them: the synthetic source's cross-entropy
against brute force and a closed form, the text splits and tokenizer against hand-worked cases."""

from __future__ import annotations

import importlib.util
import itertools
import math
from collections import Counter

import numpy as np
import pytest

import neurosim.tasks.lm_synthetic  # noqa: F401  (registers lm-synthetic)
import neurosim.tasks.lm_text as lm_text
from neurosim.errors import ParameterError, UserError
from neurosim.tasks import make_task
from neurosim.tasks.language import EOS_ID, UNK_ID
from neurosim.tasks.lm_synthetic import SyntheticParams, build_source

TINY = {"n_train": 2000, "n_val": 500, "n_test": 500}


def brute_force_log_prob(source, tokens: np.ndarray) -> float:
    """ln p(x_1..N): the sum over every hidden path of its probability and its emissions."""
    total = 0.0
    for path in itertools.product(range(source.n_states), repeat=len(tokens)):
        p = source.start[path[0]] * source.emission[path[0], tokens[0]]
        for t in range(1, len(tokens)):
            p *= source.transition[path[t - 1], path[t]] * source.emission[path[t], tokens[t]]
        total += p
    return math.log(total)


def test_forward_algorithm_equals_brute_force_enumeration():
    p = SyntheticParams(vocab_size=4, topics=2, word_classes=2, topic_stay=0.7, sentence_length=2)
    source = build_source(p)
    tokens, _ = source.sample(np.random.default_rng(3), 6)
    tokens = tokens[:6]
    chained = np.cumsum(source.log_probs(tokens))
    for n in range(1, len(tokens) + 1):
        assert chained[n - 1] == pytest.approx(brute_force_log_prob(source, tokens[:n]), abs=1e-10)


def test_one_topic_one_class_matches_the_closed_form_entropy_rate():
    """One topic, one word class, shared Zipf order: tokens form a Markov chain word/<eos> with
    P(<eos> | word) = 1/L, so H = pi_w [H_b(1/L) + (1 - 1/L) H_zipf] + pi_eos H_zipf."""
    length, exponent, words = 5.0, 1.1, 60
    task = make_task(
        "lm-synthetic",
        0,
        n_train=20_000,
        n_val=100,
        n_test=100,
        vocab_size=words,
        topics=1,
        word_classes=1,
        topic_weight=0.0,
        zipf=exponent,
        sentence_length=length,
    )
    law = np.arange(1, words + 1) ** -exponent
    law /= law.sum()
    h_zipf = -float(np.sum(law * np.log(law)))
    q = 1.0 / length
    h_eos = -(q * math.log(q) + (1 - q) * math.log(1 - q))
    rate = (h_eos + (1 - q) * h_zipf + q * h_zipf) / (1 + q)
    assert task.floor["train"] == pytest.approx(rate, rel=0.01)


def test_a_first_order_source_is_predicted_as_well_from_its_last_token():
    """With one topic and one class the last token reveals the state, so a 2-gram window loses
    nothing; with topics, the window loses what only the far past reveals."""
    plain = build_source(SyntheticParams(vocab_size=30, topics=1, word_classes=1))
    tokens, _ = plain.sample(np.random.default_rng(0), 300)
    np.testing.assert_allclose(plain.window_log_probs(tokens, 1), plain.log_probs(tokens))
    topical = build_source(SyntheticParams())
    tokens, states = topical.sample(np.random.default_rng(0), 20_000)
    floor = -topical.log_probs(tokens).mean()
    five_gram = -topical.window_log_probs(tokens, 4).mean()
    unigram = -topical.window_log_probs(tokens, 0).mean()
    oracle = -topical.topic_oracle_log_probs(tokens, states).mean()
    assert floor < five_gram - 0.05 < unigram and floor < oracle < unigram


def test_the_text_seed_not_the_run_seed_draws_the_text_and_splits_differ():
    a, b = make_task("lm-synthetic", 4, **TINY), make_task("lm-synthetic", 5, **TINY)
    other = make_task("lm-synthetic", 4, **TINY, text_seed=1)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(a.split(split), b.split(split))
    assert a.floor == b.floor
    assert not np.array_equal(a.split("val")[:500], a.split("test")[:500])
    assert not np.array_equal(a.split("test")[:500], other.split("test")[:500])


def test_streams_are_the_sampled_tokens_and_never_unknown():
    task = make_task("lm-synthetic", 2, **TINY)
    source = build_source(SyntheticParams(**TINY))
    children = np.random.SeedSequence(0).spawn(3)  # the default text_seed
    for (split, n), child in zip(TINY.items(), children, strict=True):
        tokens = task.split(split.removeprefix("n_"))
        sampled, _ = source.sample(np.random.default_rng(child), n)
        np.testing.assert_array_equal(tokens, sampled)
        assert len(tokens) >= n and tokens[-1] == EOS_ID and not np.any(tokens == UNK_ID)
        assert task.floor[split.removeprefix("n_")] == pytest.approx(
            -source.log_probs(tokens).mean()
        )


def test_the_test_floor_is_close_to_the_entropy_rate():
    task = make_task("lm-synthetic", 1, n_train=100, n_val=100, n_test=20_000)
    source = build_source(SyntheticParams())
    long_run, _ = source.sample(np.random.default_rng(99), 100_000)
    rate = -source.log_probs(long_run).mean()
    assert task.floor["test"] == pytest.approx(rate, rel=0.03)
    assert task.floor_perplexity("test") == pytest.approx(math.exp(task.floor["test"]))


def test_bad_synthetic_parameters_name_the_field():
    with pytest.raises(ParameterError, match="topic_stay"):
        make_task("lm-synthetic", 0, topic_stay=1.5)
    with pytest.raises(ParameterError, match="vocab_size"):
        make_task("lm-synthetic", 0, vocab_size=2, word_classes=4)


@pytest.mark.parametrize(
    "text, sentences",
    [
        (
            "Hello, world! It's 3.5 km. Don't stop?\n\nNew para",
            [["hello", "world"], ["it's", "N", "km"], ["don't", "stop"], ["new", "para"]],
        ),
        (
            "'''Albedo''' is (white).\nIn 1,000 years the 19th",
            [["albedo", "is", "white"], ["in", "N", "years", "the", "N"]],
        ),
        (
            'He said "stop." Then\nwent on_line',
            [["he", "said", "stop"], ["then", "went", "on", "line"]],
        ),
        ("... !? --", []),
    ],
)
def test_tokenizer_on_hand_written_cases(text, sentences):
    assert lm_text.tokenize(text) == sentences


FAKE = {  # md5 order of the titles: gamma, alpha, delta, beta
    "delta": "The cat sat. The cat ran.",
    "beta": "The dog sat.",
    "gamma": "The bird sat. A cat!",
    "alpha": "Cat the ran.",
}


@pytest.fixture
def fake_corpus(monkeypatch):
    monkeypatch.setitem(lm_text.CORPORA, "pydoc", (lambda: iter(FAKE.items()), False))


def test_splits_and_unk_rates_on_a_tiny_corpus_worked_by_hand(fake_corpus):
    """Tokens (with <eos>): gamma 7, alpha 4, delta 8, beta 4; the 10 % quota (2.3) puts gamma in
    val, alpha in test, the rest in train. Train counts: the 3, cat 2, sat 2, ran 1, dog 1, so
    two words keep `the` and `cat` (the tie with `sat` broken alphabetically)."""
    assert sorted(FAKE, key=lm_text.title_order) == ["gamma", "alpha", "delta", "beta"]
    task = make_task("lm-text", 0, vocab_size=2)
    assert task.vocabulary.words == ("<unk>", "<eos>", "the", "cat")
    assert task.vocabulary.decode(task.split("val")) == [
        "the", "<unk>", "<unk>", "<eos>", "<unk>", "cat", "<eos>"
    ]  # fmt: skip
    assert lm_text.unk_rate(task, "val") == pytest.approx(3 / 7)
    assert lm_text.unk_rate(task, "test") == pytest.approx(1 / 4)
    assert lm_text.unk_rate(task, "train") == pytest.approx(4 / 12)
    assert task.references["unk rate (val / test)"] == "42.86% / 25.00%"


def test_training_cap_keeps_whole_sentences(fake_corpus):
    task = make_task("lm-text", 0, max_train_tokens=9)
    assert task.vocabulary.decode(task.split("train")) == [
        "the", "cat", "sat", "<eos>", "the", "cat", "ran", "<eos>"
    ]  # fmt: skip


def test_pydoc_splits_are_whole_documents_fixed_across_seeds():
    documents = lm_text.load_documents("pydoc")
    splits = lm_text.assign_splits(documents, lm_text.HELDOUT["pydoc"])
    a, b = make_task("lm-text", 0), make_task("lm-text", 7)
    assert a.vocab_size == lm_text.DEFAULT_VOCAB["pydoc"] + 2
    seen = {tuple(row) for title, doc in documents if splits[title] == "train" for row in doc}
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(a.split(split), b.split(split))
        rows = [row for title, doc in documents if splits[title] == split for row in doc]
        if split != "train":  # held out: without the long sentences train holds verbatim
            rows = [row for row in rows if len(row) < 5 or tuple(row) not in seen]
        np.testing.assert_array_equal(a.split(split), a.vocabulary.encode(rows))
        assert int(np.sum(a.split(split) == EOS_ID)) == len(rows)


def test_held_out_text_repeating_train_verbatim_is_dropped():
    """pydoc's topics share paragraphs: no held-out 8-gram may come mostly from train."""
    task = make_task("lm-text", 0)
    train = {tuple(w) for w in np.lib.stride_tricks.sliding_window_view(task.split("train"), 8)}
    test = np.lib.stride_tricks.sliding_window_view(task.split("test"), 8)
    assert np.mean([tuple(w) in train for w in test]) < 0.02  # it was 0.46 before the drop
    rows = [["a", "b"], ["x", "y", "z", "w", "v"], ["x", "y", "z", "w", "u"]]
    assert lm_text.drop_repeats(rows, {("a", "b"), ("x", "y", "z", "w", "v")}) == [
        ["a", "b"],
        ["x", "y", "z", "w", "u"],
    ]


def test_vocabulary_size_is_honoured_and_keeps_the_top_training_words():
    documents = lm_text.load_documents("pydoc")
    train = lm_text.split_documents(documents, lm_text.HELDOUT["pydoc"])["train"]
    counts = Counter(word for row in train for word in row)
    task = make_task("lm-text", 0, vocab_size=300)
    kept = set(task.vocabulary.words[2:])
    assert task.vocab_size == 302 and len(kept) == 300
    assert min(counts[w] for w in kept) >= max(counts[w] for w in counts.keys() - kept)
    dropped = sum(counts[w] for w in counts.keys() - kept)
    assert int(np.sum(task.split("train") == UNK_ID)) == dropped > 0


def test_missing_gensim_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path))  # no parsed corpus to fall back on
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "gensim" else real(name, *a)
    )
    with pytest.raises(UserError, match=r"pip install neurosim\[text\]"):
        make_task("lm-text", 0, corpus="wikipedia")


def test_wikipedia_corpus_parses_once_and_strips_markup(monkeypatch, tmp_path):
    pytest.importorskip("gensim", reason="corpus 'wikipedia' needs the text extra (gensim)")
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path))
    task = make_task("lm-text", 0, corpus="wikipedia", max_train_tokens=20_000)
    assert lm_text.cache_path("wikipedia").exists()
    again = make_task("lm-text", 1, corpus="wikipedia", max_train_tokens=20_000)
    np.testing.assert_array_equal(task.split("test"), again.split("test"))
    assert len(task.split("train")) <= 20_000 and len(task.split("test")) > 10_000
    words = set(task.vocabulary.words)
    assert not words & {"http", "https", "www", "ref", "nbsp", "quot"}
