"""Issue #11: the AIR gate passes, warns and fails at the edges of the policy's bands.

Each attribute gets one gate judged by its lowest published AIR: below ``air_fail_below`` it
fails (the four-fifths rule), below ``air_warn_below`` it warns, at or above that it passes. The
bands come from the result (the policy's, recorded when the analysis ran). An attribute with no
ratio to judge warns (it cannot be assessed), a reference approving nobody is an error.
"""

from __future__ import annotations

import pytest

from reportgen import kinds
from reportgen.conditions import evaluate_gates
from reportgen.conditions_credit import judge_fair_lending
from reportgen.policy.checks import ChecksSpec
from reportgen.results.credit import AttributeFairness, FairLendingGroup, FairLendingResult
from reportgen.results.document import Cost, MetricWithInterval

COST = Cost(model_rows=0, model_calls=0, wall_seconds=0.0, model_seconds=0.0)


def _result(
    *airs: float | None, fail: float = 0.8, warn: float = 0.9, **changes
) -> FairLendingResult:
    groups = [FairLendingGroup(label="ref", size=100, reference=True)]
    groups += [
        FairLendingGroup(
            label=f"g{i}",
            size=50,
            adverse_impact_ratio=MetricWithInterval(
                name="adverse_impact_ratio",
                value=air,
                low=None if air is None else air - 0.1,
                high=None if air is None else air + 0.1,
            ),
        )
        for i, air in enumerate(airs)
    ]
    attribute = AttributeFairness(
        attribute="age_in_years",
        bands=[25.0],
        reference="ref",
        reference_rule="highest_approval_rate",
        groups=groups,
    ).model_copy(update=changes)
    return FairLendingResult(
        model="m",
        adverse_class="bad",
        cutoff=0.5,
        score="p",
        rows=200,
        air_fail_below=fail,
        air_warn_below=warn,
        bootstrap=10,
        attributes=[attribute],
        cost=COST,
    )


def _status(result: FairLendingResult) -> str:
    (gate,) = judge_fair_lending(result, ChecksSpec())
    return gate.status


@pytest.mark.parametrize(
    ("air", "expected"),
    [
        (0.95, "pass"),
        (0.9, "pass"),  # at the warning edge: passes
        (0.8999, "warn"),
        (0.8, "warn"),  # at the four-fifths line: not below it
        (0.7999, "fail"),
        (0.3, "fail"),
        (1.4, "pass"),  # approved more often than the reference
    ],
)
def test_the_air_gate_at_the_band_edges(air: float, expected: str) -> None:
    assert _status(_result(air)) == expected


def test_the_lowest_ratio_decides_and_the_bands_are_the_results() -> None:
    assert _status(_result(0.95, 0.85, 1.1)) == "warn"
    assert _status(_result(0.85, fail=0.7, warn=0.85)) == "pass"
    assert _status(_result(0.85, fail=0.9, warn=0.95)) == "fail"
    (gate,) = judge_fair_lending(_result(0.95, 0.72), ChecksSpec())
    assert (gate.code, gate.check, gate.method) == ("AIR", "adverse_impact", "age_in_years")
    assert gate.actual == "lowest AIR 0.72 (95% interval 0.62 to 0.82): g1 against ref"
    assert gate.expected == (
        "every group's AIR against the reference >= 0.8 (fail below), >= 0.9 (warn below)"
    )
    assert gate.meaning.startswith(
        "Applicants in group g1 are approved only 72% as often as those in ref, below the "
        "four-fifths line: evidence of adverse impact on a prohibited basis (age in years)."
    )
    # its interval (0.62 to 0.82) neither reaches parity nor lies wholly below the line
    assert gate.meaning.endswith("that no less discriminatory alternative would meet.")


def test_the_meaning_says_when_the_interval_reaches_parity() -> None:
    (wide,) = judge_fair_lending(_result(0.95, 0.92), ChecksSpec())
    assert wide.status == "pass" and "interval" not in wide.meaning
    low = _result(0.72)
    group = low.attributes[0].groups[1]
    reaching = group.model_copy(
        update={
            "adverse_impact_ratio": group.adverse_impact_ratio.model_copy(update={"high": 1.01})
        }  # type: ignore[union-attr]
    )
    attribute = low.attributes[0].model_copy(
        update={"groups": [low.attributes[0].groups[0], reaching]}
    )
    (gate,) = judge_fair_lending(low.model_copy(update={"attributes": [attribute]}), ChecksSpec())
    assert gate.status == "fail"
    assert gate.meaning.endswith(
        "Its 95% interval (0.62 to 1.01) reaches parity, so on this sample the shortfall could be "
        "chance: confirm it on more applicants."
    )
    below = _result(0.6)  # interval 0.5 to 0.7
    (gate,) = judge_fair_lending(below, ChecksSpec())
    assert gate.meaning.endswith("Its 95% interval (0.50 to 0.70) lies wholly below the line.")


def test_an_attribute_without_a_published_comparison_warns_that_it_is_not_judged() -> None:
    no_reference = _result(0.5, reference=None)
    only_reference = _result(groups=[FairLendingGroup(label="ref", size=300, reference=True)])
    for result in (no_reference, only_reference):
        (gate,) = judge_fair_lending(result, ChecksSpec())
        assert gate.status == "warn" and gate.actual == "not judged: no ratio can be published"
        assert "cannot say whether approval rates differ by age in years" in gate.meaning


def test_a_reference_that_approves_nobody_is_an_error() -> None:
    (gate,) = judge_fair_lending(_result(None), ChecksSpec())
    assert gate.status == "error" and "approves nobody" in gate.meaning


def test_evaluate_gates_judges_a_kind_of_result_with_its_own_judge() -> None:
    result = _result(0.7)
    assert evaluate_gates([result], ChecksSpec()) == []  # by default only the trust checks
    registry = kinds.registry()
    assert registry["fair_lending"].judge is judge_fair_lending
    assert registry["calibration"].judge is None  # reported, not gated
    (gate,) = evaluate_gates([result], ChecksSpec(), lambda r: registry[r.kind].judge)
    assert gate.status == "fail"
