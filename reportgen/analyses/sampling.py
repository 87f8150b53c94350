"""Seeded row samples: stratified by predicted class, with near-boundary cases."""

from __future__ import annotations

import numpy as np


def stratified_sample(strata: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``size`` rows drawn without replacement, proportionally from each stratum.

    Every stratum gets at least one row when ``size`` allows it (largest remainders fill the
    rest). Returned sorted by stratum, then row, so the order does not depend on the draw.
    """
    labels, counts = np.unique(strata, return_counts=True)
    size = min(size, len(strata))
    share = size * counts / counts.sum()
    quota = np.minimum(counts, np.floor(share).astype(np.int64))
    if size >= len(labels):
        quota = np.maximum(quota, 1)
    while quota.sum() < size:  # largest remainder first, among strata with rows left
        quota[np.argmax(np.where(quota < counts, share - quota, -np.inf))] += 1
    while quota.sum() > size:  # only when the one-per-stratum floor overshoots
        quota[np.argmax(quota - share)] -= 1
    chosen = [
        np.sort(rng.choice(np.flatnonzero(strata == label), size=int(q), replace=False))
        for label, q in zip(labels, quota, strict=True)
    ]
    return np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)


def extend_sample(
    chosen: np.ndarray,
    strata: np.ndarray,
    boundary: np.ndarray,
    *,
    size: int,
    boundary_share: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """``chosen`` first, then further rows up to ``size``: near-boundary ones, then stratified.

    Args:
        boundary: (n,) True for rows near the decision boundary.
        boundary_share: the share of ``size`` to fill from near-boundary rows, when there are any.
    """
    free = np.setdiff1d(np.arange(len(strata)), chosen)
    wanted = max(0, min(size, len(strata)) - len(chosen))
    near = free[boundary[free]]
    take_near = min(len(near), round(boundary_share * size), wanted)
    picked_near = np.sort(rng.choice(near, size=take_near, replace=False))
    rest = np.setdiff1d(free, picked_near)
    picked_rest = rest[stratified_sample(strata[rest], wanted - take_near, rng)]
    return np.concatenate([chosen, picked_near, picked_rest]).astype(np.int64)
