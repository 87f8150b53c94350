"""Local explanations: an audit sample of cases, each explained by SHAP and LIME."""

from __future__ import annotations

from typing import cast

import numpy as np

from reportgen.analyses.context import Measure, ModelData
from reportgen.analyses.explain import Attribution
from reportgen.results.document import (
    CaseExplanation,
    Contribution,
    LocalExplanationsResult,
    MethodExplanation,
)


def run_local(data: ModelData) -> LocalExplanationsResult:
    """Explain the audit sample with the policy's local methods; show the displayed cases.

    The attributions cover the whole check sample (the displayed cases come first), so the trust
    checks reuse them instead of recomputing.
    """
    spec = data.settings.local
    model = data.model
    rows = data.display_rows
    with Measure(model) as measure:
        explained = [data.attribution(method) for method in spec.methods]
    target = data.targets(rows)
    cases = [
        _case(data, int(row), int(t), [(a, i) for a in explained], spec.top_k)
        for i, (row, t) in enumerate(zip(rows, target, strict=True))
    ]
    shap_details = next((a.details for a in explained if a.method == "shap"), {})
    labels, counts = np.unique(data.strata[rows], return_counts=True)
    return LocalExplanationsResult(
        model=model.name,
        methods=list(spec.methods),
        sample_size=len(rows),
        top_k=spec.top_k,
        strata={str(label): int(c) for label, c in zip(labels, counts, strict=True)},
        shap_estimator=cast(str, shap_details["estimator"]) if shap_details else None,
        shap_evals_per_row=cast(int, shap_details["evals_per_row"]) if shap_details else None,
        lime_num_samples=data.settings.lime.num_samples if "lime" in spec.methods else None,
        cases=cases,
        cost=measure.cost,
    )


def _case(
    data: ModelData,
    row: int,
    target: int,
    explained: list[tuple[Attribution, int]],
    top_k: int,
) -> CaseExplanation:
    model = data.model
    codes = data.evaluation[row]
    predicted = model.classes[target] if model.classes else f"{float(data.predictions[row]):.6g}"
    first, i = explained[0]
    return CaseExplanation(
        case_id=str(data.ids[row]),
        stratum=str(data.strata[row]),
        predicted=predicted,
        explained_output=data.output_name(target if model.classes else None),
        output_value=float(first.output[i]),
        explanations=[_method(data, attribution, i, codes, top_k) for attribution, i in explained],
    )


def _method(
    data: ModelData, attribution: Attribution, i: int, codes: np.ndarray, top_k: int
) -> MethodExplanation:
    values = attribution.values[i]
    order = sorted(range(len(values)), key=lambda j: (-abs(float(values[j])), j))[:top_k]
    rules = attribution.conditions[i] if attribution.conditions is not None else {}
    top = [
        Contribution(
            feature=data.model.feature_names[j],
            value=data.model.codec.display_value(j, float(codes[j])),
            contribution=float(values[j]),
            condition=rules.get(j),
        )
        for j in order
    ]
    return MethodExplanation(
        method="shap" if attribution.method == "shap" else "lime",
        base_value=float(attribution.base[i]),
        fit_quality=float(attribution.fit[i]),
        top=top,
    )
