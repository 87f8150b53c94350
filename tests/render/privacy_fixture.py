"""The fixture document after the privacy gate: cohort families, suppression, a DP ledger.

Built on :func:`render_fixture.make_document`. Two suppressed cohorts carry the numbers the gate
would have removed (``HIDDEN``), to prove the report never shows them even if they leak into
the document; one cohort label carries ``<b>`` to prove the report escapes it.
"""

from __future__ import annotations

from render_fixture import MODEL, SHAP_VALUES, make_document

from reportgen.results.document import (
    Cohort,
    CohortResult,
    Cost,
    LedgerEntry,
    LocalExplanationsResult,
    MetricWithInterval,
    PrivacyReport,
    ResultDocument,
    Suppressed,
)

BOLD_LABEL = "other <b>"
REASON = "fewer than 11 people, or suppressed so that such a cohort cannot be derived"
"""The gate gives every suppressed cohort this one reason, so primary and complementary
suppression cannot be told apart."""
HIDDEN = {"under 25": (7.0, 0.5912), "65+": (23.0, 0.6034)}
"""Suppressed cohort -> (its true size, its true ROC AUC): numbers that must never appear."""
OVERALL_PROFILE = {feature: value for feature, (value, _) in SHAP_VALUES.items()}
RULES = [
    "Cohorts with fewer than 11 rows are suppressed.",
    "A cohort whose count could be derived from the totals is suppressed too "
    "(complementary suppression).",
    "Sensitive attributes appear only as cohort labels.",
    "Numeric values in audit cases are shown as ranges; values above the 98th percentile "
    "of the reference data are top-coded.",
    "Case identifiers are replaced by a keyed hash.",
]
# family, by, [(label, size, roc_auc, scale of each feature's weight)]
FAMILIES: list[tuple[str, str, list[tuple[str, float, float, dict[str, float]]]]] = [
    (
        "age band",
        "age",
        [
            ("25-44", 812.4, 0.8312, {"age": 0.6}),
            ("45-64", 1112.6, 0.8544, {"age": 1.5, "debt_ratio": 1.4}),
        ],
    ),
    (
        "predicted class",
        "predicted_class",
        [("good", 1466.0, 0.7915, {}), ("bad", 534.0, 0.8102, {"income": 0.5})],
    ),
    (
        "housing",
        "housing",
        [
            ("own", 1203.2, 0.8488, {}),
            ("rent", 640.9, 0.8236, {"housing": 4.0}),
            (BOLD_LABEL, 155.8, 0.7640, {"housing": 6.0, "purpose": 2.5, "income": 0.4}),
        ],
    ),
]


def _tv_distance(profile: dict[str, float]) -> float:
    """Total variation distance of a profile's shares from the overall profile's shares."""
    mine, total = sum(profile.values()), sum(OVERALL_PROFILE.values())
    return 0.5 * sum(abs(profile[f] / mine - OVERALL_PROFILE[f] / total) for f in profile)


def _cohort(label: str, size: float, auc: float, scale: dict[str, float], noised: bool) -> Cohort:
    profile = {f: round(v * scale.get(f, 1.0), 4) for f, v in OVERALL_PROFILE.items()}
    low, high = (None, None) if noised else (round(auc - 0.031, 4), round(auc + 0.029, 4))
    return Cohort(
        label=label,
        size=size if noised else float(round(size)),
        metrics=[
            MetricWithInterval(name="roc_auc", value=auc, low=low, high=high),
            MetricWithInterval(name="accuracy", value=round(auc - 0.06, 4)),
        ],
        profile=profile,
        top_features=sorted(profile, key=lambda f: -profile[f])[:3],
        distance=round(_tv_distance(profile), 4),
        profile_rows=200,
    )


def _hidden(label: str) -> Cohort:
    """A suppressed cohort that still carries its numbers, as if the gate had leaked them."""
    size, auc = HIDDEN[label]
    return Cohort(
        label=label,
        size=size,
        suppressed=REASON,
        metrics=[MetricWithInterval(name="roc_auc", value=auc, low=auc - 0.1, high=auc + 0.1)],
        profile=dict(OVERALL_PROFILE),
        top_features=["income"],
        distance=0.9,
    )


def cohort_results(*, noised: bool) -> list[CohortResult]:
    results = []
    for family, by, cohorts in FAMILIES:
        published = [
            _cohort(label, size, auc, scale, noised) for label, size, auc, scale in cohorts
        ]
        if family == "age band":
            published = [_hidden("under 25"), *published, _hidden("65+")]
        overall = _cohort("all rows", 2001.3 if noised else 2000.0, 0.8431, {}, noised)
        results.append(
            CohortResult(
                model=MODEL,
                family=family,
                by=by,
                overall=overall,
                cohorts=published,
                noised=noised,
                cost=Cost(model_rows=2000, model_calls=4, wall_seconds=1.2, model_seconds=0.8),
            )
        )
    return results


LEDGER = [
    LedgerEntry(
        statistic="count, age band", mechanism="Laplace", epsilon=0.1, sensitivity=1.0, scale=10.0
    ),
    LedgerEntry(
        statistic="ROC AUC, age band",
        mechanism="Laplace",
        epsilon=0.2,
        sensitivity=0.0125,
        scale=0.0625,
        bounds=[0.0, 1.0],
    ),
    LedgerEntry(
        statistic="mean |SHAP|, age band",
        mechanism="Laplace",
        epsilon=0.25,
        sensitivity=0.0025,
        scale=0.01,
        bounds=[0.0, 0.5],
    ),
]


def privacy_report(*, dp: bool, local_cases: bool) -> PrivacyReport:
    return PrivacyReport(
        min_cohort_size=11,
        rules=RULES,
        local_cases=local_cases,
        suppressed=[
            Suppressed(family="age band", model=MODEL, cohort="under 25", reason=REASON),
            Suppressed(family="age band", model=MODEL, cohort="65+", reason=REASON),
        ],
        dp_enabled=dp,
        epsilon=1.0 if dp else None,
        delta=1e-6 if dp else None,
        unit="one person's row in the evaluation data" if dp else None,
        epsilon_spent=0.55 if dp else 0.0,
        ledger=LEDGER if dp else [],
    )


def make_private_document(
    *, dp: bool = True, local_cases: bool = False, keep_cases: bool = False
) -> ResultDocument:
    """The fixture document with cohorts and the privacy gate's report.

    ``keep_cases``: leave the audit cases in even when ``local_cases`` is False, as a document
    written by a faulty gate would.
    """
    base = make_document()
    results = [
        r
        for r in base.results
        if local_cases or keep_cases or not isinstance(r, LocalExplanationsResult)
    ]
    return base.model_copy(
        update={
            "results": [*results, *cohort_results(noised=dp)],
            "privacy": privacy_report(dp=dp, local_cases=local_cases),
        }
    )
