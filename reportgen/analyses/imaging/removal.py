"""Deletion and insertion curves of image maps (RISE, Petsiuk et al. 2018; CHECKS.md §4.3).

Pixels (all channels of one location together) are taken in the order of the map, most relevant
first, ``pixels_per_step`` per step. Deletion starts from the image and replaces them by a
substrate; insertion starts from a substrate and puts the image's pixels back. Each point is the
explained output (the softmax probability of the target class, as in RISE, or its logit). A
faithful map makes deletion fall fast (a small area) and insertion rise fast (a large one), so
both are compared with random pixel orders of the same images. All curves of all images go
through the model ``batch_size`` rows at a time, many images per pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

from reportgen._lazy import require
from reportgen.analyses.checks.metrics import curve_auc
from reportgen.analyses.imaging._batching import (
    Array,
    Output,
    as_targets,
    check_batch_size,
    check_images,
    chunks,
    metered,
    model_device,
    selected,
    to_numpy,
)
from reportgen.errors import MapError

if TYPE_CHECKING:
    from torch import Tensor, nn

    from reportgen.inputs.models import Meter

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class RemovalCurves:
    """Deletion and insertion curves, ``S + 1`` points each (step 0 to all pixels moved).

    Attributes:
        deletion, insertion: (N, S + 1) in the map's order.
        random_deletion, random_insertion: (N, R, S + 1) in R random orders per image.
    """

    deletion: Array
    insertion: Array
    random_deletion: Array
    random_insertion: Array

    @property
    def deletion_auc(self) -> Floats:
        """(N,) trapezoid area on [0, 1] of the map's deletion curve; lower is better."""
        return curve_auc(self.deletion)

    @property
    def insertion_auc(self) -> Floats:
        """(N,) area of the map's insertion curve; higher is better."""
        return curve_auc(self.insertion)

    @property
    def random_deletion_auc(self) -> Floats:
        """(N,) mean area of the random orders' deletion curves, the control."""
        return np.asarray(curve_auc(self.random_deletion).mean(axis=1))

    @property
    def random_insertion_auc(self) -> Floats:
        """(N,) mean area of the random orders' insertion curves, the control."""
        return np.asarray(curve_auc(self.random_insertion).mean(axis=1))


def removal_curves(
    model: nn.Module,
    images: Tensor,
    maps: npt.ArrayLike,
    *,
    targets: npt.ArrayLike,
    rng: np.random.Generator,
    pixels_per_step: int,
    random_orders: int = 5,
    deletion_substrate: Tensor | None = None,
    insertion_substrate: Tensor | None = None,
    output: Output = "probability",
    batch_size: int = 256,
    meter: Meter | None = None,
) -> RemovalCurves:
    """Deletion and insertion curves of each image under its map and under random orders.

    Args:
        maps: (N, H, W), one per image; equal values are taken in raster order.
        rng: draws the ``random_orders`` random pixel orders of each image.
        pixels_per_step: pixels moved per step; RISE uses H (224 for 224 x 224 images), giving
            ``S = ceil(H * W / pixels_per_step)`` steps.
        deletion_substrate: what a deleted pixel becomes: (C, H, W) or one per image
            (N, C, H, W). Defaults to zeros (the dataset mean in normalised space, RISE's
            choice); :func:`noisy_blur` gives a substrate less out of distribution.
        insertion_substrate: where insertion starts. Defaults to ``blur(images)``, RISE's.
        output: "probability" (softmax of the target class) or "logit".
        meter: counts each pass through the model, when given.

    Returns:
        The curves. Model rows: ``2 * N * (R + 1) * (S + 1)``, under ``torch.inference_mode``;
        memory for the orders: ``4 * N * (R + 1) * H * W`` bytes.
    """
    torch = require("torch")
    check_images(images)
    check_batch_size(batch_size)
    n, _, height, width = images.shape
    labels = as_targets(targets, n)
    if pixels_per_step < 1 or random_orders < 1:
        raise MapError(
            "pixels_per_step and random_orders must be at least 1, got "
            f"{pixels_per_step} and {random_orders}"
        )
    where = images.device
    positions = torch.from_numpy(_positions(maps, images.shape, rng, random_orders)).to(where)
    removed_at = torch.from_numpy(_counts(height * width, pixels_per_step)).to(where)
    deleted = _substrate(deletion_substrate, images, torch.zeros_like(images[:1]))
    inserted = _substrate(insertion_substrate, images, None)
    orders, points = positions.shape[1], len(removed_at)
    out = torch.empty(n * orders * points * 2, dtype=images.dtype)
    device = model_device(model)
    with torch.inference_mode():
        for start, stop in chunks(len(out), batch_size):
            k = torch.arange(start, stop, device=where)
            i, m = k // (orders * points * 2), k // (points * 2) % orders
            s, insert = k // 2 % points, (k % 2).bool().view(-1, 1, 1, 1)
            gone = (positions[i, m] < removed_at[s, None]).view(-1, 1, height, width)
            x, d, b = images[i], deleted[i % len(deleted)], inserted[i % len(inserted)]
            rows = torch.where(insert, torch.where(gone, x, b), torch.where(gone, d, x))
            with metered(meter, stop - start):
                logits = model(rows.to(device))
            out[start:stop] = selected(logits, labels[i], output).cpu()
    curves = to_numpy(out).reshape(n, orders, points, 2)
    return RemovalCurves(
        deletion=curves[:, 0, :, 0],
        insertion=curves[:, 0, :, 1],
        random_deletion=curves[:, 1:, :, 0],
        random_insertion=curves[:, 1:, :, 1],
    )


