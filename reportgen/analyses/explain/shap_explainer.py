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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

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

    @classmethod
    def from_rows(cls, rows: Mapping[str, Any], *, estimator: str, permutations: int) -> ShapValues:
        """The ShapValues of joined :func:`shap_task` outputs."""
        values = rows["values"]
        d = values.shape[1]
        chosen = choose_estimator(estimator, d)
        evals = 2**d if chosen == "exact" else permutations * (2 * d + 1)
        base = rows["base"][0] if len(values) else np.zeros(values.shape[2])
        return cls(values, base, rows["output"], rows["standard_error"], chosen, evals)

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
    seeds: np.ndarray,
    estimator: str = "auto",
    permutations: int = 10,
) -> ShapValues:
    """SHAP values of every output of ``model`` for the coded rows ``codes`` (n, d).

    Args:
        background: (b, d) coded rows that define E[f]; every coalition is averaged over them.
        seeds: (n,) one seed per row for the permutation orders: a row's values depend on its
            own seed only, so explaining it alone or among others gives the same numbers.
        estimator: "auto", "exact" or "permutation".
        permutations: feature orders per row for the permutation estimator.
    """
    shap = require("shap")
    n, d = codes.shape
    chosen = choose_estimator(estimator, d)
    masker = shap.maskers.Independent(background, max_samples=len(background))
    predict = model.predict_codes
    if chosen == "exact":
        evals = 2**d
        explainer = shap.explainers.Exact(predict, masker)
        results = [explainer(codes[i : i + 1], max_evals=evals + 1, silent=True) for i in range(n)]
    else:
        evals = permutations * (2 * d + 1)
        explainer = shap.explainers.Permutation(predict, masker)
        results = []
        for i in range(n):
            np.random.seed(int(seeds[i]) % 2**32)  # shap draws its orders from numpy's global RNG
            results.append(
                explainer(codes[i : i + 1], max_evals=evals, error_bounds=True, silent=True)
            )
    values = np.concatenate([_as_3d(np.asarray(r.values, dtype=np.float64), d) for r in results])
    standard_error = np.zeros_like(values)
    if chosen == "permutation":
        spread = [_as_3d(np.asarray(r.error_std, dtype=np.float64), d) for r in results]
        standard_error = np.concatenate(spread) / np.sqrt(2 * permutations)
    base = np.asarray(results[0].base_values, dtype=np.float64).reshape(-1) if n else np.zeros(0)
    output = predict(codes).reshape(n, -1)
    return ShapValues(values, base, output, standard_error, chosen, evals)


def _as_3d(values: np.ndarray, d: int) -> np.ndarray:
    """shap's (rows, d) or (rows, d, outputs) as (rows, d, outputs)."""
    return values.reshape(values.shape[0], d, -1)


def shap_task(
    model: ModelAdapter, shared: Mapping[str, Any], rows: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """SHAP values of a shard of rows (one seed each): the task a runner ships anywhere."""
    found = explain_shap(
        model,
        rows["codes"],
        background=shared["background"],
        seeds=rows["seed"],
        estimator=shared["estimator"],
        permutations=shared["permutations"],
    )
    n = len(found.values)
    return {
        "values": found.values,
        "standard_error": found.standard_error,
        "output": found.output,
        "base": np.repeat(found.base[None, :], n, axis=0),
    }
