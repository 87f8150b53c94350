"""Stability of image maps under small input noise (CHECKS.md §2.4, applied to maps).

Grad-CAM, integrated gradients and occlusion are deterministic, so reruns agree by construction
and only input noise is worth testing. The scores are the checks' own (top-k feature agreement
and Spearman rank correlation, :mod:`reportgen.analyses.checks.metrics`) on maps flattened to
``H * W`` pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from reportgen._lazy import require
from reportgen.analyses.checks.metrics import (
    chance_feature_agreement,
    feature_agreement,
    signed_spearman,
)
from reportgen.analyses.imaging._batching import check_images
from reportgen.analyses.imaging.sanity import MapFunction
from reportgen.errors import MapError

if TYPE_CHECKING:
    from torch import Tensor, nn

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class MapStability:
    """Per-image agreement, each (N,), of a map with the maps of noisy copies, mean over draws.

    Attributes:
        top_k: ``|T_k(e) ∩ T_k(e')| / k``, the top-k pixels by ``|e|`` (ties to the lower index).
        spearman: Spearman rho of the signed values (0 where a map is flat).
        chance_top_k: ``k / (H * W)``, what unrelated maps score on average.
    """

    top_k: Floats
    spearman: Floats
    chance_top_k: float


def noise_stability(
    map_fn: MapFunction,
    model: nn.Module,
    images: Tensor,
    *,
    targets: npt.ArrayLike,
    noise_std: float,
    draws: int,
    k: int,
    seed: int,
) -> MapStability:
    """Agreement of each image's map with the maps of ``x + N(0, noise_std^2)`` (CHECKS.md §2.4).

    The noise is drawn from ``numpy.random.default_rng(seed)``; ``map_fn`` is called twice, on
    the N images and on all ``draws * N`` noisy copies. Noise small enough not to change the
    prediction should leave a trustworthy map's top-k pixels in place.
    """
    torch = require("torch")
    check_images(images)
    if draws < 1 or noise_std < 0:
        raise MapError(f"need draws >= 1 and noise_std >= 0, got {draws} and {noise_std}")
    n, pixels = len(images), images.shape[2] * images.shape[3]
    labels = np.asarray(targets, dtype=np.int64).reshape(n)
    noise = np.random.default_rng(seed).normal(0.0, noise_std, size=(draws, *images.shape))
    noisy = (images[None] + torch.from_numpy(noise).to(images)).reshape(-1, *images.shape[1:])
    base = _flat(map_fn(model, images, labels), n, pixels)
    other = _flat(map_fn(model, noisy, np.tile(labels, draws)), draws * n, pixels)
    repeated = np.tile(base, (draws, 1))
    return MapStability(
        top_k=_mean_over_draws(feature_agreement(repeated, other, k), draws, n),
        spearman=_mean_over_draws(signed_spearman(repeated, other), draws, n),
        chance_top_k=chance_feature_agreement(k, pixels),
    )


def _flat(maps: npt.ArrayLike, n: int, pixels: int) -> Floats:
    array = np.asarray(maps, dtype=np.float64)
    if array.ndim != 3 or len(array) != n or array[0].size != pixels:
        raise MapError(f"the map function returned {array.shape}, not (N, H, W) for N = {n}")
    return array.reshape(n, pixels)


def _mean_over_draws(values: npt.ArrayLike, draws: int, n: int) -> Floats:
    return np.asarray(np.asarray(values, dtype=np.float64).reshape(draws, n).mean(axis=0))
