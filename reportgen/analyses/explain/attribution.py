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
