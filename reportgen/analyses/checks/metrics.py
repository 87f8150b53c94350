"""Scores behind the explanation checks (CHECKS.md §1, §2.4, §3, §4, §5, §7), in plain numpy.

Attributions are arrays ``e`` of shape ``(d,)`` or, batched, ``(n, d)``; every per-row score works
on the last axis. ``T_k(e)`` is the set of the ``k`` largest ``|e_j|``, ties broken by the lower
index, so every score here is deterministic. A per-row score returns an array of shape ``(n,)``
for batched input and a NumPy scalar (``np.float64``, a ``float``) for a single row. Nothing here
calls a model except through the ``predict_rows`` callable that a caller passes in: it maps rows
``(m, d)`` to outputs ``(m,)``, and each function calls it exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reportgen._lazy import require

PredictRows = Callable[[np.ndarray], np.ndarray]

_RTOL = 1e-12  # relative size below which a spread or a mean counts as zero
_BOOT_CELLS = 1 << 22  # resample-count cells per bootstrap chunk (b_chunk * n)


# -- helpers ------------------------------------------------------------------------------------


def _check_k(k: int, d: int) -> None:
    if not 1 <= k <= d:
        raise ValueError(f"k must be between 1 and the number of features {d}, got {k}")


def _rows(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """``a`` and ``b`` as float arrays of shape (n, d), and whether the input was one row."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim not in (1, 2):
        raise ValueError(
            f"expected two arrays of the same shape (d,) or (n, d), got {a.shape} and {b.shape}"
        )
    return np.atleast_2d(a), np.atleast_2d(b), a.ndim == 1


def _finish(values: np.ndarray, one_row: bool) -> np.ndarray:
    return values[0] if one_row else values


