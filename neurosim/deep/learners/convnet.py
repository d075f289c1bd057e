"""`cnn` and `stn`: a small convolutional net, and the same net behind a spatial transformer.

Both train on the shared Trainer with the same optimizer, budget and early stopping as `mlp`, and
draw a task's re-drawn distortions every epoch (`task.train_epoch`), so the only difference
between them is the transformer (Jaderberg et al. 2015's ST-CNN against its CNN). `stn` records
what its transformer did: the warped probe images beside the inputs, and the transformation it
predicted for every test image beside the one the task applied.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import torch
from torch import nn

from neurosim.analysis.invariance import similarity_of, transformer_scores
from neurosim.deep.cost import classifier_cost
from neurosim.deep.models.convnet import build_cnn
from neurosim.deep.models.mlp import build_mlp
from neurosim.deep.models.spatial_transformer import (
    SpatialTransformer,
    STClassifier,
    TransformName,
)
from neurosim.deep.objectives import logits, to_tensors
from neurosim.deep.optimizers import OptimizerName
from neurosim.deep.representations import layer_responses, named_layers
from neurosim.deep.trainer import Trainer, training_checks
from neurosim.errors import ParameterError
from neurosim.families.classification import Classifier
from neurosim.learner import Budget, History, Recorder
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.base import ClassificationTask
from neurosim.tasks.transformed_digits import principal_axis_deg

N_PROBE_IMAGES = 16


@dataclasses.dataclass
class ConvNetParams:
    """The classifier and its training; `stn` adds the transformer in front of it."""

    channels: list[int] = dataclasses.field(default_factory=lambda: [16, 32])
    kernel: int = 5
    hidden: int = 128
    dropout: float = 0.0
    optimizer: OptimizerName = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 64
    patience: int | None = 20
    device: str = "auto"

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                ("channels", all(c >= 1 for c in self.channels), "needs channel counts >= 1"),
                ("kernel", self.kernel >= 1 and self.kernel % 2 == 1, "must be odd and >= 1"),
                ("hidden", self.hidden >= 1, "must be >= 1"),
                ("dropout", 0 <= self.dropout < 1, "must be in [0, 1)"),
                *training_checks(self),
            ],
        )


@dataclasses.dataclass
class STNParams(ConvNetParams):
    """`transform`: what the localisation network may do (affine: all six numbers; similarity:
    angle, scale and shift; rotation: one angle; attention: scale and shift).
    `classifier = "mlp"` is Jaderberg's ST-FCN."""

    transform: TransformName = "affine"
    classifier: Literal["cnn", "mlp"] = "cnn"


class ImageClassifier(Classifier):
    """What `cnn` and `stn` share: the Trainer, prediction and a check that inputs are images."""

    Params = ConvNetParams
    budget_fields = frozenset({"epochs", "samples", "wall_time_s"})
    artifacts = ("predictions", "activity")
    default_epochs = 60

    def build(self, task: ClassificationTask) -> nn.Module:
        raise NotImplementedError

    def fit(self, task: ClassificationTask, budget: Budget, recorder: Recorder) -> History:
        if task.image_shape is None:
            raise ParameterError(f"learner '{self.name}' needs a task of images, not '{task.name}'")
        p = self.params
        trainer = Trainer.from_params(p, self.default_epochs)
        result = trainer.fit(
            lambda: self.build(task),
            task.train_epoch,
            task.split("val") if "val" in task.splits else None,
            budget,
            task.seed,
        )
        self.model_, self.device_ = result.model, result.device
        self.history_, self.best_epoch_ = result.history, result.best_epoch
        return self.history_

    def predict(self, task: ClassificationTask, split: str) -> np.ndarray:
        x, _ = to_tensors(task.split(split), self.device_)
        return logits(self.model_, x).argmax(dim=1).cpu().numpy()

    def cost(self, task: ClassificationTask) -> dict:
        """MACs of the trained network (stn: transformer, sampler and classifier) counted by
        torch."""
        train, batch = task.split("train"), self.params.batch_size
        return classifier_cost(self.model_, train, batch, self.device_)

    def representations(self, task: ClassificationTask, x: np.ndarray) -> dict[str, np.ndarray]:
        """Each conv block's feature maps after pooling (`conv1`, ...) flattened, the hidden
        layer and the logits (`output`); for `stn`, those of the classifier behind the
        transformer."""
        body = self.model_.classifier if isinstance(self.model_, STClassifier) else self.model_
        return layer_responses(self.model_, named_layers(body), x, self.device_)

    def classifier(self, task: ClassificationTask) -> nn.Module:
        p = self.params
        return build_cnn(
            task.image_shape, task.n_classes, p.channels, p.kernel, p.hidden, p.dropout
        )


