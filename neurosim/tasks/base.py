"""Task families: what every learner, spiking or deep, is handed.

A task family is a type. A learner declares the family it learns (`Learner.task_family`), and
the spec loader checks `isinstance(task, learner.task_family)`, so a new family (sequences,
language) adds a subclass here or in its own module and nothing else branches on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from neurosim.errors import UserError
from neurosim.registry import TASKS


@dataclasses.dataclass(frozen=True)
class ProbeSet:
    """The stimuli every learner that records activity is shown, under one name.

    Spiking and deep learners record on the same probe set, so their representations can be
    compared stimulus by stimulus.
    """

    name: str
    x: np.ndarray  # (n, features) inputs, or observations for control tasks
    y: np.ndarray | None  # labels where the task has them
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.x)


class Task:
    """The part of a task every family shares: a name, a seed, its parameters and references.

    Subclasses are frozen dataclasses providing these fields, `evaluation_splits` (what the
    runner scores after `fit`) and `probe_set`.
    """

    family: ClassVar[str]  # how people name the family, e.g. "classification"
    name: str
    seed: int
    params: dict[str, object]
    references: dict[str, str]

    @property
    def evaluation_splits(self) -> tuple[str, ...]:
        raise NotImplementedError

    def probe_set(self, n: int = 10) -> ProbeSet:
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class Split:
    """One data split: inputs and targets, first axis the samples.

    Classification: inputs (n, features) in [0, 1] and integer labels (n,). Sequences: inputs
    (n, steps, n_inputs) and labels (n,) or (n, steps), or real values (n,).
    """

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


class SplitTask(Task):
    """A task with fixed data splits: one by name, and the first test samples as probe set."""

    splits: dict[str, Split]

    def split(self, name: str) -> Split:
        if name not in self.splits:
            raise UserError(
                f"task '{self.name}' has no split '{name}'; splits: {', '.join(self.splits)}"
            )
        return self.splits[name]

    def first_test_samples(self, n: int, meta: dict[str, Any]) -> ProbeSet:
        """The first `n` test samples: fixed by the task's seed, never trained on."""
        test = self.split("test")
        n = min(n, len(test))
        return ProbeSet(name=f"test[:{n}]", x=test.x[:n], y=test.y[:n], meta=meta)


@dataclasses.dataclass(frozen=True)
class ClassificationTask(SplitTask):
    """A classification problem with fixed splits, its metric and published reference numbers."""

    family: ClassVar[str] = "classification"
    name: str
    seed: int
    splits: dict[str, Split]
    n_classes: int
    image_shape: tuple[int, int] | None
    metric: str = "accuracy"
    references: dict[str, str] = dataclasses.field(default_factory=dict)
    params: dict[str, object] = dataclasses.field(default_factory=dict)

    @property
    def evaluation_splits(self) -> tuple[str, ...]:
        """Splits scored after fit; "train" is the learner's own business."""
        return tuple(name for name in ("val", "test") if name in self.splits)

    @property
    def n_features(self) -> int:
        return self.splits["train"].x.shape[1]

    def train_epoch(self, epoch: int) -> Split:
        """The training data of one epoch (from 1): the fixed training split, unless the task
        re-draws it (distortions, augmentation) for epoch-wise learners."""
        return self.split("train")

    def sample_info(self, split: str) -> dict[str, np.ndarray]:
        """Per-sample facts beside the labels (e.g. each image's rotation), stored with the
        predictions so a report can break accuracy down by them; none by default."""
        return {}

    def probe_set(self, n: int = 10) -> ProbeSet:
        """The first `n` test samples; `meta` holds the image shape."""
        return self.first_test_samples(
            n, {"image_shape": list(self.image_shape) if self.image_shape else None}
        )


VariantBuilder = Callable[[str, int, dict[str, object], dict[str, object]], Task]


def register_variants(variants: dict[str, dict[str, object]], build: VariantBuilder) -> None:
    """Register one task per variant name: `build(name, seed, variant defaults, spec params)`.

    Variants of one task type differ only in their defaults (digits-r vs digits-t), so a spec
    names them like any task and can still override every field.
    """
    for name, defaults in variants.items():
        TASKS.register(name)(_variant_factory(name, defaults, build))


def _variant_factory(
    name: str, defaults: dict[str, object], build: VariantBuilder
) -> Callable[..., Task]:
    def make(seed: int, **params: object) -> Task:
        return build(name, seed, defaults, params)

    make.__doc__ = f"{name}: the task's defaults changed to {defaults or 'none'}."
    return make
