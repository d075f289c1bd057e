"""A small convolutional classifier for images handed over flattened, as every task stores them."""

from __future__ import annotations

from torch import nn


def build_cnn(
    image_shape: tuple[int, int],
    n_classes: int,
    channels: list[int],
    kernel: int,
    hidden: int,
    dropout: float,
) -> nn.Sequential:
    """(conv k x k, 'same' padding -> ReLU -> 2x2 max-pool) per entry of `channels`, then a
    hidden ReLU layer and the logits. Input: (batch, height * width) or (batch, 1, h, w)."""
    height, width = image_shape
    layers: list[nn.Module] = [Unflatten(image_shape)]
    in_channels = 1
    for out_channels in channels:
        layers += [
            nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2),
            nn.ReLU(),
            nn.MaxPool2d(2),
        ]
        in_channels, height, width = out_channels, height // 2, width // 2
    layers += [nn.Flatten(), nn.Linear(in_channels * height * width, hidden), nn.ReLU()]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, n_classes))
    return nn.Sequential(*layers)


class Unflatten(nn.Module):
    """Flat rows back to one-channel images; images already shaped pass through."""

    def __init__(self, image_shape: tuple[int, int]):
        super().__init__()
        self.image_shape = tuple(image_shape)

    def forward(self, x):
        return x if x.dim() == 4 else x.reshape(len(x), 1, *self.image_shape)
