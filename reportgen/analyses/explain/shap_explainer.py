"""Interventional SHAP values over raw features, computed for many rows at once.

Each raw feature is one player: masking it replaces its coded value with a background row's,
which for a one-hot encoded model replaces the whole encoded group. Two estimators, both exactly
additive (values sum to f(x) - E[f]), both our own NumPy implementations that call the model in
large batches (shap's explainers, called row by row, serve as the oracle in the tests):

* ``exact`` (:mod:`~reportgen.analyses.explain.shap_exact`): all 2^d coalitions, Shapley
  weighted, as shap's ExactExplainer (used for d <= EXACT_MAX_FEATURES);
* ``permutation`` (:mod:`~reportgen.analyses.explain.shap_permutation`): shap's
  PermutationExplainer estimator, the mean marginal contribution over antithetic feature orders;
  its budget is ``permutations`` orders per row (optionally stopping early once a row's standard
  error reaches ``target_error``) and its sampling error is estimated from the spread across
  passes.

KernelExplainer is deliberately not used: with its default ``l1_reg`` it keeps only ten features
and, at equal budget, it is further from the exact values than the permutation estimator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from reportgen.analyses.explain.attribution import Attribution
from reportgen.analyses.explain.shap_exact import exact_values
from reportgen.analyses.explain.shap_game import Game
from reportgen.analyses.explain.shap_permutation import permutation_values
from reportgen.errors import AnalysisError
from reportgen.inputs.models import ModelAdapter

EXACT_MAX_FEATURES = 10


@dataclass(frozen=True)
class ShapValues:
    """SHAP values for every model output.

    values (n, d, k), base (k,), output (n, k); k = 1 for regressors. ``standard_error``
    (n, d, k) is the permutation estimator's per-value standard error, zero for the exact
    estimator; ``orders`` (n,) the feature orders each row ran (0 for exact); ``evals_per_row``
    the budget, ``target_error`` the error at which a row stops early (None: never).
    """

    values: np.ndarray
    base: np.ndarray
    output: np.ndarray
    standard_error: np.ndarray
    orders: np.ndarray
    estimator: Literal["exact", "permutation"]
    evals_per_row: int
    target_error: float | None = None

    @property
    def additivity_error(self) -> np.ndarray:
        """(n, k) |sum of values + base - f(x)|."""
        return np.abs(self.values.sum(axis=1) + self.base - self.output)

    @property
    def row_error(self) -> np.ndarray:
        """(n,) each row's largest standard error (over features and outputs)."""
        return self.standard_error.max(axis=(1, 2), initial=0.0)

    @classmethod
    def from_rows(
        cls,
        rows: Mapping[str, Any],
        *,
        estimator: str,
        permutations: int,
        target_error: float | None,
    ) -> ShapValues:
        """The ShapValues of joined :func:`shap_task` outputs."""
        values = rows["values"]
        d = values.shape[1]
        chosen = choose_estimator(estimator, d)
        base = rows["base"][0] if len(values) else np.zeros(values.shape[2])
        return cls(
            values,
            base,
            rows["output"],
            rows["standard_error"],
            rows["orders"],
            chosen,
            budget(chosen, d, permutations),
            target_error if chosen == "permutation" else None,
        )

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


def budget(chosen: Literal["exact", "permutation"], d: int, permutations: int) -> int:
    """Coalitions evaluated per row: 2^d, or ``permutations`` antithetic orders of d features."""
    return 2**d if chosen == "exact" else permutations * (2 * d + 1)


def explain_shap(
    model: ModelAdapter,
    codes: np.ndarray,
    *,
    background: np.ndarray,
    seeds: np.ndarray,
    estimator: str = "auto",
    permutations: int = 10,
    target_error: float | None = None,
) -> ShapValues:
    """SHAP values of every output of ``model`` for the coded rows ``codes`` (n, d).

    Args:
        background: (b, d) coded rows that define E[f]; every coalition is averaged over them.
        seeds: (n,) one seed per row for the permutation orders: a row's values depend on its
            own seed only, so explaining it alone or among others gives the same numbers.
        estimator: "auto", "exact" or "permutation".
        permutations: feature orders per row for the permutation estimator (the most it runs).
        target_error: permutation estimator: a row stops drawing orders once its largest
            standard error is at most this (output units); None runs every order.
    """
    codes = np.asarray(codes, dtype=np.float64)
    d = codes.shape[1]
    chosen = choose_estimator(estimator, d)
    game = Game.of(model, background)
    if chosen == "exact":
        values, output = exact_values(game, codes)
        standard_error, orders = np.zeros_like(values), np.zeros(len(codes), dtype=np.int64)
    else:
        found = permutation_values(
            game, codes, seeds, permutations=permutations, target_error=target_error
        )
        values, output = found.values, found.output
        standard_error, orders = found.standard_error, found.orders
    return ShapValues(
        values,
        game.base,
        output,
        standard_error,
        orders,
        chosen,
        budget(chosen, d, permutations),
        target_error if chosen == "permutation" else None,
    )


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
        target_error=shared["target_error"],
    )
    n = len(found.values)
    return {
        "values": found.values,
        "standard_error": found.standard_error,
        "orders": found.orders,
        "output": found.output,
        "base": np.repeat(found.base[None, :], n, axis=0),
    }
