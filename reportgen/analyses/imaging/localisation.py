"""Does a saliency map point at the ground-truth region? (CHECKS.md §6, issue #10)

Maps are floats (N, H, W), one per image, as the caller chose them (Grad-CAM as is, integrated
gradients through :func:`~reportgen.analyses.imaging.maps.to_2d`); masks are booleans (N, H, W),
True on the ground-truth region G. Every score is per image, shape (N,), so the caller can take
medians and pass rates. Each mask must cover some but not all of its image: otherwise no map
can be told apart from another. Pure NumPy, plus ``scipy.ndimage`` and ``scipy.stats``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reportgen._lazy import require
from reportgen.errors import MapError

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Localisation:
    """Per-image localisation scores, each of shape (N,); see the functions of the same names."""

    pointing: Floats
    mass: Floats
    rank: Floats
    auc: Floats


def localisation(
    maps: npt.ArrayLike, masks: npt.ArrayLike, *, tolerance_px: float = 0.0
) -> Localisation:
    """All four scores of ``maps`` against ``masks``."""
    e, g = _checked(maps, masks)
    return Localisation(
        pointing=pointing_game(e, g, tolerance_px=tolerance_px).astype(np.float64),
        mass=relevance_mass(e, g),
        rank=relevance_rank(e, g),
        auc=roc_auc(e, g),
    )


def pointing_game(maps: npt.ArrayLike, masks: npt.ArrayLike, *, tolerance_px: float = 0.0) -> Bools:
    """Pointing game (Zhang et al. 2018): a hit if the map's peak lies in G, give or take.

    A hit when ANY pixel tying for the map's maximum lies within Euclidean distance
    ``tolerance_px`` of a pixel of G (centre to centre; 0 means inside G; Zhang et al. allow
    15 px on images of about 224 px). A flat map (every pixel equal, e.g. a Grad-CAM map that the
    ReLU zeroed) points nowhere and counts as a miss, not as a tie that G would always win.
    """
    e, g = _checked(maps, masks)
    if tolerance_px < 0:
        raise MapError(f"tolerance_px must be >= 0, got {tolerance_px}")
    flat = e.reshape(len(e), -1)
    peaks = e == flat.max(axis=1)[:, None, None]
    near = _distance_to_mask(g) <= tolerance_px
    return np.asarray((peaks & near).any(axis=(1, 2)) & (np.ptp(flat, axis=1) > 0))


def relevance_mass(maps: npt.ArrayLike, masks: npt.ArrayLike) -> Floats:
    """Relevance mass accuracy (Arras et al. 2022): ``sum_G e+ / sum e+`` with ``e+ = max(e, 0)``.

    The same quantity as Score-CAM's energy-based pointing game. A map with no positive value
    (all ``<= 0``) puts no mass anywhere and scores 0.
    """
    e, g = _checked(maps, masks)
    positive = np.clip(e, 0.0, None)
    total = positive.sum(axis=(1, 2))
    inside = (positive * g).sum(axis=(1, 2))
    return np.asarray(np.divide(inside, total, out=np.zeros_like(total), where=total > 0))


def relevance_rank(maps: npt.ArrayLike, masks: npt.ArrayLike) -> Floats:
    """Relevance rank accuracy (Arras et al. 2022): ``|T_K(e) ∩ G| / K`` with ``K = |G|``.

    ``T_K(e)`` holds the K pixels of largest value (the map as given, not its absolute value).
    Ties at the K-th value are not broken by pixel position, which would favour masks near the
    top of the image: the tied pixels share the places left, each counting as
    ``places / tied``, the expected score under a uniformly random tie-break. A constant map
    therefore scores ``|G| / N`` exactly.
    """
    e, g = _checked(maps, masks)
    flat, inside = e.reshape(len(e), -1), g.reshape(len(g), -1)
    k = inside.sum(axis=1)
    kth = np.take_along_axis(np.sort(flat, axis=1), (flat.shape[1] - k)[:, None], axis=1)
    above, tied = flat > kth, flat == kth
    places = k - above.sum(axis=1)
    hits = (above & inside).sum(axis=1) + places * (tied & inside).sum(axis=1) / tied.sum(axis=1)
    return np.asarray(hits / k, dtype=np.float64)


def roc_auc(maps: npt.ArrayLike, masks: npt.ArrayLike) -> Floats:
    """ROC-AUC of the map as a pixel classifier of G, per image (ties count one half).

    The Mann-Whitney form ``(R_G - n1 (n1 + 1) / 2) / (n1 n0)`` with average ranks ``R``,
    equal to ``sklearn.metrics.roc_auc_score(mask.ravel(), map.ravel())``; 0.5 is chance.
    """
    e, g = _checked(maps, masks)
    flat, inside = e.reshape(len(e), -1), g.reshape(len(g), -1)
    ranks = require("scipy.stats").rankdata(flat, axis=1)
    n1 = inside.sum(axis=1).astype(np.float64)
    n0 = inside.shape[1] - n1
    return np.asarray(((ranks * inside).sum(axis=1) - n1 * (n1 + 1) / 2) / (n1 * n0))


def chance_levels(masks: npt.ArrayLike, *, tolerance_px: float = 0.0) -> Localisation:
    """What a map that knows nothing scores on average, per image (CHECKS.md §0 and §6).

    Mass and rank: ``|G| / N``. AUC: 0.5. Pointing game: the share of pixels within
    ``tolerance_px`` of G, which is ``|G| / N`` without tolerance but can be much more with it
    (a 15-px tolerance around a small lesion covers a good part of a 64 x 64 image).
    """
    g = _checked_masks(masks)
    pixels = g.shape[1] * g.shape[2]
    share = g.sum(axis=(1, 2)) / pixels
    near = (_distance_to_mask(g) <= tolerance_px).sum(axis=(1, 2)) / pixels
    return Localisation(
        pointing=near.astype(np.float64),
        mass=share,
        rank=share.copy(),
        auc=np.full(len(g), 0.5),
    )


def random_control(
    masks: npt.ArrayLike, *, rng: np.random.Generator, tolerance_px: float = 0.0
) -> Localisation:
    """The scores of uniform random maps (one per image, drawn from ``rng``), the §0 control.

    A method that does not clearly beat this control fails, whatever its absolute scores.
    """
    g = _checked_masks(masks)
    return localisation(rng.random(g.shape), g, tolerance_px=tolerance_px)


def _checked(maps: npt.ArrayLike, masks: npt.ArrayLike) -> tuple[Floats, Bools]:
    e = np.asarray(maps, dtype=np.float64)
    g = _checked_masks(masks)
    if e.shape != g.shape:
        raise MapError(f"maps {e.shape} and masks {g.shape} must have the same shape (N, H, W)")
    finite = np.isfinite(e).all(axis=(1, 2))
    if not finite.all():
        raise MapError(f"maps must be finite; images {_bad(~finite)} are not")
    return e, g


def _checked_masks(masks: npt.ArrayLike) -> Bools:
    g = np.asarray(masks)
    if g.ndim != 3 or g.dtype != np.bool_:
        raise MapError(f"masks must be booleans of shape (N, H, W), got {g.dtype} {g.shape}")
    size = g.sum(axis=(1, 2))
    wrong = (size == 0) | (size == g.shape[1] * g.shape[2])
    if wrong.any():
        raise MapError(
            f"each mask must cover some but not all of its image; images {_bad(wrong)} do not"
        )
    return g


def _distance_to_mask(masks: Bools) -> Floats:
    """Euclidean distance (pixels) from each pixel to the nearest pixel of its mask, (N, H, W)."""
    edt = require("scipy.ndimage").distance_transform_edt
    if not len(masks):
        return np.zeros(masks.shape)
    return np.stack([np.asarray(edt(~m), dtype=np.float64) for m in masks]).reshape(masks.shape)


def _bad(which: npt.ArrayLike) -> str:
    index = np.flatnonzero(which)
    more = f" and {len(index) - 10} more" if len(index) > 10 else ""
    return ", ".join(str(i) for i in index[:10]) + more
