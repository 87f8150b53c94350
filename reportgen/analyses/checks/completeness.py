"""C1 completeness: attributions add up to the prediction change they explain."""

from __future__ import annotations

import numpy as np

from reportgen.analyses.checks.common import metric
from reportgen.analyses.context import Measure, ModelData
from reportgen.results.document import CheckResult

APPLIES_TO = ("shap", "ig")  # methods with a completeness property (LIME has none)


def relative_completeness_error(
    values: np.ndarray, base: np.ndarray, output: np.ndarray
) -> np.ndarray:
    """|sum(e) - (f(x) - f(x0))| / |f(x) - f(x0)| per row (the gap floored at 1e-6)."""
    gap = output - base
    return np.abs(values.sum(axis=1) - gap) / np.maximum(np.abs(gap), 1e-6)


def run_completeness(data: ModelData) -> CheckResult:
    spec = data.checks.completeness
    methods = [m for m in APPLIES_TO if m in data.explainers]
    with Measure(data.model) as measure:
        explained = {m: data.attribution(m) for m in methods}
    metrics = [
        metric(
            m,
            "relative_error",
            relative_completeness_error(a.values, a.base, a.output),
            threshold=spec.shap_tolerance if m == "shap" else spec.ig_tolerance,
            higher_is_better=False,
        )
        for m, a in explained.items()
    ]
    return CheckResult(
        check="completeness",
        code="C1",
        model=data.model.name,
        instances=len(data.check_rows),
        k=data.checks.top_k,
        metrics=metrics,
        cost=measure.cost,
        notes=[
            "SHAP baseline: E[f] over the background; integrated gradients baseline: the "
            "encoded background mean."
        ],
    )
