"""Fair-lending and calibration results as the privacy gate publishes them, built by hand.

Built on :func:`render_fixture.make_document`: an age attribute whose youngest band fails the
four-fifths rule, a status attribute with a suppressed ``(other values)`` row, and a calibration
result with one suppressed reliability bin. One group label carries ``<b>`` to prove the report
escapes it.
"""

from __future__ import annotations

from render_fixture import MODEL, make_document

from reportgen.results.credit import (
    AttributeFairness,
    CalibrationFigures,
    CalibrationGroups,
    CalibrationResult,
    FairLendingGroup,
    FairLendingResult,
    FeatureContribution,
    GapDecomposition,
    ReliabilityBin,
)
from reportgen.results.document import Cost, GateOutcome, MetricWithInterval, ResultDocument

REASON = "fewer than 11 people, or suppressed so that such a cohort cannot be derived"
BOLD = "single <b>"
COST = Cost(model_rows=5600, model_calls=12, wall_seconds=1.8, model_seconds=0.4)
FEATURES = [f"feature_{i:02d}" for i in range(14)]


def _m(name: str, value: float, low: float, high: float) -> MetricWithInterval:
    return MetricWithInterval(name=name, value=value, low=low, high=high)


def _group(
    label: str, size: int, rate: float, air: float | None, smd: float | None
) -> FairLendingGroup:
    return FairLendingGroup(
        label=label,
        size=size,
        reference=air is None,
        approval_rate=_m("approval_rate", rate, rate - 0.07, rate + 0.07),
        adverse_impact_ratio=None
        if air is None
        else _m("adverse_impact_ratio", air, air - 0.12, air + 0.1),
        mean_score=0.55 - rate / 2,
        standardized_mean_difference=None
        if smd is None
        else _m("standardized_mean_difference", smd, smd - 0.2, smd + 0.2),
    )


def _gap() -> GapDecomposition:
    values = [
        0.041,
        -0.022,
        0.018,
        0.012,
        -0.009,
        0.007,
        0.006,
        -0.005,
        0.004,
        0.003,
        0.002,
        -0.002,
        0.001,
        0.0005,
    ]
    contributions = [
        FeatureContribution(feature=name, contribution=value, rank=rank)
        for rank, (name, value) in enumerate(zip(FEATURES, values, strict=True), 1)
    ]
    total = sum(values)
    return GapDecomposition(
        group="<25",
        compared_with="35\u201350",
        rows="all",
        group_rows=46,
        compared_rows=93,
        gap=total,
        gap_all_rows=total,
        residual=2.0e-17,
        contributions=contributions,
    )


def fair_lending() -> FairLendingResult:
    age = AttributeFairness(
        attribute="age_in_years",
        bands=[25, 35, 50, 65],
        reference="35\u201350",
        reference_rule="highest_approval_rate",
        groups=[
            _group("<25", 46, 0.52, 0.72, 0.41),
            _group("25\u201335", 124, 0.66, 0.92, 0.12),
            _group("35\u201350", 93, 0.72, None, None),
            FairLendingGroup(label="50\u201365", size=None, suppressed=REASON),
            FairLendingGroup(label="65+", size=None, suppressed=REASON),
        ],
        decomposition=_gap(),
    )
    status = AttributeFairness(
        attribute="personal_status_and_sex",
        bands=None,
        reference=BOLD,
        reference_rule="highest_approval_rate",
        groups=[
            _group(BOLD, 166, 0.7, None, None),
            _group("female : divorced/separated/married", 104, 0.63, 0.9, 0.15),
            FairLendingGroup(label="(other values)", size=None, suppressed=REASON),
        ],
        notes=["The score gap is not decomposed: one of its two groups is suppressed."],
    )
    return FairLendingResult(
        model=MODEL,
        adverse_class="bad",
        cutoff=0.5,
        score="probability of class 'bad'",
        rows=300,
        air_fail_below=0.8,
        air_warn_below=0.9,
        bootstrap=1000,
        attributes=[age, status],
        cost=COST,
    )


def calibration() -> CalibrationResult:
    counts = [52, 61, 48, 35, 24, 21, 19, 16, None, None]
    bins = [
        ReliabilityBin(
            low=i / 10,
            high=(i + 1) / 10,
            count=n,
            mean_predicted=i / 10 + 0.05,
            observed_rate=min(1.0, i / 10 + 0.02),
        )
        if n is not None
        else ReliabilityBin(low=i / 10, high=(i + 1) / 10, count=None, suppressed=REASON)
        for i, n in enumerate(counts)
    ]
    figures = CalibrationFigures(
        label="all rows",
        size=300,
        expected_calibration_error=_m("expected_calibration_error", 0.061, 0.04, 0.097),
        brier_score=_m("brier_score", 0.168, 0.149, 0.188),
    )
    groups = CalibrationGroups(
        attribute="age_in_years",
        bands=[25, 35, 50, 65],
        groups=[
            figures.model_copy(update={"label": "<25", "size": 46}),
            CalibrationFigures(label="65+", size=None, suppressed=REASON),
        ],
    )
    return CalibrationResult(
        model=MODEL,
        adverse_class="bad",
        score="probability of class 'bad'",
        rows=300,
        bins=10,
        thresholds=[0.5],
        bootstrap=1000,
        overall=figures,
        reliability=bins,
        attributes=[groups],
        cost=COST,
    )


def air_gates(age: str = "fail", status: str = "pass") -> list[GateOutcome]:
    return [
        GateOutcome(
            code="AIR",
            check="adverse_impact",
            model=MODEL,
            method=attribute,
            status=verdict,  # type: ignore[arg-type]
            actual=f"lowest AIR {air}",
            expected="every group's AIR against the reference >= 0.8 (fail below), >= 0.9 (warn below)",
            meaning=f"Meaning for {attribute}.",
        )
        for attribute, verdict, air in (
            ("age_in_years", age, "0.72"),
            ("personal_status_and_sex", status, "0.90"),
        )
    ]


def make_credit_document(**statuses: str) -> ResultDocument:
    doc = make_document()
    return doc.model_copy(
        update={
            "results": [*doc.results, fair_lending(), calibration()],
            "gates": [*doc.gates, *air_gates(**statuses)],
        }
    )
