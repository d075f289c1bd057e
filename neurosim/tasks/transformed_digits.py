"""The 8x8 digits rotated, scaled and shifted on a larger canvas: the invariance tasks.

After Jaderberg et al. (2015, Table 1), who distorted MNIST to test spatial transformers:
`digits-r` rotates by up to ±90°, `digits-rts` rotates by up to ±45°, scales by 0.7-1.2 and
shifts across the canvas, `digits-t` only shifts. The ranges are task parameters, so a sweep can
ask for accuracy against the maximum angle. Every image keeps the transformation it was drawn
with (`sample_info`), so a report can bin accuracy by angle and set a spatial transformer's
predicted transformation against the true one.

Geometry is that of torch's `affine_grid`/`grid_sample` with `align_corners=False`, written here
in numpy so tasks stay free of torch: coordinates are normalised to [-1, 1] across each image
(x to the right, y down), and a transformation (A, b) fills output point p with the source's
value at A p + b, bilinearly interpolated, zero outside. A digit drawn with rotation θ
(counter-clockwise on screen), scale s and shift t sits at p = s R(θ) q + t, where q is its
upright, centred position; a spatial transformer that undoes it therefore predicts A = s R(θ),
b = t. Validation and test images are drawn once from the task's seed; training images are
re-drawn every epoch (`redraw_train`) from the same training digits, seeded by seed and epoch.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from neurosim.errors import ParameterError
from neurosim.params import build_params
from neurosim.tasks.base import ClassificationTask, Split, register_variants
from neurosim.tasks.digits import digits_for

SOURCE_SIDE = 8  # the 8x8 digits

REFERENCES = {
    "Jaderberg et al. 2015, Table 1, MNIST error R / RTS (unconfirmed): CNN": "1.2 / 0.8 %",
    "Jaderberg et al. 2015, Table 1, MNIST error R / RTS (unconfirmed): ST-CNN affine": (
        "0.7 / 0.5 %"
    ),
    "Jaderberg et al. 2015, Table 1, MNIST error R / RTS (unconfirmed): FCN / ST-FCN affine": (
        "2.1 / 5.2 %, 1.2 / 0.8 %"
    ),
    "8x8 digits on a canvas": "no published figures: this project's runs set the baseline",
}


def rotation(angle_deg: np.ndarray) -> np.ndarray:
    """R(θ) for each angle, (n, 2, 2): counter-clockwise on screen, where y points down."""
    a = np.deg2rad(np.asarray(angle_deg, dtype=np.float64))
    cos, sin = np.cos(a), np.sin(a)
    return np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)


def affine_sample(
    images: np.ndarray, matrices: np.ndarray, offsets: np.ndarray, out_shape: tuple[int, int]
) -> np.ndarray:
    """Output point p of image i takes images[i] at matrices[i] @ p + offsets[i], bilinearly.

    Coordinates are normalised per image (`align_corners=False`: pixel j of n is centred at
    (2j + 1) / n - 1) and values outside the source are zero: exactly `F.grid_sample` of
    `F.affine_grid([A | b])`, so a test can hold the two against each other.
    """
    images = np.asarray(images, dtype=np.float64)
    n, height, width = images.shape
    out_h, out_w = out_shape
    ys = (2 * np.arange(out_h) + 1) / out_h - 1
    xs = (2 * np.arange(out_w) + 1) / out_w - 1
    grid = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)  # (points, [x, y])
    source = np.einsum("nij,pj->npi", matrices, grid) + offsets[:, None, :]
    col = ((source[..., 0] + 1) * width - 1) / 2  # pixel coordinates in the source
    row = ((source[..., 1] + 1) * height - 1) / 2
    col0, row0 = np.floor(col).astype(np.int64), np.floor(row).astype(np.int64)
    wc, wr = col - col0, row - row0
    flat = images.reshape(n, -1)
    out = np.zeros(source.shape[:2])
    for dr, dc, weight in (
        (0, 0, (1 - wr) * (1 - wc)),
        (0, 1, (1 - wr) * wc),
        (1, 0, wr * (1 - wc)),
        (1, 1, wr * wc),
    ):
        r, c = row0 + dr, col0 + dc
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
        index = np.where(inside, r * width + c, 0)
        out += np.where(inside, np.take_along_axis(flat, index, axis=1), 0.0) * weight
    return out.reshape(n, out_h, out_w)


@dataclasses.dataclass(frozen=True)
class Transforms:
    """The transformation each image was drawn with: p = scale R(rotation) q + shift."""

    rotation_deg: np.ndarray  # (n,)
    scale: np.ndarray  # (n,)
    shift: np.ndarray  # (n, 2): x, y in normalised canvas units (the canvas spans 2)

    def matrices(self) -> np.ndarray:
        return self.scale[:, None, None] * rotation(self.rotation_deg)

    def info(self) -> dict[str, np.ndarray]:
        return {
            "rotation_deg": self.rotation_deg,
            "scale": self.scale,
            "shift_x": self.shift[:, 0],
            "shift_y": self.shift[:, 1],
        }


@dataclasses.dataclass
class TransformedDigitsParams:
    """Canvas and distortion ranges; angles and scales are drawn uniformly in their ranges.

    `max_shift` is in normalised canvas units (the canvas spans [-1, 1]; 0.5 moves a digit by a
    quarter of the canvas). The split fields are those of `digits`.
    """

    canvas: int = 32
    digit_size: int = 16  # the upright digit's side on the canvas, in pixels
    max_rotation_deg: float = 0.0
    min_scale: float = 1.0
    max_scale: float = 1.0
    max_shift: float = 0.0
    redraw_train: bool = True  # new training distortions every epoch (seed and epoch fix them)
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    split_seed: int | None = None
    subset: int | None = None

    def validate(self, owner: str) -> None:
        checks = [
            ("canvas", 8 <= self.canvas <= 128, "must be between 8 and 128 pixels"),
            ("digit_size", 4 <= self.digit_size <= self.canvas, "must be in [4, canvas]"),
            ("max_rotation_deg", 0 <= self.max_rotation_deg <= 180, "must be in [0, 180]"),
            ("min_scale", 0 < self.min_scale <= self.max_scale, "must be in (0, max_scale]"),
            ("max_scale", self.max_scale <= 4, "must be <= 4"),
            ("max_shift", 0 <= self.max_shift <= 1, "must be in [0, 1]"),
        ]
        for field, ok, what in checks:
            if not ok:
                value = getattr(self, field)
                raise ParameterError(f"{owner}: field '{field}' {what}, got {value}")


@dataclasses.dataclass(frozen=True)
class TransformedDigitsTask(ClassificationTask):
    """Digits on a canvas, each image with its transformation; training draws per epoch."""

    transforms: dict[str, Transforms] = dataclasses.field(default_factory=dict)
    train_digits: np.ndarray | None = None  # (n, 8, 8): what each epoch re-draws from

    def sample_info(self, split: str) -> dict[str, np.ndarray]:
        return self.transforms[split].info() if split in self.transforms else {}

    def train_epoch(self, epoch: int) -> Split:
        """Epoch 1 is the stored training split; later epochs re-draw its distortions."""
        train = self.split("train")
        if epoch <= 1 or not self.params["redraw_train"] or self.train_digits is None:
            return train
        p = TransformedDigitsParams(**self.params)
        rng = np.random.default_rng([self.seed, 1000 + epoch])
        x, _ = render(self.train_digits, draw_transforms(p, len(train), rng), p)
        return Split(x, train.y)


def draw_transforms(p: TransformedDigitsParams, n: int, rng: np.random.Generator) -> Transforms:
    angle = rng.uniform(-p.max_rotation_deg, p.max_rotation_deg, n)
    scale = rng.uniform(p.min_scale, p.max_scale, n)
    shift = rng.uniform(-p.max_shift, p.max_shift, (n, 2))
    return Transforms(angle, scale, shift)


def render(
    digits: np.ndarray, transforms: Transforms, p: TransformedDigitsParams
) -> tuple[np.ndarray, Transforms]:
    """Canvas images (n, canvas²) in [0, 1], sampled straight from the 8x8 digits (one
    interpolation): canvas point p shows the digit at (sR)^-1 (p - t) / f, f the digit's share
    of the canvas."""
    fraction = p.digit_size / p.canvas
    inverse = np.linalg.inv(transforms.matrices()) / fraction
    offsets = -np.einsum("nij,nj->ni", inverse, transforms.shift)
    images = affine_sample(digits, inverse, offsets, (p.canvas, p.canvas))
    return np.clip(images, 0.0, 1.0).reshape(len(digits), -1), transforms


def make_transformed_digits(
    name: str, seed: int, defaults: dict[str, object], params: dict[str, object]
) -> TransformedDigitsTask:
    """The digits' own stratified splits, each digit drawn once onto the canvas."""
    p = build_params(TransformedDigitsParams, {**defaults, **params}, owner=f"task '{name}'")
    base = digits_for(name, seed, p)
    splits, transforms = {}, {}
    for index, (split, data) in enumerate(base.splits.items()):
        digits = data.x.reshape(-1, SOURCE_SIDE, SOURCE_SIDE)
        rng = np.random.default_rng([seed, index])
        x, transforms[split] = render(digits, draw_transforms(p, len(digits), rng), p)
        splits[split] = Split(x, data.y)
    return TransformedDigitsTask(
        name=name,
        seed=seed,
        splits=splits,
        n_classes=10,
        image_shape=(p.canvas, p.canvas),
        references=REFERENCES,
        params=dataclasses.asdict(p),
        transforms=transforms,
        train_digits=base.splits["train"].x.reshape(-1, SOURCE_SIDE, SOURCE_SIDE),
    )