def blur(images: Tensor, *, sigma: float = 5.0, truncate: float = 1.0) -> Tensor:
    """Each image blurred with a Gaussian of ``sigma`` pixels (``scipy.ndimage.gaussian_filter``).

    The defaults reproduce RISE's insertion substrate, an 11-pixel kernel of sigma 5 (radius
    ``truncate * sigma``); borders repeat the edge pixels (RISE pads with zeros). Channels and
    images are not mixed.
    """
    torch = require("torch")
    check_images(images)
    ndimage = require("scipy.ndimage")
    array = to_numpy(images)
    smooth = ndimage.gaussian_filter(array, (0, 0, sigma, sigma), truncate=truncate, mode="nearest")
    return cast("Tensor", torch.from_numpy(np.asarray(smooth, dtype=array.dtype)).to(images))


def noisy_blur(
    images: Tensor,
    *,
    rng: np.random.Generator,
    noise_std: float,
    sigma: float = 5.0,
    truncate: float = 1.0,
) -> Tensor:
    """A deletion substrate nearer the data: ``blur(images)`` plus ``N(0, noise_std^2)`` noise.

    Deleting to a flat colour makes images the model never saw, so the output can fall for that
    reason alone; ROAD (Rong et al. 2022) imputes instead. Blur plus noise is a cheap imputation.
    """
    torch = require("torch")
    smooth = blur(images, sigma=sigma, truncate=truncate)
    noise = rng.normal(0.0, noise_std, size=tuple(images.shape)).astype(to_numpy(smooth).dtype)
    return cast("Tensor", smooth + torch.from_numpy(noise).to(smooth))


def _positions(
    maps: npt.ArrayLike, shape: tuple[int, ...], rng: np.random.Generator, random_orders: int
) -> npt.NDArray[np.int32]:
    """Where each pixel comes in each order, (N, R + 1, H * W): the map's order, then R random."""
    n, _, height, width = shape
    e = np.asarray(maps, dtype=np.float64)
    if e.shape != (n, height, width) or not np.isfinite(e).all():
        raise MapError(f"maps must be finite, of shape {(n, height, width)}; got {e.shape}")
    ranked = np.argsort(-e.reshape(n, 1, -1), axis=-1, kind="stable")
    shuffled = rng.random((n, random_orders, height * width)).argsort(axis=-1)
    orders = np.concatenate([ranked, shuffled], axis=1)
    positions = np.empty(orders.shape, dtype=np.int32)
    np.put_along_axis(positions, orders, np.arange(height * width, dtype=np.int32), axis=-1)
    return positions


def _counts(pixels: int, per_step: int) -> npt.NDArray[np.int64]:
    """Pixels moved after each step 0..S."""
    steps = -(-pixels // per_step)
    return np.minimum(np.arange(steps + 1) * per_step, pixels)


def _substrate(given: Tensor | None, images: Tensor, default: Tensor | None) -> Tensor:
    """A substrate as (1, C, H, W) or (N, C, H, W) in the images' dtype."""
    if given is None:
        return default if default is not None else blur(images)
    try:
        if given.ndim == 4 and len(given) in (1, len(images)):
            return given.to(images).expand(len(given), *images.shape[1:])
        return given.to(images).expand_as(images[0]).unsqueeze(0)
    except (RuntimeError, AttributeError) as exc:
        raise MapError(
            f"a substrate must broadcast to one image {tuple(images.shape[1:])} or be one per "
            f"image {tuple(images.shape)}, got {getattr(given, 'shape', type(given))}"
        ) from exc
