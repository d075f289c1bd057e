"""How fast do the language models learn? Training and scoring tokens per second of `rnnlm`
(lstm, fused path) and the fitting time of the Kneser-Ney `ngram`, at the experiment's sizes.

The stream is synthetic (Zipf-distributed words in sentences of 5-25): speed depends on the
sizes, not on what the words say. The lstm is the medium-small setting of the language
experiment: embedding = hidden = 200, 2 layers, bptt 35, batch 20, tied weights, sgd; each
vocabulary size trains for `--seconds` of wall time (no val split: nothing but training is
timed), then scores a 20k-token stream. Device `auto`: a GPU when one is present; on the CPU
one thread unless NEUROSIM_TORCH_THREADS says more.

    .venv/bin/python benchmarks/lm_speed.py [--seconds 10] [--vocab 1000 10000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from neurosim.baselines.ngram import NGramLearner
from neurosim.deep.device import resolve_device, use_torch_threads
from neurosim.deep.learners.rnnlm import RNNLMLearner
from neurosim.learner import Budget, Recorder
from neurosim.tasks.language import EOS_ID, LanguageTask, Vocabulary

CORPUS_TOKENS = {1000: 200_000, 10_000: 600_000}  # the experiment's two corpora, roughly
SCORE_TOKENS = 20_000
LSTM = {"cell": "lstm", "embedding": 200, "hidden": 200, "layers": 2, "bptt": 35, "batch_size": 20}


def zipf_task(vocab: int, n_train: int, seed: int = 0) -> LanguageTask:
    """Train and test streams of Zipf(1)-distributed word ids with an `<eos>` every 5-25 words."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, vocab - 1)
    words = Vocabulary(("<unk>", "<eos>", *(f"w{i}" for i in range(vocab - 2))))

    def stream(n: int) -> np.ndarray:
        tokens = rng.choice(np.arange(2, vocab), size=n, p=weights / weights.sum())
        ends = np.cumsum(rng.integers(5, 26, size=n // 5))
        tokens[ends[ends < n]] = EOS_ID
        return tokens

    splits = {"train": stream(n_train), "test": stream(SCORE_TOKENS)}
    return LanguageTask(name=f"zipf-{vocab}", seed=seed, splits=splits, vocabulary=words)


def lstm_speed(task: LanguageTask, seconds: float) -> tuple[float, float]:
    """(training tokens/s, scoring tokens/s) of the lstm at the experiment's sizes."""
    learner = RNNLMLearner(**LSTM)
    learner.fit(task, Budget(wall_time_s=seconds), Recorder())
    return learner.train_tokens_per_s_, learner.evaluate(task, "test")["score_tokens_per_s"]


def ngram_fit_seconds(task: LanguageTask, order: int) -> tuple[float, float]:
    """(seconds of counting, seconds of the whole fit, which also scores the train stream)."""
    learner = NGramLearner(order=order)
    start = time.perf_counter()
    learner.fit(task, Budget(), Recorder())
    return len(task.split("train")) / learner.train_tokens_per_s_, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="lstm training time per size")
    parser.add_argument("--vocab", type=int, nargs="+", default=sorted(CORPUS_TOKENS))
    args = parser.parse_args()
    use_torch_threads()  # one thread unless NEUROSIM_TORCH_THREADS says otherwise
    print(f"device: {resolve_device('auto')}, torch CPU threads: {torch.get_num_threads()}")
    for vocab in args.vocab:
        corpus = CORPUS_TOKENS.get(vocab, 200_000)
        task = zipf_task(vocab, corpus)
        train, score = lstm_speed(task, args.seconds)
        epoch_s = corpus / train
        print(
            f"vocab {vocab:>6}: lstm 2x200 train {train:8.0f} tokens/s, score {score:8.0f}"
            f" tokens/s; one epoch of {corpus} tokens {epoch_s:6.1f} s"
            f" ({240 / epoch_s:.1f} epochs in 4 minutes)"
        )
        for order in (3, 5):
            counting, fit = ngram_fit_seconds(task, order)
            print(
                f"              KN-{order} on {corpus} tokens: counting {counting:.2f} s,"
                f" fit with train scoring {fit:.2f} s"
            )


if __name__ == "__main__":
    main()
