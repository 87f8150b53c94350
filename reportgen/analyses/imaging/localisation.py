"""Localisation of maps against ground-truth masks (CHECKS.md section 6), per image.

Maps are float (n, h, w), masks bool (n, h, w); every function returns one value per image so
the caller can take medians and pass rates. Relevance is the positive part of a map.
"""

from __future__ import annotations

import numpy as np

from reportgen._lazy import require


def chance(masks: np.ndarray) -> np.ndarray:
    """|G| / N per image: what a map that knows nothing scores on mass and rank."""
    return masks.reshape(len(masks), -1).mean(axis=1)


def pointing_game(maps: np.ndarray, masks: np.ndarray, *, tolerance_px: float) -> np.ndarray:
    """1 where a pixel tying for the map's maximum lies within ``tolerance_px`` (Euclidean)
    of the mask, else 0 (Zhang et al. 2018; the paper's tolerance is 15 px at 224 px)."""
    ndimage = require("scipy.ndimage")
    hits = np.zeros(len(maps), dtype=bool)
    for i, (found, mask) in enumerate(zip(maps, masks, strict=True)):
        if not mask.any():
            continue
        distance = ndimage.distance_transform_edt(~mask)
        peaks = found == found.max()
        hits[i] = bool((distance[peaks] <= tolerance_px).any())
    return hits


def relevance_mass(maps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Share of positive relevance inside the mask (Arras et al. 2022; the energy-based pointing
    game of Score-CAM). A map with no positive value scores 0."""
    positive = np.clip(maps, 0.0, None).reshape(len(maps), -1)
    inside = (positive * masks.reshape(len(masks), -1)).sum(axis=1)
    total = positive.sum(axis=1)
    return np.divide(inside, total, out=np.zeros_like(total), where=total > 0)


def relevance_rank(maps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """|top-K pixels ∩ G| / K with K = |G| (Arras et al. 2022); ties broken by pixel order."""
    flat_maps = maps.reshape(len(maps), -1)
    flat_masks = masks.reshape(len(masks), -1)
    scores = np.zeros(len(maps))
    for i, (found, mask) in enumerate(zip(flat_maps, flat_masks, strict=True)):
        k = int(mask.sum())
        if k:
            top = np.argsort(-found, kind="stable")[:k]
            scores[i] = mask[top].sum() / k
    return scores


def pixel_auc(maps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """ROC-AUC of the map as a classifier of mask pixels (ties count one half); 0.5 is chance."""
    stats = require("scipy.stats")
    scores = np.full(len(maps), 0.5)
    for i, (found, mask) in enumerate(
        zip(maps.reshape(len(maps), -1), masks.reshape(len(masks), -1), strict=True)
    ):
        positives = int(mask.sum())
        negatives = mask.size - positives
        if positives and negatives:
            ranks = stats.rankdata(found)
            scores[i] = (ranks[mask].sum() - positives * (positives + 1) / 2) / (
                positives * negatives
            )
    return scores


def random_maps(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Uniform random maps: the control every localisation score is read against."""
    return rng.random(shape)
