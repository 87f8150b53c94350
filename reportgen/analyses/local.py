"""Local explanations: an audit sample of cases, each explained by SHAP and LIME."""

from __future__ import annotations

from typing import cast

import numpy as np

from reportgen.analyses.context import SALT_AUDIT, SALT_LIME, SALT_SHAP, Measure, ModelData
from reportgen.analyses.explain import Attribution, explain_lime, explain_shap
from reportgen.results.document import (
    CaseExplanation,
    Contribution,
    LocalExplanationsResult,
    MethodExplanation,
)


def stratified_sample(strata: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``size`` rows drawn without replacement, proportionally from each stratum.

    Every stratum gets at least one row when ``size`` allows it (largest remainders fill the
    rest). Returned sorted by stratum, then row, so the order does not depend on the draw.
    """
    labels, counts = np.unique(strata, return_counts=True)
    size = min(size, len(strata))
    share = size * counts / counts.sum()
    quota = np.minimum(counts, np.floor(share).astype(np.int64))
    if size >= len(labels):
        quota = np.maximum(quota, 1)
    while quota.sum() < size:  # largest remainder first, among strata with rows left
        quota[np.argmax(np.where(quota < counts, share - quota, -np.inf))] += 1
    while quota.sum() > size:  # only when the one-per-stratum floor overshoots
        quota[np.argmax(quota - share)] -= 1
    chosen = [
        np.sort(rng.choice(np.flatnonzero(strata == label), size=int(q), replace=False))
        for label, q in zip(labels, quota, strict=True)
    ]
    return np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)


def _strata(data: ModelData) -> np.ndarray:
    """Predicted class labels; for regressors, the tercile band of the predicted value."""
    outputs = data.predictions
    if data.model.classes:
        return np.asarray(data.model.classes, dtype=object)[outputs.argmax(axis=1)]
    cuts = np.quantile(outputs, [1 / 3, 2 / 3])
    bands = np.array(
        ["low predicted value", "middle predicted value", "high predicted value"], dtype=object
    )
    return bands[np.searchsorted(cuts, outputs, side="right")]


def run_local(data: ModelData) -> LocalExplanationsResult:
    """Draw the audit sample and explain each case with the policy's local methods."""
    spec = data.settings.local
    model = data.model
    strata = _strata(data)
    with Measure(model) as measure:
        rows = stratified_sample(strata, spec.sample_size, data.rng(SALT_AUDIT))
        codes = data.evaluation[rows]
        target = (
            data.predictions[rows].argmax(axis=1)
            if model.classes
            else np.zeros(len(rows), dtype=np.int64)
        )
        explained: list[Attribution] = []
        if "shap" in spec.methods:
            shap_values = explain_shap(
                model,
                codes,
                background=data.background,
                seed=data.sub_seed(SALT_SHAP),
                estimator=data.settings.shap.estimator,
                permutations=data.settings.shap.permutations,
            )
            explained.append(shap_values.select(target))
        if "lime" in spec.methods:
            explained.append(
                explain_lime(
                    model,
                    codes,
                    target=target,
                    background=data.reference,
                    seed=data.sub_seed(SALT_LIME),
                    num_samples=data.settings.lime.num_samples,
                )
            )
    cases = [
        _case(data, int(row), str(strata[row]), int(t), [(a, i) for a in explained], spec.top_k)
        for i, (row, t) in enumerate(zip(rows, target, strict=True))
    ]
    shap_details = next((a.details for a in explained if a.method == "shap"), {})
    labels, counts = np.unique(strata[rows], return_counts=True)
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
    stratum: str,
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
        stratum=stratum,
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
