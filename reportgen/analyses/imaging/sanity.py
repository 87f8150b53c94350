"""Model-randomisation sanity test of image maps (Adebayo et al. 2018; CHECKS.md §4.6).

A map that stays the same when the model's weights are replaced by random ones does not explain
what the model learned. The weights are randomised cascading from the top layer down; after each
layer, the maps are compared with the originals by Spearman rank correlation (signed and of
absolute values) and SSIM. Optionally both sides are smoothed over noisy copies of the images
(smooth MPRT, Hedström et al. 2023), which damps gradient noise that would make any two maps
look different.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from reportgen._lazy import require
from reportgen.analyses.checks.metrics import rank_correlation, signed_spearman
from reportgen.analyses.imaging._batching import Array, check_images
from reportgen.errors import MapError

if TYPE_CHECKING:
    from torch import Tensor, nn

Floats = npt.NDArray[np.float64]
MapFunction = Callable[["nn.Module", "Tensor", npt.NDArray[np.int64]], npt.ArrayLike]
"""``(model, images, targets) -> maps (N, H, W)``. It must look its layers up in the model it
is given (e.g. ``model.get_submodule("features.3")``), since the randomised model is a copy."""


def cascading_randomisation(
    model: nn.Module,
    *,
    seed: int,
    copy_model: Callable[[nn.Module], nn.Module] = copy.deepcopy,
) -> Iterator[tuple[str, nn.Module]]:
    """Randomise a copy of ``model`` layer by layer from the top; yield it after each layer.

    The layers are the modules that hold parameters of their own, in reverse order of
    registration (for a Sequential: from the logits down). A layer with ``reset_parameters``
    (``nn.Conv2d``, ``nn.Linear``, ``nn.BatchNorm2d``...) is re-initialised by it, as Quantus
    does; others (TorchScript modules, ``torch.export.unflatten`` programs) get each parameter
    redrawn from ``N(0, sd^2)``, sd the parameter's own (1 for a single value or sd 0). Layer j
    draws under ``torch.manual_seed(seed + j)`` with the caller's random state saved and restored.

    Yields:
        ``(layer name, the copy)``. It is the SAME copy each time, randomised one layer further:
        compute its maps before asking for the next. ``model`` itself is never changed.
        ``copy_model`` makes the copy (default ``copy.deepcopy``; a ``torch.export`` program
        cannot be deep-copied, its caller reloads it from its file instead).

    Raises:
        MapError: the model has no parameters.
    """
    torch = require("torch")
    copied = copy_model(model)
    layers = [
        (name, module)
        for name, module in copied.named_modules()
        if any(True for _ in module.parameters(recurse=False))
    ]
    if not layers:
        raise MapError("the model has no parameters to randomise")
    devices = sorted({p.device.index for p in copied.parameters() if p.device.type == "cuda"})
    for j, (name, module) in enumerate(reversed(layers)):
        with torch.random.fork_rng(devices=devices), torch.no_grad():
            torch.manual_seed(seed + j)
            _randomise(module)
        yield name, copied


def _randomise(module: nn.Module) -> None:
    torch = require("torch")
    reset = getattr(module, "reset_parameters", None)
    if callable(reset):
        reset()
        return
    for parameter in module.parameters(recurse=False):
        sd = float(parameter.std()) if parameter.numel() > 1 else 1.0
        noise = torch.randn(parameter.shape, dtype=parameter.dtype, device=parameter.device)
        parameter.copy_(noise * (sd or 1.0))


@dataclass(frozen=True, eq=False)
class Similarity:
    """Per-image similarity of two sets of maps, each (N,); 1 = the same, about 0 = unrelated.

    Attributes:
        spearman: Spearman rho of the signed map values.
        abs_spearman: Spearman rho of their absolute values.
        ssim: structural similarity of the two maps, each first scaled to [0, 1] by its own
            minimum and maximum (a flat map becomes 0), so a change of scale alone is not a
            change; ``data_range=1``.
    """

    spearman: Floats
    abs_spearman: Floats
    ssim: Floats


def map_similarity(original: npt.ArrayLike, other: npt.ArrayLike) -> Similarity:
    """Similarity of two sets of maps (N, H, W), image by image (H and W at least 3)."""
    a, b = np.asarray(original, dtype=np.float64), np.asarray(other, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 3 or min(a.shape[1:], default=0) < 3:
        raise MapError(
            f"maps must be two arrays of the same shape (N, H, W), H, W >= 3; "
            f"got {a.shape} and {b.shape}"
        )
    flat_a, flat_b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    return Similarity(
        spearman=np.asarray(signed_spearman(flat_a, flat_b), dtype=np.float64).reshape(-1),
        abs_spearman=np.asarray(rank_correlation(flat_a, flat_b), dtype=np.float64).reshape(-1),
        ssim=_ssim(a, b),
    )


def _ssim(a: Floats, b: Floats) -> Floats:
    structural_similarity = require("skimage.metrics").structural_similarity
    window = min(7, *(s - 1 + s % 2 for s in a.shape[1:]))  # odd, at most the image
    return np.array(
        [
            structural_similarity(_unit(x), _unit(y), data_range=1.0, win_size=window)
            for x, y in zip(a, b, strict=True)
        ],
        dtype=np.float64,
    )


def _unit(e: Floats) -> Floats:
    low, span = e.min(), np.ptp(e)
    return (e - low) / span if span > 0 else np.zeros_like(e)


def smoothed_maps(
    map_fn: MapFunction,
    model: nn.Module,
    images: Tensor,
    *,
    targets: npt.ArrayLike,
    noise_std: float,
    draws: int,
    seed: int,
) -> Array:
    """Mean map over ``draws`` noisy copies ``x + N(0, noise_std^2)`` of each image, (N, H, W).

    The noise comes from ``numpy.random.default_rng(seed)``, so every model sees the same noisy
    images. All ``draws * N`` copies go to ``map_fn`` in one call, for it to batch. With
    ``noise_std = 0`` and ``draws = 1`` this is ``map_fn`` itself.
    """
    torch = require("torch")
    check_images(images)
    if draws < 1 or noise_std < 0:
        raise MapError(f"need draws >= 1 and noise_std >= 0, got {draws} and {noise_std}")
    n = len(images)
    labels = np.asarray(targets, dtype=np.int64).reshape(n)
    noise = np.random.default_rng(seed).normal(0.0, noise_std, size=(draws, *images.shape))
    noisy = images[None] + torch.from_numpy(noise).to(images)
    stacked = noisy.reshape(draws * n, *images.shape[1:])
    maps = np.asarray(map_fn(model, stacked, np.tile(labels, draws)))
    if maps.shape != (draws * n, *images.shape[2:]):
        raise MapError(f"the map function returned {maps.shape}, not (N, H, W) for N = {draws * n}")
    return np.asarray(maps.reshape(draws, n, *maps.shape[1:]).mean(axis=0))


def randomisation_test(
    map_fn: MapFunction,
    model: nn.Module,
    images: Tensor,
    *,
    targets: npt.ArrayLike,
    seed: int,
    noise_std: float = 0.0,
    draws: int = 1,
    copy_model: Callable[[nn.Module], nn.Module] = copy.deepcopy,
) -> list[tuple[str, Similarity]]:
    """Cascading model-randomisation test: similarity to the original maps after each layer.

    Both sides are :func:`smoothed_maps` with the same noise (seed ``seed``); the layers are
    randomised as :func:`cascading_randomisation` does (seeds from ``seed``). The last entry is
    the fully randomised model, the one CHECKS.md §4.6 gates on (mean signed Spearman <= 0.3).
    Map-function calls: one per layer plus one, each on ``draws * N`` images.
    """
    smooth: dict[str, Any] = {"targets": targets, "noise_std": noise_std, "draws": draws}
    before = smoothed_maps(map_fn, model, images, seed=seed, **smooth)
    return [
        (name, map_similarity(before, smoothed_maps(map_fn, copy_, images, seed=seed, **smooth)))
        for name, copy_ in cascading_randomisation(model, seed=seed, copy_model=copy_model)
    ]
