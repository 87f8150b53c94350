"""Small image classifiers whose saliency maps are known, and images to go with them."""

from __future__ import annotations

import torch
from torch import nn


def brightness_cnn(dtype: torch.dtype = torch.float32) -> nn.Sequential:
    """Two fixed 3x3 filters, ReLU, 2x2 max-pool, global mean, a fixed linear head.

    Channel 0 is the local mean brightness, channel 1 is ``0.5 - local mean`` (darkness).
    Class 1 ("bright") has logit ``mean(A0) - mean(A1)``, class 0 ("dark") the opposite, so
    Grad-CAM of class 1 at the pool is ``ReLU(A0 - A1)``: bright where the image is bright.
    """
    conv = nn.Conv2d(1, 2, 3, padding=1)
    head = nn.Linear(2, 2)
    with torch.no_grad():
        conv.weight.copy_(
            torch.stack([torch.full((1, 3, 3), 1 / 9), torch.full((1, 3, 3), -1 / 9)])
        )
        conv.bias.copy_(torch.tensor([0.0, 0.5]))
        head.weight.copy_(torch.tensor([[-1.0, 1.0], [1.0, -1.0]]))
        head.bias.zero_()
    model = nn.Sequential(
        conv, nn.ReLU(), nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), head
    )
    return model.to(dtype).eval()


def small_cnn(
    channels: int = 3, classes: int = 3, seed: int = 0, smooth: bool = False
) -> nn.Sequential:
    """A randomly initialised CNN with a strided conv, for equivalence tests.

    ``smooth`` puts a Softplus where the ReLU is, so the logit is smooth along any path.
    """
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(channels, 4, 3, padding=1),
        nn.Softplus() if smooth else nn.ReLU(),
        nn.Conv2d(4, 6, 3, stride=2),
        nn.Tanh(),
        nn.Conv2d(6, 5, 3, padding=1),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(20, classes),
    ).eval()


def region_sum_model(region: torch.Tensor, dtype: torch.dtype = torch.float32) -> nn.Module:
    """Logit 1 = sum of the pixels (all channels) inside the boolean (H, W) ``region``; logit 0 = 0."""

    class RegionSum(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("region", region.to(dtype))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            inside = (x * self.region).sum(dim=(1, 2, 3))
            return torch.stack([torch.zeros_like(inside), inside], dim=1)

    return RegionSum().eval()


def quadrant_images(quadrants: list[int], size: int = 16, seed: int = 0) -> torch.Tensor:
    """Images (N, 1, size, size) of value 1 in one quadrant (0 TL, 1 TR, 2 BL, 3 BR), 0 elsewhere,
    plus uniform noise in [0, 0.05)."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(len(quadrants), 1, size, size, generator=generator) * 0.05
    half = size // 2
    for i, q in enumerate(quadrants):
        r, c = divmod(q, 2)
        images[i, 0, r * half : (r + 1) * half, c * half : (c + 1) * half] += 1.0
    return images


def quadrant_mask(q: int, size: int = 16) -> torch.Tensor:
    mask = torch.zeros(size, size, dtype=torch.bool)
    half = size // 2
    r, c = divmod(q, 2)
    mask[r * half : (r + 1) * half, c * half : (c + 1) * half] = True
    return mask


def stripes_cnn() -> nn.Sequential:
    """Like :func:`brightness_cnn`, but its two filters detect vertical and horizontal stripes.

    Class 1 ("vertical") has logit ``mean(A0) - mean(A1)``. What it learned is a selective
    pattern, not brightness, so random filters do not find the same regions by accident.
    """
    conv = nn.Conv2d(1, 2, 3, padding=1)
    head = nn.Linear(2, 2)
    vertical = torch.tensor([[-1.0, 1.0, -1.0]] * 3)
    with torch.no_grad():
        conv.weight.copy_(torch.stack([vertical, vertical.T])[:, None] / 9)
        conv.bias.fill_(-0.5)
        head.weight.copy_(torch.tensor([[-1.0, 1.0], [1.0, -1.0]]))
        head.bias.zero_()
    model = nn.Sequential(
        conv, nn.ReLU(), nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), head
    )
    return model.eval()


def stripe_images(quadrants: list[int], size: int = 16, seed: int = 0) -> torch.Tensor:
    """Images (N, 1, size, size) of random +-1 pixels, with vertical +-1 stripes in one quadrant."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 2, (len(quadrants), 1, size, size), generator=generator) * 2.0 - 1
    half = size // 2
    stripes = ((torch.arange(half) % 2) * 2.0 - 1).expand(half, half)
    for i, q in enumerate(quadrants):
        r, c = divmod(q, 2)
        images[i, 0, r * half : (r + 1) * half, c * half : (c + 1) * half] = stripes
    return images
