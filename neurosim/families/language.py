"""The language family: models that give every next word a probability.

Every language model is scored here, from the log-probability it assigns to each token of a
split's stream, so an n-gram counted in numpy and an LSTM trained in torch are held to one
definition of perplexity on exactly the same tokens (`<eos>` and `<unk>` included).
"""

from __future__ import annotations

import math
import time
from abc import abstractmethod
from typing import ClassVar

import numpy as np

from neurosim.learner import Learner, Recorder
from neurosim.metrics import METRICS, Metric
from neurosim.tasks.language import LanguageTask

METRICS.declare(
    Metric(
        "perplexity",
        "exp of the mean cross-entropy per token, <eos> and <unk> included",
        "",
        higher_is_better=False,
        headline=True,
        decimals=2,
    ),
    Metric(
        "cross_entropy",
        "mean negative log-probability of a token, in nats",
        "",
        higher_is_better=False,
        decimals=4,
    ),
    Metric(
        "train_tokens_per_s",
        "training tokens processed per second of fit (counting every epoch)",
        "",
        higher_is_better=True,
        decimals=0,
    ),
    Metric(
        "score_tokens_per_s",
        "tokens scored per second when the split is evaluated",
        "",
        higher_is_better=True,
        decimals=0,
    ),
)


def perplexity(log_probs: np.ndarray) -> float:
    """exp of the mean negative log-probability (natural logs) of the tokens."""
    return math.exp(-float(np.mean(log_probs)))


class LanguageLearner(Learner):
    """A Learner for LanguageTasks: implement `fit` (setting `train_tokens_per_s_`) and
    `token_log_probs`.

    `record` keeps the test split's per-token log-probabilities, from which the report draws
    perplexity against the position in the sentence.
    """

    task_family: ClassVar[type] = LanguageTask
    metrics: ClassVar[tuple[str, ...]] = (
        "perplexity",
        "cross_entropy",
        "train_tokens_per_s",
        "score_tokens_per_s",
    )
    artifacts: ClassVar[tuple[str, ...]] = ("arrays",)

    train_tokens_per_s_: float = math.nan

    @abstractmethod
    def token_log_probs(self, task: LanguageTask, tokens: np.ndarray) -> np.ndarray:
        """ln p(token_t | tokens before t) for every token of a stream (n,), the stream taken to
        start after an `<eos>`; each probability is over the whole vocabulary."""

    def evaluate(self, task: LanguageTask, split: str) -> dict[str, float]:
        tokens = task.split(split)
        start = time.perf_counter()
        log_probs = np.asarray(self.token_log_probs(task, tokens), dtype=np.float64)
        seconds = time.perf_counter() - start
        if log_probs.shape != tokens.shape:
            raise RuntimeError(
                f"{self.name}: {log_probs.shape} log-probabilities for {tokens.shape} tokens"
            )
        self.scored_ = {**getattr(self, "scored_", {}), split: log_probs}
        cross_entropy = -float(np.mean(log_probs))
        return {
            "perplexity": math.exp(cross_entropy),
            "cross_entropy": cross_entropy,
            "train_tokens_per_s": float(self.train_tokens_per_s_),
            "score_tokens_per_s": len(tokens) / max(seconds, 1e-9),
        }

    def record(self, task: LanguageTask, recorder: Recorder) -> None:
        if recorder.enabled:
            scored = getattr(self, "scored_", {})
            log_probs = scored.get("test")
            if log_probs is None:
                log_probs = self.token_log_probs(task, task.split("test"))
            recorder.arrays("test_log_probs", log_probs=log_probs.astype(np.float32))
