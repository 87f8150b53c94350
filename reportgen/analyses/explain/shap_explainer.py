"""Interventional SHAP values over raw features with the shap library.

Each raw feature is one player: masking it replaces its coded value with a background row's,
which for a one-hot encoded model replaces the whole encoded group. Two estimators, both exactly
additive (values sum to f(x) - E[f]):

* ``exact``: shap's ExactExplainer enumerates all 2^d coalitions (used for d <= EXACT_MAX_FEATURES);
* ``permutation``: shap's PermutationExplainer averages marginal contributions over antithetic
  feature orders; its budget is ``permutations`` orders per row and its sampling error is
  estimated from the spread across orders.

KernelExplainer is deliberately not used: with its default ``l1_reg`` it keeps only ten features
and, at equal budget, it is further from the exact values than the permutation estimator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from reportgen._lazy import require
from reportgen.analyses.explain.attribution import Attribution
from reportgen.errors import AnalysisError
from reportgen.inputs.models import ModelAdapter

EXACT_MAX_FEATURES = 10


@dataclass(frozen=True)
class ShapValues:
    """SHAP values for every model output.

    values (n, d, k), base (k,), output (n, k); k = 1 for regressors. ``error_std`` (n, d, k) is
    the permutation estimator's per-value standard error, zero for the exact estimator.
    """

    values: np.ndarray
    base: np.ndarray
    output: np.ndarray
    standard_error: np.ndarray
    estimator: Literal["exact", "permutation"]
    evals_per_row: int

    @property
    def additivity_error(self) -> np.ndarray:
        """(n, k) |sum of values + base - f(x)|."""
        return np.abs(self.values.sum(axis=1) + self.base - self.output)

    def select(self, target: np.ndarray) -> Attribution:
        """Attribution of output ``target[i]`` for row i."""
        rows = np.arange(len(target))
        return Attribution(
            values=self.values[rows, :, target],
            base=self.base[target],
            output=self.output[rows, target],
            method="shap",
            fit=self.additivity_error[rows, target],
            details={"estimator": self.estimator, "evals_per_row": self.evals_per_row},
            standard_error=self.standard_error[rows, :, target],
        )


def choose_estimator(setting: str, n_features: int) -> Literal["exact", "permutation"]:
    """Resolve ``auto`` to exact for small feature counts, permutation otherwise."""
    if setting == "auto":
        return "exact" if n_features <= EXACT_MAX_FEATURES else "permutation"
    if setting == "exact" and n_features > 16:
        raise AnalysisError(
            f"exact SHAP over {n_features} features needs 2^{n_features} coalitions per row; "
            "use estimator: permutation"
        )
    return "exact" if setting == "exact" else "permutation"


def explain_shap(
    model: ModelAdapter,
    codes: np.ndarray,
    *,
    background: np.ndarray,
    seed: int,
    estimator: str = "auto",
    permutations: int = 10,
) -> ShapValues:
    """SHAP values of every output of ``model`` for the coded rows ``codes`` (n, d).

    Args:
        background: (b, d) coded rows that define E[f]; every coalition is averaged over them.
        seed: seeds the permutation orders; the same seed gives the same values.
        estimator: "auto", "exact" or "permutation".
        permutations: feature orders per row for the permutation estimator.
    """
    shap = require("shap")
    d = codes.shape[1]
    chosen = choose_estimator(estimator, d)
    masker = shap.maskers.Independent(background, max_samples=len(background))
    predict = model.predict_codes
    if chosen == "exact":
        explainer = shap.explainers.Exact(predict, masker)
        result = explainer(codes, max_evals=2**d + 1, silent=True)
        evals = 2**d
    else:
        evals = permutations * (2 * d + 1)
        explainer = shap.explainers.Permutation(predict, masker, seed=seed)
        result = explainer(codes, max_evals=evals, error_bounds=True, silent=True)
    values = _as_3d(np.asarray(result.values, dtype=np.float64), len(codes), d)
    standard_error = np.zeros_like(values)
    if chosen == "permutation" and result.error_std is not None:
        spread = _as_3d(np.asarray(result.error_std, dtype=np.float64), len(codes), d)
        standard_error = spread / np.sqrt(2 * permutations)
    base = np.asarray(result.base_values, dtype=np.float64).reshape(len(codes), -1)[0]
    output = predict(codes).reshape(len(codes), -1)
    return ShapValues(values, base, output, standard_error, chosen, evals)


def _as_3d(values: np.ndarray, n: int, d: int) -> np.ndarray:
    return values.reshape(n, d, -1)
