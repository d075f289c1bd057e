"""The spatial transformer (Jaderberg et al. 2015): a module that learns to undo a distortion.

Its three parts, each a few lines below:

1. the **localisation network** (`LocalisationNet`) looks at the input and regresses the
   parameters of a transformation (6 for a general affine map, fewer for restricted ones);
2. the **grid generator** (`F.affine_grid`) turns them into a sampling grid: output point p reads
   the input at A p + b, in coordinates normalised to [-1, 1];
3. the **sampler** (`F.grid_sample`, bilinear, zero outside) reads the input there.

All three are differentiable, so the classifier behind them trains the localisation network by
backprop alone: nobody tells it what the distortion was. `align_corners=False` everywhere, as in
`neurosim.tasks.transformed_digits`, whose images are drawn with the same geometry.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from neurosim.deep.models.convnet import Unflatten

TransformName = Literal["affine", "similarity", "rotation", "attention"]
# How many numbers the localisation network regresses for each kind of transformation.
N_PARAMETERS: dict[str, int] = {"affine": 6, "similarity": 4, "rotation": 1, "attention": 3}
IDENTITY: dict[str, list[float]] = {
    "affine": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],  # rows of [A | b]
    "similarity": [0.0, 0.0, 0.0, 0.0],  # angle (radians), log scale, shift x, shift y
    "rotation": [0.0],  # the angle, in radians
    "attention": [0.0, 0.0, 0.0],  # log scale, shift x, shift y
}


class LocalisationNet(nn.Module):
    """conv 7x7 (8) -> pool -> ReLU -> conv 5x5 (10) -> pool -> ReLU -> 32 -> parameters, the
    PyTorch tutorial's shape; the last layer starts at zero weights and the identity's bias, so
    training starts from the undistorted input."""

    def __init__(self, image_shape: tuple[int, int], transform: TransformName):
        super().__init__()
        height, width = image_shape
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 7),
            nn.MaxPool2d(2),
            nn.ReLU(),
            nn.Conv2d(8, 10, 5),
            nn.MaxPool2d(2),
            nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            size = self.features(torch.zeros(1, 1, height, width)).shape[1]
        self.head = nn.Sequential(
            nn.Linear(size, 32), nn.ReLU(), nn.Linear(32, N_PARAMETERS[transform])
        )
        last = self.head[-1]
        nn.init.zeros_(last.weight)
        with torch.no_grad():
            last.bias.copy_(torch.tensor(IDENTITY[transform]))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def theta_from_parameters(parameters: torch.Tensor, transform: TransformName) -> torch.Tensor:
    """(batch, 2, 3) matrices [A | b] from the localisation network's outputs.

    rotation: A = R(angle) (counter-clockwise on screen, y down), b = 0; similarity (the family
    the tasks draw from): A = exp(log_scale) R(angle), b = (x, y); attention (Jaderberg's
    restricted crop): A = exp(log_scale) I, b = (x, y); affine: the six numbers as they are.
    """
    if transform == "affine":
        return parameters.view(-1, 2, 3)
    zero = torch.zeros_like(parameters[:, 0])
    if transform in ("rotation", "similarity"):
        scale = torch.exp(parameters[:, 1]) if transform == "similarity" else 1.0
        cos = scale * torch.cos(parameters[:, 0])
        sin = scale * torch.sin(parameters[:, 0])
        tx, ty = (parameters[:, 2], parameters[:, 3]) if transform == "similarity" else (zero, zero)
        rows = [cos, sin, tx, -sin, cos, ty]
    else:
        scale = torch.exp(parameters[:, 0])
        rows = [scale, zero, parameters[:, 1], zero, scale, parameters[:, 2]]
    return torch.stack(rows, dim=1).view(-1, 2, 3)


def warp(images: torch.Tensor, theta: torch.Tensor, out_shape: tuple[int, int]) -> torch.Tensor:
    """The grid generator and the sampler: output point p reads images at theta @ [p, 1]."""
    grid = F.affine_grid(theta, [len(images), images.shape[1], *out_shape], align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


class SpatialTransformer(nn.Module):
    """Localisation network + grid generator + sampler; returns the warped images and theta."""

    def __init__(self, image_shape: tuple[int, int], transform: TransformName = "affine"):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.transform = transform
        self.localisation = LocalisationNet(self.image_shape, transform)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        theta = theta_from_parameters(self.localisation(images), self.transform)
        return warp(images, theta, self.image_shape), theta


class STClassifier(nn.Module):
    """A spatial transformer in front of any classifier of images: ST-CNN or ST-MLP (ST-FCN)."""

    def __init__(self, transformer: SpatialTransformer, classifier: nn.Module):
        super().__init__()
        self.unflatten = Unflatten(transformer.image_shape)
        self.transformer = transformer
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        warped, _ = self.transformer(self.unflatten(x))
        return self.classifier(warped)

    def transform(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """What the classifier sees, (batch, 1, h, w), and the theta that made it."""
        return self.transformer(self.unflatten(x))
