"""The Task record: what every learner, spiking or deep, is handed."""

from __future__ import annotations

import dataclasses

import numpy as np

from neurosim.errors import UserError


@dataclasses.dataclass(frozen=True)
class Split:
    """One data split: inputs (n, features) in [0, 1] and integer labels (n,)."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


@dataclasses.dataclass(frozen=True)
class Task:
    """A classification problem with fixed splits, its metric and published reference numbers."""

    name: str
    seed: int
    splits: dict[str, Split]
    n_classes: int
    image_shape: tuple[int, int] | None
    metric: str = "accuracy"
    references: dict[str, str] = dataclasses.field(default_factory=dict)
    params: dict[str, object] = dataclasses.field(default_factory=dict)

    kind = "classification"

    @property
    def evaluation_splits(self) -> tuple[str, ...]:
        """Splits scored after fit; "train" is the learner's own business."""
        return tuple(name for name in ("val", "test") if name in self.splits)

    @property
    def n_features(self) -> int:
        return self.splits["train"].x.shape[1]

    def split(self, name: str) -> Split:
        if name not in self.splits:
            raise UserError(
                f"task '{self.name}' has no split '{name}'; splits: {', '.join(self.splits)}"
            )
        return self.splits[name]
