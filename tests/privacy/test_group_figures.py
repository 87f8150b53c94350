"""Issue #11: fair-lending and calibration figures per group pass the privacy gate like cohorts.

Small groups are suppressed with complementary suppression, groups labelled by values from the
data are merged and never named, nothing is compared with a suppressed reference group, a gap is
decomposed only between published groups, small bins of the reliability diagram cannot be worked
out from the approval and predicted-class counts other results publish, and the gate refuses
either result under any other rule (it fails closed).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from reportgen.errors import PrivacyError
from reportgen.policy import load_policy
from reportgen.policy.schema import Policy
from reportgen.privacy.families import OTHER_VALUES
from reportgen.privacy.gate import PrivacyGate
from reportgen.privacy.group_figures import GAP_SUPPRESSED, REFERENCE_SUPPRESSED
from reportgen.privacy.rules import PrivacyRule
from reportgen.privacy.suppression import reason, suppress
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
from reportgen.results.document import Cost, MetricWithInterval
from tests.conftest import ROOT

CREDIT = ROOT / "examples" / "credit" / "data"
COST = Cost(model_rows=0, model_calls=0, wall_seconds=0.0, model_seconds=0.0)
SUPPRESSED = reason(11)
# data-labelled groups: two too small or protecting the small one; their names must never show
STATUS = {"single": 166, "female": 104, "married": 20, "divorced": 10}
AGE = {"<25": 46, "25\u201335": 124, "35\u201350": 93, "50\u201365": 33, "65+": 4}
RATES = {"single": 0.71, "female": 0.63, "married": 0.437, "divorced": 0.219}
AGE_RATES = {"<25": 0.6, "25\u201335": 0.7, "35\u201350": 0.8, "50\u201365": 0.333, "65+": 0.25}


def _metric(name: str, value: float) -> MetricWithInterval:
    return MetricWithInterval(name=name, value=value, low=value - 0.01, high=value + 0.01)


def _groups(
    sizes: dict[str, int], rates: dict[str, float], reference: str
) -> list[FairLendingGroup]:
    return [
        FairLendingGroup(
            label=label,
            size=size,
            reference=label == reference,
            approval_rate=_metric("approval_rate", rates[label]),
            adverse_impact_ratio=None
            if label == reference
            else _metric("adverse_impact_ratio", rates[label] / rates[reference]),
            mean_score=1 - rates[label],
            standardized_mean_difference=None
            if label == reference
            else _metric("standardized_mean_difference", rates[reference] - rates[label]),
        )
        for label, size in sizes.items()
    ]


def _gap(group: str, compared: str) -> GapDecomposition:
    contributions = [FeatureContribution(feature="duration_in_month", contribution=0.123, rank=1)]
    return GapDecomposition(
        group=group,
        compared_with=compared,
        rows="all",
        group_rows=STATUS.get(group, 0),
        compared_rows=STATUS.get(compared, 0),
        gap=0.123,
        gap_all_rows=0.123,
        residual=0.0,
        contributions=contributions,
    )


def fair_lending(age_reference: str = "35\u201350") -> FairLendingResult:
    """What the analysis hands the gate: every group, however small."""
    status = AttributeFairness(
        attribute="personal_status_and_sex",
        bands=None,
        reference="single",
        reference_rule="highest_approval_rate",
        groups=_groups(STATUS, RATES, "single"),
        decomposition=_gap("divorced", "single"),
    )
    age = AttributeFairness(
        attribute="age_in_years",
        bands=[25, 35, 50, 65],
        reference=age_reference,
        reference_rule="policy",
        groups=_groups(AGE, AGE_RATES, age_reference),
        decomposition=_gap("<25", age_reference),
    )
    return FairLendingResult(
        model="credit-mlp",
        adverse_class="bad",
        cutoff=0.5,
        score="probability of class 'bad'",
        rows=300,
        air_fail_below=0.8,
        air_warn_below=0.9,
        bootstrap=100,
        attributes=[status, age],
        cost=COST,
    )


def _figures(label: str, size: int) -> CalibrationFigures:
    return CalibrationFigures(
        label=label,
        size=size,
        expected_calibration_error=_metric("expected_calibration_error", 0.05),
        brier_score=_metric("brier_score", 0.17),
    )


# bins on each side of 0.5: the lower side's 0.4-0.5 (12) is the smallest bin of 11 or more, so
# suppressing over all bins at once would protect 0.9-1.0 (4) with it, and the predicted-class
# counts (rows at or above 0.5) would give 0.9-1.0 away
BINS = [(0.0, 0.1, 60), (0.1, 0.2, 70), (0.2, 0.3, 50), (0.3, 0.4, 40), (0.4, 0.5, 12)]
BINS += [(0.5, 0.6, 20), (0.6, 0.7, 17), (0.7, 0.8, 15), (0.8, 0.9, 14), (0.9, 1.0, 4)]


def calibration() -> CalibrationResult:
    reliability = [
        ReliabilityBin(low=low, high=high, count=n, mean_predicted=low + 0.05, observed_rate=0.5)
        for low, high, n in BINS
    ]
    return CalibrationResult(
        model="credit-mlp",
        adverse_class="bad",
        score="probability of class 'bad'",
        rows=300,
        bins=10,
        thresholds=[0.5],
        bootstrap=100,
        overall=_figures("all rows", 300),
        reliability=reliability,
        attributes=[
            CalibrationGroups(
                attribute="personal_status_and_sex",
                bands=None,
                groups=[_figures(label, n) for label, n in STATUS.items()],
            )
        ],
        cost=COST,
    )


def _gate(tmp_path: Path, policy: Policy | None = None) -> PrivacyGate:
    policy = policy or load_policy(ROOT / "policies" / "credit.yaml").policy
    reference = pd.read_csv(CREDIT / "reference.csv")
    evaluation = pd.read_csv(CREDIT / "evaluation.csv")
    return PrivacyGate(policy, reference=reference, evaluation=evaluation, key_dir=tmp_path)


def _published(tmp_path: Path) -> tuple[PrivacyGate, FairLendingResult]:
    gate = _gate(tmp_path)
    admitted = gate.admit(fair_lending(), PrivacyRule.FAIR_LENDING)
    assert isinstance(admitted, FairLendingResult)
    return gate, admitted


def test_values_from_the_data_of_small_groups_are_never_named_nor_their_figures(tmp_path) -> None:
    gate, admitted = _published(tmp_path)
    status = admitted.attributes[0]
    assert [(g.label, g.size, g.suppressed) for g in status.groups] == [
        ("single", 166, None),
        ("female", 104, None),
        (OTHER_VALUES, None, SUPPRESSED),
    ]
    text = json.dumps(admitted.model_dump(mode="json"))
    for hidden in ("married", "divorced", "0.437", "0.219", "0.563", "0.781"):
        assert hidden not in text
    listed = [(s.family, s.cohort) for s in gate.suppressed]
    assert ("fair lending: personal_status_and_sex", OTHER_VALUES) in listed
    assert not any("married" in c or "divorced" in c for _, c in listed)


def test_a_gap_involving_a_suppressed_group_is_not_decomposed(tmp_path) -> None:
    _, admitted = _published(tmp_path)
    status, age = admitted.attributes
    assert status.decomposition is None and status.notes == [GAP_SUPPRESSED]
    assert age.decomposition is not None and age.decomposition.group == "<25"


def test_declared_bands_show_their_labels_but_no_figure_once_suppressed(tmp_path) -> None:
    _, admitted = _published(tmp_path)
    age = admitted.attributes[1]
    assert [(g.label, g.size) for g in age.groups] == [
        ("<25", 46),
        ("25\u201335", 124),
        ("35\u201350", 93),
        ("50\u201365", None),  # complementary: with 65+ alone, 300 - published would give it away
        ("65+", None),
    ]
    hidden = [g for g in age.groups if g.size is None]
    assert all(g.approval_rate is None and g.adverse_impact_ratio is None for g in hidden)
    assert sum(AGE[g.label] for g in hidden) >= 11  # together they describe 11 or more people
    young = age.groups[0]
    assert young.adverse_impact_ratio is not None and age.reference == "35\u201350"


def test_nothing_is_compared_with_a_suppressed_reference_group(tmp_path) -> None:
    admitted = _gate(tmp_path).admit(fair_lending(age_reference="65+"), PrivacyRule.FAIR_LENDING)
    assert isinstance(admitted, FairLendingResult)
    age = admitted.attributes[1]
    assert age.reference is None and REFERENCE_SUPPRESSED in age.notes
    shown = [g for g in age.groups if g.size is not None]
    assert shown and all(g.approval_rate is not None for g in shown)
    assert all(
        g.adverse_impact_ratio is None and g.standardized_mean_difference is None for g in shown
    )
    assert all(not g.reference for g in age.groups)
    assert age.decomposition is None


def test_calibration_suppresses_the_same_groups_as_fair_lending(tmp_path) -> None:
    gate = _gate(tmp_path)
    admitted = gate.admit(calibration(), PrivacyRule.CALIBRATION)
    assert isinstance(admitted, CalibrationResult)
    groups = admitted.attributes[0].groups
    assert [(g.label, g.size) for g in groups] == [
        ("single", 166),
        ("female", 104),
        (OTHER_VALUES, None),
    ]
    assert groups[2].expected_calibration_error is None and groups[2].brier_score is None
    assert admitted.overall.size == 300


def test_small_bins_cannot_be_worked_out_from_the_counts_on_each_side_of_the_cutoff(
    tmp_path,
) -> None:
    naive = suppress({f"{low}": n for low, _, n in BINS}, minimum=11)
    assert set(naive.suppressed) == {"0.9", "0.4"}  # the trap: 0.9-1.0 = predicted bad - shown
    admitted = _gate(tmp_path).admit(calibration(), PrivacyRule.CALIBRATION)
    assert isinstance(admitted, CalibrationResult)
    shown = {(b.low, b.high): b.count for b in admitted.reliability}
    assert shown[(0.4, 0.5)] == 12  # the lower side needs no protection
    above = [((low, high), n) for low, high, n in BINS if low >= 0.5]
    hidden = [n for key, n in above if shown[key] is None]
    assert len(hidden) >= 2 and sum(hidden) >= 11
    # what a reader learns from the rows at or above 0.5 (the predicted-bad count) is their sum
    assert sum(n for _, n in above) - sum(shown[key] or 0 for key, _ in above) == sum(hidden)
    suppressed_bins = [b for b in admitted.reliability if b.count is None]
    assert all(b.mean_predicted is None and b.observed_rate is None for b in suppressed_bins)


@pytest.mark.parametrize(
    ("result", "rule"),
    [
        (fair_lending(), PrivacyRule.AGGREGATE),
        (fair_lending(), PrivacyRule.COHORTS),
        (fair_lending(), PrivacyRule.CALIBRATION),
        (calibration(), PrivacyRule.AGGREGATE),
        (calibration(), PrivacyRule.FAIR_LENDING),
        (calibration(), None),
    ],
)
def test_the_gate_refuses_either_result_under_another_rule(tmp_path, result, rule) -> None:
    with pytest.raises(PrivacyError, match="has no privacy rule that fits it"):
        _gate(tmp_path).admit(result, rule)


def test_under_differential_privacy_both_are_withheld_and_listed(tmp_path) -> None:
    policy = load_policy(ROOT / "policies" / "credit.yaml").policy
    privacy = policy.privacy.model_copy(
        update={
            "differential_privacy": policy.privacy.differential_privacy.model_copy(
                update={"enabled": True}
            )
        }
    )
    gate = _gate(tmp_path, policy.model_copy(update={"privacy": privacy}))
    assert gate.admit(fair_lending(), PrivacyRule.FAIR_LENDING) is None
    assert gate.admit(calibration(), PrivacyRule.CALIBRATION) is None
    assert [(s.family, s.cohort) for s in gate.suppressed] == [
        ("fair lending", "all cohorts"),
        ("calibration", "all cohorts"),
    ]
