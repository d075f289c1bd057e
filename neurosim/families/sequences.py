"""The sequences family: learners that read a sequence step by step and answer from memory.

Every sequence learner is scored by its task (`SequenceTask.score`) from the raw outputs it
produces, so an LSTM trained by backprop through time and a spiking reservoir with a linear
readout land in one table, each loss also read as a fraction of the memoryless baseline.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import numpy as np

from neurosim.families.representations import REPRESENTATION_PROBE_SIZE, record_representations
from neurosim.learner import Learner, Recorder
from neurosim.metrics import METRICS, Metric
from neurosim.tasks.sequences import SequenceTask

METRICS.declare(
    Metric(
        "loss",
        "the task's loss: cross-entropy in nats (copy, seq-digits) or mean squared error (adding)",
        "",
        higher_is_better=False,
        headline=True,
    ),
    Metric(
        "loss_ratio",
        "loss as a fraction of the task's memoryless baseline (1: nothing remembered)",
        "",
        higher_is_better=False,
        headline=True,
        decimals=3,
    ),
)

N_PROBE_SEQUENCES = 4


class SequenceLearner(Learner):
    """A Learner for SequenceTasks: implement `fit` and `outputs`.

    Declares `accuracy` too (from the classification family): labels right for class targets
    (the recall steps for copy), sequences within 0.04 of the sum for adding.
    """

    task_family: ClassVar[type] = SequenceTask
    metrics: ClassVar[tuple[str, ...]] = ("loss", "loss_ratio", "accuracy")
    artifacts: ClassVar[tuple[str, ...]] = ("arrays",)

    @abstractmethod
    def outputs(self, task: SequenceTask, x: np.ndarray) -> np.ndarray:
        """Raw outputs for sequences x (n, steps, n_inputs): logits (n, classes) or
        (n, steps, classes) for class targets, values (n,) for value targets."""

    def evaluate(self, task: SequenceTask, split: str) -> dict[str, float]:
        data = task.split(split)
        return task.score(self.outputs(task, data.x), data.y)

    def representations(self, task: SequenceTask, x: np.ndarray) -> dict[str, np.ndarray]:
        """What each layer holds after reading sequences `x`: layer name -> (len(x), units).

        Default: nothing. Only asked for tasks with one class label per sequence (seq-digits),
        where sequences group into classes as images do.
        """
        return {}

    def record(self, task: SequenceTask, recorder: Recorder) -> None:
        """The first probe sequences with their targets and this learner's outputs, and the
        layers' states on the probe set where each sequence has one class."""
        if not recorder.enabled:
            return
        probe = task.probe_set(N_PROBE_SEQUENCES)
        recorder.arrays("probe_outputs", x=probe.x, y=probe.y, outputs=self.outputs(task, probe.x))
        if not task.per_step and task.n_outputs > 1:
            probe = task.probe_set(REPRESENTATION_PROBE_SIZE)
            record_representations(recorder, probe, self.representations(task, probe.x))
