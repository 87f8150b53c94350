"""C1 completeness: attributions add up to the prediction change they explain."""

from __future__ import annotations

from reportgen.analyses.checks.common import check_k, metric
from reportgen.analyses.context import Measure, ModelData
from reportgen.analyses.explain.attribution import PRECISION_ULPS, completeness_error
from reportgen.results.document import CheckResult

APPLIES_TO = ("shap", "ig")  # methods with a completeness property (LIME has none)


def run_completeness(data: ModelData) -> CheckResult:
    spec = data.checks.completeness
    model = data.model
    methods = [m for m in APPLIES_TO if m in data.explainers]
    with Measure(model) as measure:
        explained = {m: data.attribution(m) for m in methods}
    metrics = []
    for method, a in explained.items():
        tolerance = spec.shap_tolerance if method == "shap" else spec.ig_tolerance
        error = completeness_error(
            a.values, a.base, a.output, tolerance=tolerance, epsilon=model.epsilon
        )
        metrics.append(
            metric(method, "relative_error", error, threshold=tolerance, higher_is_better=False)
        )
    return CheckResult(
        check="completeness",
        code="C1",
        model=model.name,
        instances=len(data.check_rows),
        k=check_k(data),
        metrics=metrics,
        cost=measure.cost,
        notes=[
            "SHAP baseline: E[f] over the background; integrated gradients baseline: the "
            "encoded background mean.",
            precision_note(model.dtype, model.epsilon),
        ],
    )


def precision_note(dtype: str, epsilon: float) -> str:
    """How C1 allows for the model's rounding, in words."""
    return (
        f"The model computes in {dtype} (machine epsilon {epsilon:.2g}), so its outputs are "
        f"only that precise: the relative error is |sum of attributions - (f(x) - base)| "
        f"divided by the larger of |f(x) - base| and {PRECISION_ULPS:g} x epsilon x "
        "max(|f(x)|, |base|) / tolerance, i.e. a sum within that much rounding of the output "
        "passes whatever the tolerance."
    )
