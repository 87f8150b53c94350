"""The one shape every explainer returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Attribution:
    """Per-row attributions to one explained output per row.

    Attributes:
        values: (n, d) contribution of each raw feature to the explained output.
        base: (n,) the reference level (SHAP: E[f] over the background; LIME: local intercept).
        output: (n,) the explained model output f_t(x) for each row.
        method: "shap" or "lime".
        fit: (n,) per-row fit quality (SHAP: additivity error; LIME: R^2 of the local model).
        details: estimator settings to record (estimator, budget, ...).
        conditions: LIME only: per row, the rule text of each feature (e.g. "duration > 24").
        standard_error: sampled SHAP only: (n, d) estimated sampling error of each value.
    """

    values: np.ndarray
    base: np.ndarray
    output: np.ndarray
    method: str
    fit: np.ndarray
    details: dict[str, object] = field(default_factory=dict)
    conditions: list[dict[int, str]] | None = None
    standard_error: np.ndarray | None = None


PRECISION_ULPS = 256.0
"""C1's precision floor c: a completeness residual within ``c * eps * max(|f(x)|, |base|)`` is
rounding, not error. Chosen from bench/completeness_precision.py: exact SHAP left at most 1.4
units on float32 networks and 74 units on float64 models (171 in a run on other weights), the
float64 residual being the summation of 2^16 coalitions (measured with shap's ExactExplainer, which
our exact estimator equals to 1e-10); 256 is the next power of two."""


def completeness_error(
    values: np.ndarray,
    base: np.ndarray,
    output: np.ndarray,
    *,
    tolerance: float,
    epsilon: float,
) -> np.ndarray:
    """Relative completeness error per row, allowing for the model's floating-point precision.

    ``|sum(e) - gap| / max(|gap|, c * epsilon * max(|f(x)|, |base|) / tolerance)`` with
    ``gap = f(x) - base`` and ``c = PRECISION_ULPS``, so "error <= tolerance" means
    ``|sum(e) - gap| <= max(tolerance * |gap|, c * epsilon * max(|f(x)|, |base|))``: a residual
    the model's own rounding can produce is not held against the explainer.

    Args:
        values: (n, d) attributions; base, output: (n,) the baseline output and f(x).
        tolerance: the relative error the caller judges against (> 0).
        epsilon: machine epsilon of the arithmetic the model computes in.

    Returns:
        (n,) errors; 0 where the residual and the gap are both 0, inf where only the gap is.
    """
    gap = output - base
    residual = np.abs(values.sum(axis=1) - gap)
    scale = np.maximum(np.abs(output), np.abs(base))
    floor = np.maximum(np.abs(gap), PRECISION_ULPS * epsilon * scale / tolerance)
    out = np.where(residual > 0, np.inf, 0.0)
    return np.divide(residual, floor, out=out, where=floor > 0)
