"""The digits for the generalization lab: randomised training labels, augmentation, train scored.

`digits-lab` has the `digits` splits (same fields, same stratified split for a seed) and the
knobs the lab turns:

- `train_size`: a stratified subset of the training split of this size, the val and test splits
  untouched (a reduced training set where overfitting shows, scored on the full test split;
  `subset` would shrink the test split with it).

- `label_noise` (Zhang et al. 2017): a fixed random subset of round(label_noise x n_train)
  training images, drawn from the task's seed, gets labels drawn uniformly from all 10 classes.
  A drawn label may equal the true one (about 1 in 10 do), so at `label_noise = 1` about 90 %
  of the training labels are wrong, exactly Zhang et al.'s "random labels". Val and test labels
  stay true: test accuracy says what was learned about digits, train accuracy what was memorised.
- `augment_shift_px`, `augment_rotation_deg`: every epoch (`train_epoch`, called by the Trainer)
  each training image is shifted by a whole number of pixels in [-k, k] on each axis and rotated
  about its centre by an angle uniform in [-deg, deg], seeded by seed and epoch. Val and test
  images (and the stored training split, which "train" is scored on) are never augmented.
- "train" is among the evaluation splits, so every run stores train accuracy beside val and test
  and the generalization gap (train - test accuracy) can be read from any run's metrics.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from sklearn.model_selection import train_test_split

from neurosim.errors import ParameterError
from neurosim.params import build_params, check_fields
from neurosim.tasks.base import ClassificationTask, Split, register_variants
from neurosim.tasks.digits import REFERENCES, digits_for
from neurosim.tasks.transformed_digits import affine_sample, rotation

SIDE = 8  # the 8x8 digits
PIXEL = 2.0 / SIDE  # one pixel in normalised image units (the image spans [-1, 1])
_NOISE_STREAM = 7_001  # seeds the label-noise draw apart from the splits' and augmentation's
_AUGMENT_STREAM = 7_002

LAB_REFERENCES = {
    **REFERENCES,
    "Zhang et al. 2017: random labels": "train accuracy 100 %, test accuracy at chance",
}


@dataclasses.dataclass
class DigitsLabParams:
    """The `digits` split fields plus the lab's knobs (see the module docstring)."""

    train_size: int | None = None  # a stratified subset of the training split of this size
    label_noise: float = 0.0  # fraction of training images whose label is redrawn at random
    augment_shift_px: int = 0  # each axis shifted by an integer in [-k, k] pixels per epoch
    augment_rotation_deg: float = 0.0  # rotated by an angle uniform in [-deg, deg] per epoch
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    split_seed: int | None = None
    subset: int | None = None

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                (
                    "train_size",
                    self.train_size is None or self.train_size >= 20,
                    "must be at least 20 images (two per class)",
                ),
                ("label_noise", 0.0 <= self.label_noise <= 1.0, "must be in [0, 1]"),
                ("augment_shift_px", 0 <= self.augment_shift_px <= 3, "must be 0 to 3 pixels"),
                (
                    "augment_rotation_deg",
                    0.0 <= self.augment_rotation_deg <= 45.0,
                    "must be in [0, 45] degrees",
                ),
            ],
        )

    @property
    def augments(self) -> bool:
        return self.augment_shift_px > 0 or self.augment_rotation_deg > 0


@dataclasses.dataclass(frozen=True)
class DigitsLabTask(ClassificationTask):
    """Digits with (possibly) randomised training labels, augmented per epoch, train scored."""

    randomised: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    true_train_y: np.ndarray | None = None  # the training labels before randomisation

    @property
    def evaluation_splits(self) -> tuple[str, ...]:
        return tuple(name for name in ("train", "val", "test") if name in self.splits)

    def train_epoch(self, epoch: int) -> Split:
        """The training split, its images re-augmented for every epoch (seed and epoch fix the
        draw), or the stored split when augmentation is off."""
        train = self.split("train")
        p = DigitsLabParams(**self.params)
        if not p.augments:
            return train
        rng = np.random.default_rng([self.seed, _AUGMENT_STREAM, epoch])
        n = len(train)
        shifts = rng.integers(-p.augment_shift_px, p.augment_shift_px + 1, (n, 2))
        angles = rng.uniform(-p.augment_rotation_deg, p.augment_rotation_deg, n)
        images = augment(train.x.reshape(n, SIDE, SIDE), shifts, angles)
        return Split(images.reshape(n, -1), train.y)


