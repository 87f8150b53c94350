"""Bootstrap resamples of rows, summed per bin, without holding every resample at once.

The fair-lending and calibration intervals are 95 % percentile-bootstrap intervals: a statistic
is recomputed on ``resamples`` resamples of the rows (drawn with replacement, same size) and the
interval is the 2.5th to 97.5th percentile of the values. Statistics built from sums per bin
(a rate, a mean, a variance, an expected calibration error) are computed for all resamples from
:func:`resampled_sums` at once.
"""

from __future__ import annotations

import hashlib

import numpy as np

from reportgen.analyses.context import SALT_BOOTSTRAP

CELLS = 4_000_000
"""Resampled values held in memory at once."""


def stream(seed: int, *names: str) -> np.random.Generator:
    """A random stream of its own for one statistic (named by ``names``), from the policy seed.

    Seeded from the seed and the bootstrap salt with the names appended, so adding an attribute
    or a group changes no other interval, and the stream is independent of every other use of
    the bootstrap salt (each use names itself first).
    """
    keys = [int.from_bytes(hashlib.sha256(n.encode()).digest()[:4], "big") for n in names]
    return np.random.default_rng([seed, SALT_BOOTSTRAP, *keys])


def resampled_sums(
    values: np.ndarray,
    *,
    resamples: int,
    rng: np.random.Generator,
    bins: np.ndarray | None = None,
    n_bins: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Row counts and column sums per bin of each bootstrap resample of the rows.

    Args:
        values: (n, c) one row per person.
        bins: (n,) each row's bin in ``0 .. n_bins - 1``; None puts every row in one bin.

    Returns:
        counts (resamples, n_bins) and sums (resamples, n_bins, c).
    """
    n, c = values.shape
    index = np.zeros(n, dtype=np.int64) if bins is None else np.asarray(bins, dtype=np.int64)
    counts = np.zeros((resamples, n_bins))
    sums = np.zeros((resamples, n_bins, c))
    if n == 0:
        return counts, sums
    step = max(1, CELLS // n)
    for start in range(0, resamples, step):
        r = min(step, resamples - start)
        chosen = rng.integers(0, n, size=(r, n))
        flat = (np.arange(r)[:, None] * n_bins + index[chosen]).ravel()
        size = r * n_bins
        counts[start : start + r] = np.bincount(flat, minlength=size).reshape(r, n_bins)
        for j in range(c):
            column = np.bincount(flat, weights=values[chosen, j].ravel(), minlength=size)
            sums[start : start + r, :, j] = column.reshape(r, n_bins)
    return counts, sums


def percentile_interval(draws: np.ndarray) -> tuple[float | None, float | None]:
    """The 95 % percentile interval of the finite ``draws``; (None, None) when there are none."""
    finite = draws[np.isfinite(draws)]
    if len(finite) == 0:
        return None, None
    low, high = np.percentile(finite, [2.5, 97.5])
    return float(low), float(high)


__all__ = ["CELLS", "percentile_interval", "resampled_sums", "stream"]
