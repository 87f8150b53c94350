"""A published reason codes result and its check C9, built by hand.

As the privacy gate publishes them: two first-reason counts suppressed (their true values,
``HIDDEN``, must never appear), a statement carrying ``<script>`` to prove the report escapes
it, one flagged proxy, two declined audit cases (one without a reason).
"""

from __future__ import annotations

from render_fixture import MODEL, SCRIPT

from reportgen.results.credit import (
    ProxyFinding,
    ReasonCase,
    ReasonCodesResult,
    ReasonCount,
    ReasonFamilyInfo,
    StatedReason,
)
from reportgen.results.document import CheckMetric, CheckResult, Cost, GateOutcome

WHY = "fewer than 11 people, or suppressed so that such a cohort cannot be derived"
HIDDEN = {"history": 7, "housing": 5}
"""Suppressed reason -> its true first-reason count: numbers the report must not show."""
FAMILIES = [
    ("debt", "Excessive obligations in relation to income", ["debt_ratio", "income"]),
    ("history", "Length of credit history", ["credit_history_months"]),
    ("purpose", f"Purpose of credit requested {SCRIPT}", ["purpose"]),
    ("housing", "Type of housing", ["housing"]),
]


def make_reason_codes(*, cases_withheld: bool = False, excluded: bool = False) -> ReasonCodesResult:
    return ReasonCodesResult(
        model=MODEL,
        adverse_class="default",
        cutoff=0.4,
        max_reasons=3,
        reference="near_cutoff",
        band=0.1,
        reference_rows=212,
        background_rows=100,
        reference_score=0.3487,
        estimator="permutation",
        evals_per_row=1400,
        additivity_max_error=3.1e-16,
        applicants=2000,
        declined=534,
        without_reason=0,
        reasons=[
            ReasonCount(reason="debt", statement=FAMILIES[0][1], principal=402, stated=511, rank=1),
            ReasonCount(
                reason="purpose", statement=FAMILIES[2][1], principal=120, stated=298, rank=2
            ),
            ReasonCount(
                reason="history",
                statement=FAMILIES[1][1],
                principal=None,
                stated=377,
                rank=None,
                suppressed=WHY,
            ),
            ReasonCount(
                reason="housing",
                statement=FAMILIES[3][1],
                principal=None,
                stated=None,
                rank=None,
                suppressed=WHY,
            ),
        ],
        families=[ReasonFamilyInfo(name=n, statement=s, features=f) for n, s, f in FAMILIES],
        excluded=["housing"] if excluded else [],
        proxy_measure="cramers_v",
        proxy_flag_at=0.3,
        proxy_bins=5,
        proxies=[
            ProxyFinding(feature="housing", sensitive="age", association=0.4123, flagged=True),
            ProxyFinding(feature="housing", sensitive="sex", association=0.1, flagged=False),
            ProxyFinding(feature="income", sensitive="sex", association=0.2201, flagged=False),
            ProxyFinding(feature="income", sensitive="age", association=0.1502, flagged=False),
            ProxyFinding(feature="purpose", sensitive="age", association=0.05, flagged=False),
        ],
        cases=[]
        if cases_withheld
        else [
            ReasonCase(
                case_id="case-1a2b3c4d5e",
                probability=0.6123,
                reasons=[
                    StatedReason(reason="debt", statement=FAMILIES[0][1], contribution=0.2012),
                    StatedReason(reason="purpose", statement=FAMILIES[2][1], contribution=0.0421),
                ],
            ),
            ReasonCase(case_id="case-9f8e7d6c5b", probability=0.4102, reasons=[]),
        ],
        cases_withheld=cases_withheld,
        cost=Cost(model_rows=5_000_000, model_calls=900, wall_seconds=9.5, model_seconds=4.2),
    )


def make_reason_check(share: float = 0.78) -> tuple[CheckResult, GateOutcome]:
    check = CheckResult(
        check="reason_stability",
        code="C9",
        model=MODEL,
        instances=50,
        k=3,
        metrics=[
            CheckMetric(method="shap", metric="reason_set_unchanged", median=share),
            CheckMetric(method="shap", metric="reason_set_unchanged_reruns", median=0.8),
            CheckMetric(
                method="shap~family_shapley", metric="reason_set_unchanged_estimators", median=0.94
            ),
        ],
        notes=[
            "Unstable reasons, with the applicants whose set they moved in or out of: history (6 of 50)."
        ],
        cost=Cost(model_rows=5_298_020, model_calls=1501, wall_seconds=2.6, model_seconds=2.0),
    )
    gate = GateOutcome(
        code="C9",
        check="reason_stability",
        model=MODEL,
        method="shap",
        status="warn",
        actual="78% of 50 declined applicants keep their reasons (80% across reruns, 94% with the second estimator)",
        expected=">= 90% (warn down to 75%)",
        meaning="Some declined applicants' principal reasons change with the seed or the estimator.",
    )
    return check, gate