def augment(images: np.ndarray, shifts_px: np.ndarray, angles_deg: np.ndarray) -> np.ndarray:
    """Each image rotated by its angle about the centre (counter-clockwise on screen), then moved
    by its (x, y) shift in pixels (x right, y down); bilinear, zero outside, clipped to [0, 1].

    The content lands at p = R q + t, so output point p reads the source at R^-1 (p - t).
    """
    inverse = rotation(-np.asarray(angles_deg, dtype=np.float64))  # R(θ)^-1 = R(-θ)
    shift = np.asarray(shifts_px, dtype=np.float64) * PIXEL
    offsets = -np.einsum("nij,nj->ni", inverse, shift)
    out = affine_sample(images, inverse, offsets, images.shape[1:])
    return np.clip(out, 0.0, 1.0)


def randomise_labels(
    y: np.ndarray, fraction: float, n_classes: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(labels, chosen): a random subset of round(fraction * n) indices gets labels uniform over
    all classes (which may equal the true label); the other labels are kept."""
    chosen = np.sort(rng.choice(len(y), size=round(fraction * len(y)), replace=False))
    noisy = y.copy()
    noisy[chosen] = rng.integers(0, n_classes, len(chosen))
    return noisy, chosen


def reduced(train: Split, size: int | None, name: str, seed: int) -> Split:
    """A stratified subset of `size` training images (all of them when None)."""
    if size is None:
        return train
    if size > len(train):
        raise ParameterError(
            f"task '{name}': field 'train_size' must be at most the {len(train)} training "
            f"images, got {size}"
        )
    if size == len(train):
        return train
    keep, _ = train_test_split(
        np.arange(len(train)), train_size=size, stratify=train.y, random_state=seed
    )
    keep = np.sort(keep)
    return Split(train.x[keep], train.y[keep])


def make_digits_lab(
    name: str, seed: int, defaults: dict[str, object], params: dict[str, object]
) -> DigitsLabTask:
    """The `digits` splits, reduced, with randomised training labels and augmentation as asked."""
    p = build_params(DigitsLabParams, {**defaults, **params}, owner=f"task '{name}'")
    base = digits_for(name, seed, p)
    train = reduced(base.splits["train"], p.train_size, name, seed)
    rng = np.random.default_rng([seed, _NOISE_STREAM])
    noisy, chosen = randomise_labels(train.y, p.label_noise, base.n_classes, rng)
    return DigitsLabTask(
        name=name,
        seed=seed,
        splits={**base.splits, "train": Split(train.x, noisy)},
        n_classes=base.n_classes,
        image_shape=base.image_shape,
        references=LAB_REFERENCES,
        params=dataclasses.asdict(p),
        randomised=chosen,
        true_train_y=train.y,
    )


# One spec lists a task once, and a task sweep crosses every learner on it, so the lab's settings
# are names: capacity on the full digits, memorisation without a val split (every non-test image
# is trained on; label_noise swept), regularisers on a reduced training set with 20 % of its labels
# randomised (measured: on 300 clean images an unregularised mlp already reaches 94 % and no
# regulariser beat it by more than the seeds' sd; with noisy labels it memorises the noise and
# they do), and the same set augmented (same seed, same images and labels: augmentation pairs
# with the other regularisers by seed).
SMALL = {"train_size": 300, "label_noise": 0.2}
VARIANTS: dict[str, dict[str, object]] = {
    "digits-lab": {},
    "digits-lab-memorise": {"val_fraction": 0.0},
    "digits-lab-small": SMALL,
    "digits-lab-augment": {**SMALL, "augment_shift_px": 1, "augment_rotation_deg": 5.0},
}


register_variants(VARIANTS, make_digits_lab)