# Jaderberg et al. 2015's variants, scaled to a 32x32 canvas holding a 16x16 digit.
VARIANTS: dict[str, dict[str, object]] = {
    "digits-r": {"max_rotation_deg": 90.0},
    "digits-rts": {"max_rotation_deg": 45.0, "min_scale": 0.7, "max_scale": 1.2, "max_shift": 0.3},
    "digits-t": {"max_shift": 0.5},
}


register_variants(VARIANTS, make_transformed_digits)


def principal_axis_deg(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each image's centre of mass (x, y in normalised units) and the angle of its principal
    axis in degrees, in (-90, 90]: how upright and centred a set of digits is."""
    n, height, width = images.shape
    ys = (2 * np.arange(height) + 1) / height - 1
    xs = (2 * np.arange(width) + 1) / width - 1
    mass = images.sum(axis=(1, 2)) + 1e-12
    cx = np.einsum("nhw,w->n", images, xs) / mass
    cy = np.einsum("nhw,h->n", images, ys) / mass
    dx = xs[None, None, :] - cx[:, None, None]
    dy = ys[None, :, None] - cy[:, None, None]
    sxx = (images * dx**2).sum(axis=(1, 2)) / mass
    syy = (images * dy**2).sum(axis=(1, 2)) / mass
    sxy = (images * dx * dy).sum(axis=(1, 2)) / mass
    # Angle of the major axis measured counter-clockwise on screen (y down, hence the minus).
    angle = np.rad2deg(0.5 * np.arctan2(-2 * sxy, sxx - syy))
    return np.stack([cx, cy], -1), angle


def circular_sd_deg(angles_deg: np.ndarray, period: float = 180.0) -> float:
    """Circular standard deviation of axis angles (axes repeat every 180°), in degrees."""
    phase = np.deg2rad(np.asarray(angles_deg)) * (2 * math.pi / np.deg2rad(period))
    length = np.abs(np.mean(np.exp(1j * phase)))
    return float(np.rad2deg(np.sqrt(-2 * np.log(max(length, 1e-12)))) * period / 360.0)
