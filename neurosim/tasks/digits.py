"""scikit-learn's 8x8 handwritten digits (1797 images, 10 classes), shipped with the package.

Small enough that a spiking network sees every image in about a minute, which makes it the
workhorse for plasticity-vs-backprop comparisons on this hardware.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from neurosim.params import build_params
from neurosim.registry import TASKS
from neurosim.tasks.base import ClassificationTask, Split

REFERENCES = {
    "logistic regression (80/20 split, measured here)": "96.7 %",
    "MLP 64-100-10, Adam 1e-3, 100 epochs (5 seeds, measured here)": "97.2 ± 0.2 %",
    "STDP-WTA N=100, 1 epoch (Diehl & Cook 2015 recipe): vote / probe": "81-82 % / 87 %",
    "STDP-WTA N=400, 1 epoch: label vote / linear probe": "85.3 % / 91.4 %",
    "Krotov & Hopfield 2019, N=100, 200 epochs: WTA vote / probe": "91.9 % / 96.9 %",
    "k-means prototypes with label vote, 100 / 400 (prototype-learner ceiling)": "96.1 / 98.3 %",
}


@dataclasses.dataclass
class DigitsParams:
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    split_seed: int | None = None  # None: the run's seed decides the split
    subset: int | None = None  # a stratified subset of this many images (quick looks, tests)

    def validate(self, owner: str) -> None:
        from neurosim.errors import ParameterError

        if not (0 < self.test_fraction < 0.5 and 0 <= self.val_fraction < 0.5):
            raise ParameterError(
                f"{owner}: test_fraction must be in (0, 0.5) and val_fraction in [0, 0.5)"
            )
        if self.subset is not None and not 50 <= self.subset <= 1797:
            raise ParameterError(f"{owner}: field 'subset' must be between 50 and 1797")


SPLIT_FIELDS = tuple(field.name for field in dataclasses.fields(DigitsParams))


@TASKS.register("digits")
def make_digits(seed: int, **params: object) -> ClassificationTask:
    """Stratified train/val/test splits of the 8x8 digits, pixels scaled to [0, 1]."""
    return build_digits(seed, build_params(DigitsParams, params, owner="task 'digits'"))


def digits_for(task: str, seed: int, params: object) -> ClassificationTask:
    """The `digits` splits for a task built on them (`params` has the SPLIT_FIELDS), checked
    under that task's name so a bad value is reported where the user wrote it."""
    split = {field: getattr(params, field) for field in SPLIT_FIELDS}
    return build_digits(seed, build_params(DigitsParams, split, owner=f"task '{task}'"))


def build_digits(seed: int, p: DigitsParams) -> ClassificationTask:
    """The splits `p` asks for, from checked parameters."""
    split_seed = seed if p.split_seed is None else p.split_seed
    data = load_digits()
    x = (data.data / 16.0).astype(np.float64)
    y = data.target.astype(np.int64)
    if p.subset is not None and p.subset < len(y):
        x, _, y, _ = train_test_split(
            x, y, train_size=p.subset, stratify=y, random_state=split_seed
        )
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=p.test_fraction, stratify=y, random_state=split_seed
    )
    splits = {"test": Split(x_test, y_test)}
    if p.val_fraction > 0:
        x_train, x_val, y_train, y_val = train_test_split(
            x_rest,
            y_rest,
            test_size=p.val_fraction / (1 - p.test_fraction),
            stratify=y_rest,
            random_state=split_seed,
        )
        splits["val"] = Split(x_val, y_val)
    else:
        x_train, y_train = x_rest, y_rest
    splits = {"train": Split(x_train, y_train), **splits}
    return ClassificationTask(
        name="digits",
        seed=seed,
        splits=splits,
        n_classes=10,
        image_shape=(8, 8),
        references=REFERENCES,
        params=dataclasses.asdict(p),
    )
