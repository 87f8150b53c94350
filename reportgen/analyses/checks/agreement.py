"""C6 method agreement: do different explanation methods name the same top features and signs?"""

from __future__ import annotations

import numpy as np

from reportgen.analyses.checks.common import check_k, metric
from reportgen.analyses.checks.metrics import (
    chance_feature_agreement,
    chance_sign_agreement,
    feature_agreement,
    rank_agreement,
    rank_correlation,
    sign_agreement,
    top_k,
)
from reportgen.analyses.context import Measure, ModelData
from reportgen.results.document import CaseCaveat, CheckMetric, CheckResult

# Pairs of the same family (removal semantics), primary first; each is also run against chance.
PAIRS = (("shap", "lime"), ("shap", "ig"))


def run_agreement(data: ModelData) -> CheckResult:
    spec = data.checks.agreement
    k, d = check_k(data), data.evaluation.shape[1]
    pairs = [(a, b) for a, b in PAIRS if a in data.explainers and b in data.explainers]
    pairs += [("shap" if "shap" in data.explainers else next(iter(data.explainers)), "random")]
    metrics: list[CheckMetric] = []
    caveats: list[CaseCaveat] = []
    with Measure(data.model) as measure:
        for a, b in pairs:
            first, second = data.attribution(a).values, data.attribution(b).values
            name = f"{a}~{b}"
            metrics += [
                metric(
                    name,
                    "feature_agreement",
                    feature_agreement(first, second, k),
                    threshold=spec.fa_min,
                    chance=chance_feature_agreement(k, d),
                ),
                metric(
                    name,
                    "sign_agreement",
                    sign_agreement(first, second, k),
                    threshold=spec.sa_min,
                    chance=chance_sign_agreement(k, d),
                ),
                metric(name, "rank_agreement", rank_agreement(first, second, k), chance=1 / d),
                metric(name, "rank_correlation", rank_correlation(first, second), chance=0.0),
            ]
            if b != "random":
                caveats += _shared_reasons(data, name, first, second)
    return CheckResult(
        check="method_agreement",
        code="C6",
        model=data.model.name,
        instances=len(data.check_rows),
        k=k,
        metrics=metrics,
        caveats=caveats,
        cost=measure.cost,
        notes=[
            "Rank agreement and rank correlation are reported, not gated: small magnitude "
            "differences reorder features even between well-matched methods."
        ],
    )


def _shared_reasons(data: ModelData, pair: str, a: np.ndarray, b: np.ndarray) -> list[CaseCaveat]:
    """For each displayed case: its top features cited by both methods with the same sign."""
    k = check_k(data)
    names = data.model.feature_names
    caveats = []
    for i, row in enumerate(data.display_rows):
        shown = top_k(a[i], k)
        shared = set(top_k(b[i], k).tolist())
        agree = [j for j in shown if j in shared and np.sign(a[i, j]) == np.sign(b[i, j])]
        if len(agree) < k:
            caveats.append(
                CaseCaveat(
                    case_id=str(data.ids[row]),
                    method=pair,
                    reliable=[names[j] for j in agree],
                    unreliable=[names[j] for j in shown if j not in agree],
                )
            )
    return caveats
