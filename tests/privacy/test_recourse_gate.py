"""Issue #11: recourse shows individuals' values, so the gate treats it like audit cases:
pseudonymous ids, generalised values, withheld where the policy shows no individual cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.errors import PrivacyError
from reportgen.inputs.resolve import resolve_inputs
from reportgen.policy.loader import load_policy
from reportgen.privacy.gate import PrivacyGate
from reportgen.privacy.rules import PrivacyRule
from reportgen.results.credit import RecourseCase, RecourseChange, RecourseResult
from reportgen.results.document import Cost
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def inputs():  # type: ignore[no-untyped-def]
    return resolve_inputs(load_policy(ROOT / "policies" / "credit.yaml"))


def _gate(inputs, tmp_path: Path, *, local_cases: bool) -> PrivacyGate:  # type: ignore[no-untyped-def]
    policy = inputs.loaded.policy
    privacy = policy.privacy.model_copy(update={"local_cases": local_cases})
    return PrivacyGate(
        policy.model_copy(update={"privacy": privacy}),
        reference=inputs.reference.frame,
        evaluation=inputs.evaluation.frame,
        key_dir=tmp_path,
        codec=inputs.models[0].tabular.codec,
    )


def _result(inputs) -> RecourseResult:  # type: ignore[no-untyped-def]
    applicant = str(inputs.evaluation.frame["applicant_id"].iloc[0])
    change = RecourseChange(
        feature="credit_amount", current="7421", suggested="1262", direction="lower"
    )
    case = RecourseCase(
        case_id=applicant,
        adverse_probability=0.7,
        found=True,
        changes=[change],
        new_probability=0.4,
        distance=1.5,
    )
    return RecourseResult(
        model="credit-mlp",
        adverse_class="bad",
        cutoff=0.5,
        max_changes=2,
        grid=10,
        immutable=[],
        monotone={},
        cases=[case],
        cost=Cost(model_rows=0, model_calls=0, wall_seconds=0.0, model_seconds=0.0),
    )


def test_recourse_shows_ranges_and_pseudonyms(inputs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gate = _gate(inputs, tmp_path, local_cases=True)
    admitted = gate.admit(_result(inputs), PrivacyRule.CASES)
    assert isinstance(admitted, RecourseResult)
    case = admitted.cases[0]
    assert gate.pseudonym.issued(case.case_id)
    coverage = gate.generaliser.coverage("credit_amount")
    assert case.changes[0].current in coverage and case.changes[0].suggested in coverage
    assert "7421" not in admitted.model_dump_json() and "1262" not in admitted.model_dump_json()


def test_recourse_is_withheld_when_the_policy_shows_no_cases(inputs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gate = _gate(inputs, tmp_path, local_cases=False)
    assert gate.admit(_result(inputs), PrivacyRule.CASES) is None


def test_no_other_rule_publishes_recourse(inputs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gate = _gate(inputs, tmp_path, local_cases=True)
    for rule in (PrivacyRule.AGGREGATE, PrivacyRule.CHECK, PrivacyRule.MEAN_MAPS):
        with pytest.raises(PrivacyError, match="no privacy rule that fits it"):
            gate.admit(_result(inputs), rule)


def test_a_raw_value_that_slips_through_is_refused(inputs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gate = _gate(inputs, tmp_path, local_cases=True)
    admitted = gate.admit(_result(inputs), PrivacyRule.CASES)
    assert isinstance(admitted, RecourseResult)
    change = admitted.cases[0].changes[0].model_copy(update={"suggested": "1262"})
    raw = admitted.model_copy(
        update={"cases": [admitted.cases[0].model_copy(update={"changes": [change]})]}
    )
    with pytest.raises(PrivacyError, match="ungeneralised value for 'credit_amount'"):
        gate.vouch(raw)
