"""The `rnnlm` learner: what its probabilities, state handling, scoring and sampling promise."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from neurosim.activity import Activity
from neurosim.deep.learners.rnnlm import RNNLMLearner, batchify
from neurosim.deep.models.language_model import LanguageModel
from neurosim.errors import ParameterError
from neurosim.learner import Budget, Recorder
from neurosim.tasks.language import LanguageTask, language_task

pytestmark = pytest.mark.usefixtures("one_torch_thread")

WORDS = list("abcdef")  # with <eos>: a stream of period 7 over 7 words
TINY = {"embedding": 16, "hidden": 16, "layers": 1, "batch_size": 4, "bptt": 8, "dropout": 0.0}


def cyclic_task(sentences: int = 120) -> LanguageTask:
    """`a b c d e f <eos>` over and over: each token fixed by the one before it."""
    rows = [WORDS] * sentences
    return language_task("cyclic", 0, {"train": rows, "val": rows[:20], "test": rows[:20]}, None)


def random_task(seed: int = 0, n: int = 200) -> LanguageTask:
    """Sentences of 1-8 words drawn uniformly from 12 words: nothing to learn but frequencies."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(12)]
    rows = [list(rng.choice(vocab, rng.integers(1, 9))) for _ in range(n + 60)]
    splits = {"train": rows[:n], "val": rows[n : n + 30], "test": rows[n + 30 :]}
    return language_task("random", seed, splits, 10)


def fitted(task: LanguageTask, budget: Budget | None = None, **params) -> RNNLMLearner:
    learner = RNNLMLearner(**{**TINY, **params})
    learner.fit(task, budget or Budget(epochs=1), Recorder())
    return learner


def untrained(task: LanguageTask, **params) -> RNNLMLearner:
    """A net as initialised: one step of a tiny learning rate on 4 tokens."""
    return fitted(task, Budget(samples=1), optimizer="sgd", lr=1e-9, **params)


def scores(
    learner: RNNLMLearner, task: LanguageTask, tokens: np.ndarray, columns: int
) -> np.ndarray:
    """The learner's log-probs of `tokens`, the stream read in `columns` columns."""
    learner.params = dataclasses.replace(learner.params, score_columns=columns)
    return learner.token_log_probs(task, tokens)


def test_log_probs_normalise_over_the_vocabulary():
    task = random_task()
    learner = fitted(task, cell="gru", score_columns=1)
    prefix = task.split("test")[:9]
    last = [
        learner.token_log_probs(task, np.append(prefix, word))[-1]
        for word in range(task.vocab_size)
    ]
    assert np.logaddexp.reduce(last) == pytest.approx(0.0, abs=1e-5)


def test_tied_weights_are_one_tensor_and_stay_one():
    learner = fitted(random_task(), tie_weights=True)
    model = learner.model_
    assert model.decoder.weight is model.embedding.weight
    named = dict(model.named_parameters())  # a shared parameter is listed once
    assert "decoder.weight" not in named and "embedding.weight" in named
    untied = fitted(random_task(), tie_weights=False).model_
    assert untied.decoder.weight.data_ptr() != untied.embedding.weight.data_ptr()


def test_tied_weights_need_equal_sizes_and_the_error_names_the_fields():
    with pytest.raises(ParameterError, match="field 'embedding' must equal 'hidden' \\(32\\)"):
        RNNLMLearner(embedding=16, hidden=32, tie_weights=True)
    RNNLMLearner(embedding=16, hidden=32, tie_weights=False)  # untied: any sizes


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_a_deterministic_cycle_is_learnt_to_perplexity_near_one(cell: str):
    task = cyclic_task()
    learner = fitted(task, Budget(epochs=6), cell=cell, optimizer="adam", lr=0.02)
    assert learner.evaluate(task, "test")["perplexity"] < 1.1
    # an untrained net knows nothing: near the 8 words' uniform perplexity
    assert untrained(task, cell=cell).evaluate(task, "test")["perplexity"] > 4