def _topk_mask(e: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of ``T_k(e)`` on the last axis."""
    mask = np.zeros(e.shape, dtype=bool)
    np.put_along_axis(mask, top_k(e, k), True, axis=-1)
    return mask


def _overlap(a: np.ndarray, b: np.ndarray, k: int, signed: bool) -> np.ndarray:
    """``|T_k(a) ∩ T_k(b)| / k`` on the last axis; with ``signed`` the signs must match too."""
    both = _topk_mask(a, k) & _topk_mask(b, k)
    if signed:
        both &= np.sign(a) == np.sign(b)
    return both.sum(axis=-1) / k


def _flat(v: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Rows of ``v`` whose spread is zero, or rounding noise relative to ``scale``."""
    return np.ptp(v, axis=-1) <= _RTOL * scale


def _pearson_rows(a: np.ndarray, b: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """Pearson r per row of (n, m) arrays; 0.0 on rows marked ``flat`` (a constant side)."""
    ac = a - a.mean(axis=-1, keepdims=True)
    bc = b - b.mean(axis=-1, keepdims=True)
    den = np.sqrt((ac * ac).sum(axis=-1) * (bc * bc).sum(axis=-1))
    ok = ~flat & (den > 0)
    r = np.divide((ac * bc).sum(axis=-1), den, out=np.zeros(den.shape), where=ok)
    return np.clip(r, -1.0, 1.0)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with ``0/0 = 0`` and ``x/0 = inf`` for ``x > 0`` (no warnings)."""
    out = np.where(num > 0, np.inf, 0.0)
    return np.divide(num, den, out=out, where=den > 0)


# -- top-k agreement (§1.1, §1.3, §2.4, §3) -----------------------------------------------------


def top_k(e: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest ``|e_j|`` along the last axis, largest first.

    ``e`` has shape (d,) or (n, d); the result has shape (k,) or (n, k). Ties go to the lower index.
    Raises ValueError unless ``1 <= k <= d``.
    """
    e = np.asarray(e, dtype=float)
    _check_k(k, e.shape[-1])
    return np.argsort(-np.abs(e), axis=-1, kind="stable")[..., :k]


def feature_agreement(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """FA@k = ``|T_k(a) ∩ T_k(b)| / k`` per row (chance level ``k/d``)."""
    a, b, one = _rows(a, b)
    return _finish(_overlap(a, b, k, signed=False), one)


def sign_agreement(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """SA@k per row: features in both top-k sets with the same sign, over ``k``.

    Sign 0 counts as a sign of its own. Chance level about ``k/(2d)``.
    """
    a, b, one = _rows(a, b)
    return _finish(_overlap(a, b, k, signed=True), one)


def rank_agreement(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """RA@k per row: share of the ``k`` top-k positions that hold the same feature in both."""
    a, b, one = _rows(a, b)
    return _finish((top_k(a, k) == top_k(b, k)).mean(axis=-1), one)


def signed_spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman rho of the signed values per row (average ranks for ties, as scipy.stats.spearmanr).

    Returns 0.0, never NaN, for a row where either side is constant.
    """
    a, b, one = _rows(a, b)
    rank = require("scipy.stats").rankdata
    ra, rb = rank(a, axis=-1), rank(b, axis=-1)
    flat = _flat(ra, np.zeros(len(ra))) | _flat(rb, np.zeros(len(rb)))
    return _finish(_pearson_rows(ra, rb, flat), one)


def rank_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman rho of ``|a|`` and ``|b|`` per row (0.0 where a side is constant)."""
    return signed_spearman(np.abs(np.asarray(a, dtype=float)), np.abs(np.asarray(b, dtype=float)))


def chance_feature_agreement(k: int, d: int) -> float:
    """Expected FA@k of two independent random attributions: ``k/d``."""
    _check_k(k, d)
    return k / d


def chance_sign_agreement(k: int, d: int) -> float:
    """Expected SA@k of two independent sign-symmetric random attributions: ``k/(2d)``."""
    return chance_feature_agreement(k, d) / 2


# -- reruns and estimator accuracy (§1, §7) -----------------------------------------------------


@dataclass(frozen=True, eq=False)
class RerunStability:
    """Per-instance stability over ``R`` reruns, arrays of shape (n,).

    ``fa`` and ``sa`` are FA@k and SA@k averaged over the ``R(R-1)/2`` run pairs. ``cv`` is the
    median over ``j`` in ``T_k(mean over runs)`` of ``sd_r / |mean_r|`` (sample sd, ddof=1),
    leaving out features whose ``|mean|`` is below ``1e-12 * max_j |mean_j|``; 0.0 if none is left.
    """

    fa: np.ndarray
    sa: np.ndarray
    cv: np.ndarray


def rerun_stability(runs: np.ndarray, k: int) -> RerunStability:
    """FA, SA and CV of ``runs`` of shape (R, n, d): R >= 2 reruns of the same n instances."""
    runs = np.asarray(runs, dtype=float)
    if runs.ndim != 3 or runs.shape[0] < 2:
        raise ValueError(f"runs must have shape (R, n, d) with R >= 2, got {runs.shape}")
    first, second = np.triu_indices(runs.shape[0], 1)
    fa = _overlap(runs[first], runs[second], k, signed=False).mean(axis=0)
    sa = _overlap(runs[first], runs[second], k, signed=True).mean(axis=0)
    return RerunStability(fa=fa, sa=sa, cv=_top_cv(runs, k))


def _top_cv(runs: np.ndarray, k: int) -> np.ndarray:
    mean, sd = runs.mean(axis=0), runs.std(axis=0, ddof=1)
    top = top_k(mean, k)
    size = np.abs(np.take_along_axis(mean, top, axis=-1))
    keep = (size > 0) & (size >= _RTOL * np.abs(mean).max(axis=-1, keepdims=True))
    cv = np.where(keep, np.take_along_axis(sd, top, axis=-1) / np.where(keep, size, 1.0), np.nan)
    out = np.zeros(len(mean))
    some = keep.any(axis=-1)
    if some.any():
        out[some] = np.nanmedian(cv[some], axis=-1)
    return out


def convergence_ratio(values: np.ndarray, standard_error: np.ndarray) -> np.ndarray:
    """Covert & Lee's ratio ``max_j se_j / (max_j phi_j - min_j phi_j)`` per row (§1.5).

    0.0 when the range and the errors are all 0; inf when the range is 0 but an error is not.
    """
    phi, se, one = _rows(values, standard_error)
    return _finish(_ratio(se.max(axis=-1), np.ptp(phi, axis=-1)), one)


def _predict(predict_rows: PredictRows, rows: np.ndarray) -> np.ndarray:
    out = np.asarray(predict_rows(rows), dtype=float).reshape(-1)
    if out.size != len(rows):
        raise ValueError(f"predict_rows returned {out.size} outputs for {len(rows)} rows")
    return out


def removal_curves_batch(
    predict_rows: PredictRows,
    xs: np.ndarray,
    substrate: np.ndarray,
    orders: np.ndarray,
    *,
    distance: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Deletion and insertion curves of n instances under m feature orders each (§4.3).

    ``xs`` (n, d); ``substrate`` (d,), the values that stand for a removed feature; ``orders``
    (n, m, d), each a permutation of the features, most important first. Step ``s = 0..d``
    deletes the first ``s`` features of an order from ``x`` (deletion) or inserts them into the
    substrate (insertion). Each point is the output ``f`` there or, with ``distance`` (for
    outputs with no natural zero, such as a regressor's), its distance from the explained output
    f(x) along the path of one-feature steps: deletion adds up ``|change of f|`` of the steps
    taken from x so far, insertion that of the steps still to take to reach x. Along the path,
    steps of opposite sign do not cancel. All ``2 * n * m * (d + 1)`` rows go to ONE
    ``predict_rows`` call, so memory grows as ``n * m * d**2``. Returns (deletion, insertion),
    each of shape (n, m, d + 1).
    """
    xs, substrate = np.asarray(xs, dtype=float), np.asarray(substrate, dtype=float)
    orders = np.asarray(orders)
    ok = xs.ndim == 2 and orders.ndim == 3 and orders.shape[::2] == xs.shape
    if not ok or substrate.shape != xs.shape[1:]:
        raise ValueError(
            f"expected xs (n, d), substrate (d,), orders (n, m, d); got {xs.shape}, "
            f"{substrate.shape}, {orders.shape}"
        )
    d = xs.shape[1]
    if not (np.sort(orders, axis=-1) == np.arange(d)).all():
        raise ValueError("every order must be a permutation of the feature indices 0..d-1")
    position = np.argsort(orders, axis=-1)  # position[i, o, j]: where feature j comes in order o
    removed = position[:, :, None, :] < np.arange(d + 1)[:, None]  # (n, m, d+1, d)
    x = xs[:, None, None, :]
    rows = np.stack([np.where(removed, substrate, x), np.where(removed, x, substrate)], axis=2)
    out = _predict(predict_rows, rows.reshape(-1, d)).reshape(rows.shape[:-1])
    if distance:
        return _path_distances(out[:, :, 0], out[:, :, 1])
    return out[:, :, 0], out[:, :, 1]


def _path_distances(deletion: np.ndarray, insertion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Output curves -> distance from f(x) along the path: travelled (deletion), to go (insert)."""
    zero = np.zeros((*deletion.shape[:-1], 1))
    travelled = np.cumsum(np.abs(np.diff(deletion, axis=-1)), axis=-1)
    to_go = np.cumsum(np.abs(np.diff(insertion, axis=-1))[..., ::-1], axis=-1)[..., ::-1]
    return np.concatenate([zero, travelled], axis=-1), np.concatenate([to_go, zero], axis=-1)


def removal_curves(
    predict_rows: PredictRows,
    x: np.ndarray,
    substrate: np.ndarray,
    order: np.ndarray,
    *,
    distance: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Deletion and insertion curves, each (d + 1,), of one instance ``x`` (d,) under ``order``.

    One ``predict_rows`` call on ``2 * (d + 1)`` rows; see :func:`removal_curves_batch`.
    """
    deletion, insertion = removal_curves_batch(
        predict_rows,
        np.asarray(x)[None],
        substrate,
        np.asarray(order)[None, None],
        distance=distance,
    )
    return deletion[0, 0], insertion[0, 0]


def removal_ratio(method_auc: np.ndarray, random_auc: np.ndarray, *, distance: bool) -> np.ndarray:
    """A deletion or insertion ratio against random orders; random orders give about 1.

    Output curves (``distance=False``, CHECKS.md §4.3): ``method / random``. Distance curves:
    ``random / method``, because a faithful order travels away from f(x) faster when deleting
    (a larger area) and closes in on it faster when inserting (a smaller one). Either way a
    deletion ratio below 1 and an insertion ratio above 1 beat chance. ``0/0 = 1`` (an output
    that never moves is no better than random); ``x/0 = inf``.
    """
    num, den = (random_auc, method_auc) if distance else (method_auc, random_auc)
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    out = np.where(num > 0, np.inf, 1.0)
    return np.divide(num, den, out=out, where=den > 0)


def curve_auc(curve: np.ndarray) -> np.ndarray:
    """Trapezoid area on [0, 1] over the last axis: ``(sum - first/2 - last/2) / (len - 1)``."""
    curve = np.asarray(curve, dtype=float)
    if curve.shape[-1] < 2:
        raise ValueError(f"a curve needs at least 2 points, got {curve.shape[-1]}")
    inner = curve.sum(axis=-1) - (curve[..., 0] + curve[..., -1]) / 2
    return inner / (curve.shape[-1] - 1)


def faithfulness_correlation(
    predict_rows: PredictRows,
    x: np.ndarray,
    e: np.ndarray,
    baseline: np.ndarray,
    *,
    subset_size: int,
    runs: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Bhatt et al.'s faithfulness correlation (§4.5) of one instance's attributions, shape (M,).

    ``x`` (d,) is the instance and ``e`` (M, d) the attributions of M methods. For ``runs``
    random feature subsets ``S`` of ``subset_size`` distinct features (the same subsets for every
    method), Pearson r between ``sum_{i in S} e_i`` and ``f(x) - f(x with S set to baseline)``.
    One ``predict_rows`` call on ``runs + 1`` rows. 0.0 where either side is constant.
    """
    x, e = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(e, dtype=float))
    if x.ndim != 1 or e.shape[1:] != x.shape or np.shape(baseline) != x.shape or runs < 2:
        raise ValueError(
            f"expected x (d,), e (M, d), baseline (d,) and runs >= 2; got {x.shape}, {e.shape}, "
            f"{np.shape(baseline)} and runs={runs}"
        )
    d = len(x)
    _check_k(subset_size, d)
    chosen = rng.random((runs, d)).argsort(axis=-1)[:, :subset_size]
    mask = np.zeros((runs, d), dtype=bool)
    np.put_along_axis(mask, chosen, True, axis=-1)
    perturbed = np.where(mask, np.asarray(baseline, dtype=float), x)
    out = _predict(predict_rows, np.concatenate([x[None], perturbed]))
    drop = np.broadcast_to(out[0] - out[1:], (len(e), runs))
    mass = e @ mask.T.astype(float)
    scale = np.full(len(e), max(abs(out[0]), np.abs(out[1:]).max()))
    flat = _flat(drop, scale) | _flat(mass, np.abs(mass).max(axis=-1))
    return _pearson_rows(mass, drop, flat)


# -- global importance (§5.2, §5.3) -------------------------------------------------------------


def bootstrap_ci(samples: np.ndarray) -> np.ndarray:
    """95 % percentile interval per column of ``samples`` (b, d): shape (d, 2), low then high."""
    return np.percentile(np.asarray(samples, dtype=float), [2.5, 97.5], axis=0).T


def bootstrap_topk_inclusion(
    per_row: np.ndarray, k: int, b: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Rows bootstrap of mean ``|per_row|`` per feature (§5.2, §5.3).

    ``per_row`` (n, d), e.g. SHAP values; ``b`` resamples of the n rows with replacement. Returns
    the top-k inclusion frequency of each feature (d,) and the 95 % percentile interval of its
    mean ``|value|`` (d, 2). Each resample is a row of counts, so a chunk of resamples costs one
    matrix product; chunks keep ``b_chunk * n`` near 4 million cells.
    """
    size = np.abs(np.asarray(per_row, dtype=float))
    if size.ndim != 2 or b < 1:
        raise ValueError(f"expected per_row (n, d) and b >= 1, got {size.shape} and b={b}")
    n, d = size.shape
    _check_k(k, d)
    chunk = max(1, _BOOT_CELLS // n)
    means = np.empty((b, d))
    for start in range(0, b, chunk):
        stop = min(b, start + chunk)
        picks = rng.integers(0, n, size=(stop - start, n))
        offsets = (np.arange(stop - start)[:, None] * n + picks).ravel()
        counts = np.bincount(offsets, minlength=(stop - start) * n).reshape(-1, n)
        means[start:stop] = counts @ size / n
    inclusion = np.bincount(top_k(means, k).ravel(), minlength=d) / b
    return inclusion, bootstrap_ci(means)


# -- audit-sample summary (§0) ------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Audit-sample summary of a per-instance score.

    ``tail`` is the bad-side percentile: P10 when higher is better, P90 when lower is better.
    ``pass_rate`` is the share of instances meeting the threshold (``>=`` or ``<=``).
    """

    median: float
    tail: float
    pass_rate: float
    n: int


def _quantile(ordered: np.ndarray, q: float) -> float:
    """Linear-interpolation quantile of sorted values that stays inf (not NaN) between infs."""
    pos = q * (len(ordered) - 1)
    lo, hi = ordered[int(np.floor(pos))], ordered[int(np.ceil(pos))]
    return float(lo) if lo == hi else float(lo + (hi - lo) * (pos - np.floor(pos)))


def summary(values: np.ndarray, threshold: float, higher_is_better: bool) -> Summary:
    """Median, bad-side tail and pass rate of per-instance ``values`` (no NaN; inf allowed)."""
    values = np.sort(np.asarray(values, dtype=float).reshape(-1))
    if values.size == 0 or np.isnan(values).any():
        raise ValueError("summary needs at least one value and no NaN")
    passed = values >= threshold if higher_is_better else values <= threshold
    return Summary(
        median=_quantile(values, 0.5),
        tail=_quantile(values, 0.1 if higher_is_better else 0.9),
        pass_rate=float(passed.mean()),
        n=int(values.size),
    )
