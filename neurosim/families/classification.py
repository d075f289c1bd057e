"""The classification family: learners that map inputs to one of `n_classes` labels.

Every classifier is scored the same way (accuracy of `predict` on val and test), and records its
test predictions, so the report can draw confusion matrices for a spiking circuit and an MLP alike.
Classifiers that expose their layers (`representations`) also record what those layers did on
the shared probe set, so RDMs and CKA can compare a spiking circuit's code with an MLP's.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import numpy as np

from neurosim.families.representations import REPRESENTATION_PROBE_SIZE, record_representations
from neurosim.learner import Learner, Recorder
from neurosim.metrics import METRICS, Metric
from neurosim.tasks.base import ClassificationTask

METRICS.declare(
    Metric("accuracy", "fraction of labels predicted right", "%", True, True),
    Metric(
        "probe_accuracy",
        "accuracy of a linear readout trained on the learned representation",
        "%",
        True,
        True,
    ),
    Metric("spikes_per_image", "excitatory spikes per presented image", "", None, True),
)


class Classifier(Learner):
    """A Learner for ClassificationTasks: implement `fit` and `predict`."""

    task_family: ClassVar[type] = ClassificationTask
    metrics: ClassVar[tuple[str, ...]] = ("accuracy",)
    representation_unit: ClassVar[str] = "1"  # unit of what `representations` returns

    @abstractmethod
    def predict(self, task: ClassificationTask, split: str) -> np.ndarray:
        """Predicted labels for one split."""

    def evaluate(self, task: ClassificationTask, split: str) -> dict[str, float]:
        """Accuracy of `predict`; learners with several readouts extend this."""
        y = task.split(split).y
        return {"accuracy": float(np.mean(self.predict(task, split) == y))}

    def representations(self, task: ClassificationTask, x: np.ndarray) -> dict[str, np.ndarray]:
        """What each layer does on inputs `x`: layer name -> (len(x), units), input side first.

        Default: nothing (the learner exposes no layers, and records no representations).
        """
        return {}

    def record(self, task: ClassificationTask, recorder: Recorder) -> None:
        """Test predictions, for confusion matrices, with the task's per-sample facts, and the
        layers' responses to the probe set."""
        if not recorder.enabled or "test" not in task.splits:
            return
        y_pred = self.predict(task, "test")
        recorder.predictions("test", task.split("test").y, y_pred, **task.sample_info("test"))
        probe = task.probe_set(REPRESENTATION_PROBE_SIZE)
        layers = self.representations(task, probe.x)
        record_representations(recorder, probe, layers, self.representation_unit)