def test_the_state_is_carried_across_chunks_and_reset_at_each_epoch(monkeypatch):
    calls: list[tuple] = []
    forward = LanguageModel.forward

    def spy(self, tokens, states=None):
        logits, finals = forward(self, tokens, states)
        if self.training:
            calls.append((states, finals))
        return logits, finals

    monkeypatch.setattr(LanguageModel, "forward", spy)
    task = random_task()
    stream = task.split("train")
    fitted(task, Budget(epochs=2), cell="lstm", layers=2)
    chunks = -(-(len(stream) // TINY["batch_size"] - 1) // TINY["bptt"])
    assert len(calls) == 2 * chunks
    for k, (states, _) in enumerate(calls):
        if k % chunks == 0:
            assert states is None  # each epoch starts from zero
            continue
        previous = calls[k - 1][1]
        for (h, c), (h0, c0) in zip(states, previous, strict=True):
            assert not h.requires_grad and not c.requires_grad  # BPTT stops at the border
            torch.testing.assert_close(h, h0, rtol=0, atol=0)
            torch.testing.assert_close(c, c0, rtol=0, atol=0)


def test_batchify_cuts_contiguous_columns():
    columns = batchify(torch.arange(11), 3)
    assert columns.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_columns_score_as_one_column_once_the_state_has_forgotten_the_start():
    """Column 0 is read exactly as one column reads it; every other column starts from zero
    state with its true predecessor as input, and its scores join the one-column ones once the
    untrained net's short memory (forget gates near 1/2) has let the difference die out."""
    task = random_task(n=400)
    learner = untrained(task, layers=2)
    tokens = task.split("train")[:1003]
    one = scores(learner, task, tokens, 1)
    many = scores(learner, task, tokens, 10)  # 10 columns of 101 tokens, the last one padded
    assert one.shape == many.shape == tokens.shape
    np.testing.assert_allclose(many[:101], one[:101], atol=1e-5)
    settled = np.arange(len(tokens)) % 101 >= 50
    np.testing.assert_allclose(many[settled], one[settled], atol=1e-5)
    assert np.abs(many - one)[101::101].max() > 1e-3  # a column's start does differ


def test_a_net_without_recurrence_scores_every_token_alike_in_any_columns():
    task = random_task()
    learner = fitted(task, cell="rnn")
    with torch.no_grad():
        learner.model_.cores[0].weight_hh_l0.zero_()  # h_t depends on the word read only
    tokens = task.split("val")
    np.testing.assert_allclose(
        scores(learner, task, tokens, 7), scores(learner, task, tokens, 1), atol=1e-5
    )


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_the_readable_path_scores_as_the_fused_path(cell: str):
    task = random_task()
    learner = fitted(task, cell=cell, layers=2, dropout=0.3)
    fused = learner.token_log_probs(task, task.split("test"))
    learner.model_ = learner.model_.readable()
    assert learner.model_.path == "readable"
    readable = learner.token_log_probs(task, task.split("test"))
    np.testing.assert_allclose(readable, fused, atol=1e-5)


def test_dropout_acts_in_training_only():
    task = random_task()
    learner = fitted(task, dropout=0.5)
    assert (
        learner.evaluate(task, "val")["perplexity"] == learner.evaluate(task, "val")["perplexity"]
    )
    tokens = torch.as_tensor(task.split("val")[None, :50])
    model = learner.model_.train()
    assert not torch.equal(model(tokens)[0], model(tokens)[0])


def test_sampling_at_temperature_zero_is_the_argmax():
    task = cyclic_task()
    learner = fitted(task, Budget(epochs=6), optimizer="adam", lr=0.02)
    greedy = learner.sample(task, 14, 0.0, seed=0)
    assert task.vocabulary.decode(greedy) == [*WORDS, "<eos>", *WORDS, "<eos>"]
    for seed in (1, 2):
        np.testing.assert_array_equal(learner.sample(task, 14, 1e-4, seed), greedy)
    initial = untrained(task)
    hot = [tuple(initial.sample(task, 20, 1.0, seed)) for seed in (0, 1)]
    assert hot[0] != hot[1]  # at temperature 1 an untrained net's samples vary with the seed
    np.testing.assert_array_equal(initial.sample(task, 20, 1.0, 0), hot[0])  # seeded


def test_history_counts_tokens_and_divides_the_rate_when_val_does_not_improve():
    """Val reads the cycle backwards: the better train is learnt, the worse val gets, so val
    stops improving at once and the rate is cut again and again."""
    cycle, backwards = [WORDS] * 120, [WORDS[::-1]] * 20
    splits = {"train": cycle, "val": backwards, "test": cycle[:20]}
    task = language_task("twisted", 0, splits, None)
    learner = fitted(task, Budget(epochs=5), optimizer="adam", lr=0.02, lr_decay=4.0)
    rows = learner.history_.rows
    per_epoch = (len(task.split("train")) // 4 - 1) * 4
    assert [row["samples"] for row in rows] == [per_epoch * e for e in range(1, 6)]
    best = np.inf
    for row, following in zip(rows, rows[1:], strict=False):
        improved = row["val_perplexity"] <= best
        best = min(best, row["val_perplexity"])
        assert following["lr"] == (row["lr"] if improved else row["lr"] / 4.0)
    assert rows[-1]["lr"] < 0.02 / 4**2  # the rate was cut at least twice
    kept = min(rows, key=lambda row: row["val_perplexity"])["val_perplexity"]
    assert learner.evaluate(task, "val")["perplexity"] == pytest.approx(kept, rel=1e-9)


def test_a_samples_budget_stops_within_one_step_of_the_columns():
    learner = fitted(random_task(), Budget(samples=501))
    assert 501 <= learner.history_.rows[-1]["samples"] < 501 + TINY["batch_size"]
    assert learner.train_tokens_per_s_ > 0


def test_the_same_seed_gives_the_same_history():
    task = random_task()
    first = fitted(task, Budget(epochs=2), dropout=0.2).history_.rows
    again = fitted(task, Budget(epochs=2), dropout=0.2).history_.rows
    assert first == again


def test_record_writes_samples_neighbours_and_gates(tmp_path: Path):
    task = random_task()
    learner = fitted(task, cell="lstm", layers=2)
    learner.evaluate(task, "test")
    learner.record(task, Recorder(tmp_path))
    samples = json.loads((tmp_path / "samples.json").read_text())
    assert [s["temperature"] for s in samples] == [0.7, 1.0]
    assert all(len(s["text"].split()) == 40 for s in samples)
    neighbours = json.loads((tmp_path / "neighbours.json").read_text())
    assert list(neighbours) == [task.vocabulary.words[11]]  # rank 10: 12 words hold no rank 20
    weight = learner.model_.embedding.weight.detach().numpy()
    unit = weight / np.linalg.norm(weight, axis=1, keepdims=True)
    index = task.vocabulary.index()
    for word, near in neighbours.items():
        assert len(near) == 5 and word not in [w for w, _ in near]
        cosines = [c for _, c in near]
        assert cosines == sorted(cosines, reverse=True)
        for other, cosine in near:
            assert cosine == pytest.approx(unit[index[word]] @ unit[index[other]], abs=1e-4)
    activity = Activity.load(tmp_path / "activity_gates.npz")
    sentence = task.sentences("test", 1)[0]
    assert activity.meta["words"] == task.vocabulary.decode(sentence)
    assert {"input", "hidden", "input_gate", "forget_gate", "output_gate", "cell"} <= set(
        activity.signals
    )
    np.testing.assert_array_equal(activity.signals["input"].values[:, 0], sentence)
    assert activity.signals["forget_gate"].values.shape == (len(sentence), 16)
    assert (tmp_path / "test_log_probs.npz").exists()


def test_a_batch_too_wide_for_the_train_stream_is_refused_by_name():
    learner = RNNLMLearner(**{**TINY, "batch_size": 10_000})
    with pytest.raises(ParameterError, match="field 'batch_size'"):
        learner.fit(random_task(), Budget(epochs=1), Recorder())


def test_unknown_probe_words_are_refused_before_training():
    learner = RNNLMLearner(**TINY, probe_words=["w1", "nosuchword"])
    with pytest.raises(ParameterError, match="probe_words.*nosuchword"):
        learner.fit(random_task(), Budget(epochs=1), Recorder())