@LEARNERS.register("cnn")
class CNNLearner(ImageClassifier):
    """(conv -> ReLU -> pool) x len(channels), a hidden layer, the logits."""

    name = "cnn"

    def build(self, task: ClassificationTask) -> nn.Module:
        return self.classifier(task)


@LEARNERS.register("stn")
class STNLearner(ImageClassifier):
    """A spatial transformer in front of `cnn`'s classifier (or an MLP's), trained end to end."""

    name = "stn"
    Params = STNParams
    metrics = ("accuracy", "rotation_r", "scale_r", "centre_sd_ratio", "axis_sd_ratio")
    artifacts = ("predictions", "arrays", "activity")

    def build(self, task: ClassificationTask) -> nn.Module:
        p = self.params
        if p.classifier == "mlp":
            mlp = build_mlp(task.n_features, [p.hidden], task.n_classes, "relu", p.dropout)
            classifier: nn.Module = nn.Sequential(nn.Flatten(), mlp)
        else:
            classifier = self.classifier(task)
        return STClassifier(SpatialTransformer(task.image_shape, p.transform), classifier)

    def transform(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The warped images (n, h, w) and the predicted [A | b] (n, 2, 3) for inputs x."""
        self.model_.eval()
        with torch.inference_mode():
            tensor = torch.as_tensor(x, dtype=torch.float32, device=self.device_)
            warped, theta = self.model_.transform(tensor)
        return warped[:, 0].cpu().numpy(), theta.cpu().numpy()

    def evaluate(self, task: ClassificationTask, split: str) -> dict[str, float]:
        """Accuracy, and how well the transformer's maps follow the task's distortions."""
        data = task.split(split)
        warped, theta = self.transform(data.x)
        inputs = data.x.reshape(len(data.x), *task.image_shape)
        scores = {"accuracy": float(np.mean(self.predict(task, split) == data.y))}
        return scores | transformer_scores(inputs, warped, theta, task.sample_info(split))

    def record(self, task: ClassificationTask, recorder: Recorder) -> None:
        super().record(task, recorder)
        if not recorder.enabled:
            return
        probe = task.probe_set(N_PROBE_IMAGES)
        warped, theta = self.transform(probe.x)
        recorder.arrays(
            "stn_probe",
            inputs=probe.x.reshape(len(probe.x), *task.image_shape),
            outputs=warped,
            labels=probe.y,
            theta=theta,
        )
        test = task.split("test")
        warped, theta = self.transform(test.x)
        inputs = test.x.reshape(len(test.x), *task.image_shape)
        centre_in, axis_in = principal_axis_deg(inputs)
        centre_out, axis_out = principal_axis_deg(warped)
        rotation, scale = similarity_of(theta)
        recorder.arrays(
            "stn_test",
            theta=theta,
            predicted_rotation_deg=rotation,
            predicted_scale=scale,
            centre_in=centre_in,
            centre_out=centre_out,
            axis_in=axis_in,
            axis_out=axis_out,
            **{f"applied_{key}": value for key, value in task.sample_info("test").items()},
        )
