"""Wilson et al. 2017's linearly separable problem, where adaptive methods generalise badly.

"The marginal value of adaptive gradient methods in machine learning" (section 3.3) builds a
binary least-squares problem with more features than samples. Labels are y = ±1, positive with
probability p > 1/2. Sample i has x_1 = y_i, x_2 = x_3 = 1, and features of its own, never shared
with another sample: one for a positive (column 4 + 5(i-1)) and five for a negative (columns
4 + 5(i-1) ... 8 + 5(i-1)); everything else is 0. Test samples get their own unique features too,
so a linear model sees only x_1, x_2, x_3 of a test point.

Why it separates the optimizers: gradient descent from w = 0 stays in the row space of X and
converges to the minimum-norm interpolant, which leans on x_1 = y and labels every test point
right. AdaGrad, RMSprop and Adam from w = 0 move along sign(X^T y) (here X sign(X^T y) = 4y, so
that ray interpolates), giving x_1, x_2, x_3 equal weight: w.x = τ(y + 2) > 0 for every test point,
which is then labelled with the majority class, and the test error is the minority fraction 1 - p.

Two choices of this module: labels are 0/1 (label 1 is y = +1) so the classification report and
accuracy work unchanged; and each split holds exactly round(p n) positives, in random order (the
paper draws each label with probability p; a fixed count keeps positives the majority in every
draw, which the argument needs, and makes the adaptive methods' test error exactly 1 - that
fraction). Inputs are not in [0, 1]: x_1 is -1 for a negative, as the construction needs.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from neurosim.params import build_params, check_fields
from neurosim.registry import TASKS
from neurosim.tasks.base import ClassificationTask, Split

SHARED = 3  # x_1 = y, x_2 = x_3 = 1
BLOCK = 5  # columns reserved per sample: a positive uses 1, a negative all 5
NEGATIVE_FEATURES = 5

REFERENCES = {
    "Wilson et al. 2017, section 3.3: test error of gradient descent (minimum-norm solution)": "0",
    "Wilson et al. 2017, section 3.3: test error of AdaGrad, RMSprop, Adam": (
        "the minority fraction 1 - p (about 1/2 for p near 1/2)"
    ),
}


@dataclasses.dataclass
class WilsonParams:
    """Split sizes and the fraction p of positive labels (the majority)."""

    n_train: int = 100
    n_test: int = 100
    p: float = 0.55

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                ("n_train", self.n_train >= 2, "must be >= 2"),
                ("n_test", self.n_test >= 2, "must be >= 2"),
                ("p", 0.5 < self.p < 1, "must be in (0.5, 1)"),
                (
                    "n_train",
                    n_positive(self.n_train, self.p) > self.n_train / 2,
                    "is too small for p: round(p n_train) positives must be a strict majority",
                ),
            ],
        )


def n_positive(n: int, p: float) -> int:
    return int(round(p * n))


def features(y: np.ndarray, first_block: int, n_blocks: int) -> np.ndarray:
    """Rows of Wilson et al.'s construction for labels y = ±1; sample k owns block first_block + k
    of the `n_blocks` blocks of unique columns."""
    x = np.zeros((len(y), SHARED + BLOCK * n_blocks))
    x[:, 0] = y
    x[:, 1:SHARED] = 1.0
    for k, label in enumerate(y):
        start = SHARED + BLOCK * (first_block + k)
        x[k, start : start + (1 if label > 0 else NEGATIVE_FEATURES)] = 1.0
    return x


def signed_labels(n: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """round(p n) labels +1 and the rest -1, in random order."""
    y = -np.ones(n)
    y[: n_positive(n, p)] = 1.0
    return rng.permutation(y)


@TASKS.register("wilson-separable")
def make_wilson(seed: int, **params: object) -> ClassificationTask:
    """Wilson et al. 2017's separable problem: train and test samples with disjoint unique
    features; label 1 is y = +1 (the majority)."""
    p = build_params(WilsonParams, params, owner="task 'wilson-separable'")
    rng = np.random.default_rng(seed)
    n_blocks = p.n_train + p.n_test
    y_train = signed_labels(p.n_train, p.p, rng)
    y_test = signed_labels(p.n_test, p.p, rng)
    splits = {
        "train": Split(features(y_train, 0, n_blocks), (y_train > 0).astype(np.int64)),
        "test": Split(features(y_test, p.n_train, n_blocks), (y_test > 0).astype(np.int64)),
    }
    return ClassificationTask(
        name="wilson-separable",
        seed=seed,
        splits=splits,
        n_classes=2,
        image_shape=None,
        references=REFERENCES,
        params=dataclasses.asdict(p),
    )
