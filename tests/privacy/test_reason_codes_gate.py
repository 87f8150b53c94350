"""Issue #11: the privacy gate admits reason codes only under their own rule (it fails closed
under any other), suppresses the reason mix like a cohort family, and shows declined audit
cases under pseudonyms only where the policy shows individual cases."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from reportgen import kinds
from reportgen.cli import main
from reportgen.errors import PrivacyError
from reportgen.policy import load_policy
from reportgen.policy.schema import Policy
from reportgen.privacy.gate import PrivacyGate
from reportgen.privacy.reason_codes import ANY_RANK, FIRST_REASONS, NO_REASON_LABEL
from reportgen.privacy.rules import PrivacyRule
from reportgen.privacy.suppression import reason
from reportgen.results.credit import (
    ProxyFinding,
    ReasonCase,
    ReasonCodesResult,
    ReasonCount,
    ReasonFamilyInfo,
    StatedReason,
)
from reportgen.results.document import Cost
from tests.conftest import ROOT, policy_with
from tests.test_end_to_end import small

CREDIT = ROOT / "examples" / "credit" / "data"
WHY = reason(11)
FAMILIES = {  # name -> features
    "credit_requested": ["duration_in_month", "credit_amount"],
    "checking_account": ["status_of_existing_checking_account"],
    "savings": ["savings_account_and_bonds"],
    "purpose": ["purpose"],
    "telephone": ["telephone"],
}


def _gate(tmp_path: Path, *, local_cases: bool | None = None) -> PrivacyGate:
    policy: Policy = load_policy(ROOT / "policies" / "credit.yaml").policy
    if local_cases is not None:
        privacy = policy.privacy.model_copy(update={"local_cases": local_cases})
        policy = policy.model_copy(update={"privacy": privacy})
    reference = pd.read_csv(CREDIT / "reference.csv")
    evaluation = pd.read_csv(CREDIT / "evaluation.csv")
    return PrivacyGate(policy, reference=reference, evaluation=evaluation, key_dir=tmp_path)


def _result(
    first: dict[str, int],
    stated: dict[str, int],
    *,
    declined: int = 81,
    without: int = 0,
    families: dict[str, list[str]] = FAMILIES,
    case_reasons: tuple[str, ...] = ("credit_requested", "savings"),
) -> ReasonCodesResult:
    """A raw result as the analysis makes it: true counts, a record id on the case."""
    ranked = sorted(families, key=lambda f: (-first[f], f))
    return ReasonCodesResult(
        model="credit-mlp",
        adverse_class="bad",
        cutoff=0.5,
        max_reasons=4,
        reference="near_cutoff",
        band=0.1,
        reference_rows=73,
        background_rows=73,
        reference_score=0.45,
        estimator="permutation",
        evals_per_row=1400,
        additivity_max_error=1e-16,
        applicants=300,
        declined=declined,
        without_reason=without,
        reasons=[
            ReasonCount(
                reason=f,
                statement=f"{f} statement",
                principal=first[f],
                stated=stated[f],
                rank=i,
            )
            for i, f in enumerate(ranked, start=1)
        ],
        families=[
            ReasonFamilyInfo(name=f, statement=f"{f} statement", features=features)
            for f, features in families.items()
        ],
        proxy_measure="cramers_v",
        proxy_flag_at=0.3,
        proxy_bins=5,
        proxies=[
            ProxyFinding(
                feature="telephone", sensitive="age_in_years", association=0.21, flagged=False
            )
        ],
        cases=[
            ReasonCase(
                case_id="A0002",
                probability=0.61,
                reasons=[
                    StatedReason(reason=r, statement=f"{r} statement", contribution=0.1)
                    for r in case_reasons
                ],
            )
        ],
        cost=Cost(model_rows=1, model_calls=1, wall_seconds=0.1, model_seconds=0.1),
    )


FIRST = {"credit_requested": 45, "checking_account": 20, "savings": 7, "purpose": 9, "telephone": 0}
STATED = {
    "credit_requested": 60,
    "checking_account": 50,
    "savings": 30,
    "purpose": 12,
    "telephone": 0,
}


@pytest.mark.parametrize(
    "rule", [PrivacyRule.AGGREGATE, PrivacyRule.CASES, PrivacyRule.CHECK, PrivacyRule.COHORTS, None]
)
def test_reason_codes_under_any_other_rule_are_refused(tmp_path, rule):
    with pytest.raises(PrivacyError) as refused:
        _gate(tmp_path).admit(_result(FIRST, STATED), rule)
    assert str(refused.value) == (
        "privacy gate: the reason_codes result of model 'credit-mlp' has no privacy rule that "
        f"fits it (declared: {rule}); refused"
    )


def test_the_reason_mix_is_suppressed_like_a_cohort_family(tmp_path):
    gate = _gate(tmp_path)
    published = gate.admit(_result(FIRST, STATED), PrivacyRule.REASON_CODES)
    assert isinstance(published, ReasonCodesResult)
    rows = [(r.reason, r.principal, r.stated, r.rank, r.suppressed) for r in published.reasons]
    assert rows == [
        ("credit_requested", 45, 60, 1, None),
        ("checking_account", 20, 50, 2, None),
        ("telephone", 0, 0, None, None),  # never first: published, not ranked
        # 7 and 9 come first for fewer than 11: both suppressed, listed unranked in the
        # policy's order (savings before purpose), not in that of their counts. A reader can work out that they hide 16 together;
        # savings' count at any rank (30) says nothing more and is shown, purpose's (12) would
        # bound its first-reason count below 16 and is hidden
        ("savings", None, 30, None, WHY),
        ("purpose", None, None, None, WHY),
    ]
    assert (published.declined, published.without_reason) == (81, 0)
    hidden = [(s.family, s.cohort) for s in gate.suppressed]
    assert hidden == [
        (FIRST_REASONS, "savings"),
        (FIRST_REASONS, "purpose"),
        (ANY_RANK, "purpose"),
    ]


def test_a_lone_small_first_reason_takes_the_next_smallest_with_it(tmp_path):
    first = {
        "credit_requested": 45,
        "checking_account": 20,
        "savings": 12,
        "purpose": 4,
        "telephone": 0,
    }
    gate = _gate(tmp_path)
    published = gate.admit(_result(first, STATED), PrivacyRule.REASON_CODES)
    shown = {r.reason: r.principal for r in published.reasons}
    # purpose (4) alone would be 81 - 45 - 20 - 12 - 0: savings (12) is suppressed with it
    assert shown == {
        "credit_requested": 45,
        "checking_account": 20,
        "telephone": 0,
        "savings": None,
        "purpose": None,
    }
    # counts at any rank below the 16 the two hide together would bound them: hidden
    stated = {r.reason: r.stated for r in published.reasons}
    assert stated["purpose"] is None and stated["savings"] == 30
    assert (ANY_RANK, "purpose") in [(s.family, s.cohort) for s in gate.suppressed]


def test_a_count_at_any_rank_that_singles_out_the_few_without_it_is_hidden(tmp_path):
    stated = STATED | {"credit_requested": 75}  # 81 - 75 = 6 declined applicants lack it
    published = _gate(tmp_path).admit(_result(FIRST, stated), PrivacyRule.REASON_CODES)
    first = published.reasons[0]
    assert (first.reason, first.principal, first.stated, first.suppressed) == (
        "credit_requested",
        45,
        None,
        WHY,
    )


def test_no_reason_is_a_group_of_the_partition_too(tmp_path):
    first = FIRST | {"checking_account": 11, "savings": 11, "purpose": 0}
    published = _gate(tmp_path).admit(_result(first, STATED, without=14), PrivacyRule.REASON_CODES)
    assert published.without_reason == 14
    first = FIRST | {"savings": 12, "purpose": 0}
    gate = _gate(tmp_path)
    published = gate.admit(_result(first, STATED, without=4), PrivacyRule.REASON_CODES)
    assert published.without_reason is None  # 4 without a reason: savings (12) hides them
    assert [(s.family, s.cohort) for s in gate.suppressed][:2] == [
        (FIRST_REASONS, "savings"),
        (FIRST_REASONS, NO_REASON_LABEL),
    ]


def test_too_few_declined_applicants_withhold_the_whole_mix(tmp_path):
    first = {
        "credit_requested": 6,
        "checking_account": 3,
        "savings": 0,
        "purpose": 0,
        "telephone": 0,
    }
    stated = {
        "credit_requested": 8,
        "checking_account": 5,
        "savings": 2,
        "purpose": 0,
        "telephone": 0,
    }
    gate = _gate(tmp_path)
    published = gate.admit(_result(first, stated, declined=9), PrivacyRule.REASON_CODES)
    assert published.declined is None and published.without_reason is None
    assert all(
        r.principal is None and r.stated is None and r.rank is None for r in published.reasons
    )
    assert [r.reason for r in published.reasons] == list(FAMILIES)  # the policy's order
    assert [(s.family, s.cohort) for s in gate.suppressed] == [(FIRST_REASONS, "all cohorts")]


def test_cases_carry_pseudonyms_or_are_withheld_where_no_case_is_shown(tmp_path):
    gate = _gate(tmp_path)
    shown = gate.admit(_result(FIRST, STATED), PrivacyRule.REASON_CODES)
    (case,) = shown.cases
    assert case.case_id != "A0002" and gate.pseudonym.issued(case.case_id)
    assert [r.reason for r in case.reasons] == ["credit_requested", "savings"]
    assert shown.cases_withheld is False
    hidden = _gate(tmp_path, local_cases=False).admit(
        _result(FIRST, STATED), PrivacyRule.REASON_CODES
    )
    assert hidden.cases == [] and hidden.cases_withheld is True
    assert any("reason mix" in rule for rule in _gate(tmp_path).report().rules)


def test_a_reason_built_from_a_sensitive_column_is_refused(tmp_path):
    families = FAMILIES | {"telephone": ["telephone", "age_in_years"]}
    with pytest.raises(PrivacyError) as refused:
        _gate(tmp_path).admit(_result(FIRST, STATED, families=families), PrivacyRule.REASON_CODES)
    assert str(refused.value) == (
        "privacy gate: the reason_codes result of model 'credit-mlp' has reason 'telephone' "
        "built from sensitive column(s) ['age_in_years']; a prohibited basis is never a "
        "reason; refused"
    )


def test_a_reason_no_family_declares_is_refused(tmp_path):
    with pytest.raises(PrivacyError, match=r"gives reasons \['sex'\] that no family declares"):
        _gate(tmp_path).admit(
            _result(FIRST, STATED, case_reasons=("sex",)), PrivacyRule.REASON_CODES
        )


def test_a_record_id_in_a_statement_is_refused(tmp_path):
    raw = _result(FIRST, STATED)
    leaked = raw.model_copy(
        update={
            "reasons": [raw.reasons[0].model_copy(update={"statement": "A0009"}), *raw.reasons[1:]]
        }
    )
    with pytest.raises(PrivacyError, match=r"carries a record identifier at reasons\[0\]"):
        _gate(tmp_path).admit(leaked, PrivacyRule.REASON_CODES)


@pytest.mark.parametrize("rule", [PrivacyRule.AGGREGATE, PrivacyRule.CASES])
def test_the_engine_publishes_nothing_when_reason_codes_declare_a_wrong_rule(
    tmp_path, monkeypatch, rule
):
    """The registered kind, declared under a looser rule, fails closed: exit 3, no version."""
    loose = tuple(replace(k, privacy=rule) if k.name == "reason_codes" else k for k in kinds.KINDS)
    monkeypatch.setattr(kinds, "KINDS", loose)
    policy = small(policy_with(ROOT / "policies" / "credit.yaml", tmp_path))
    result = CliRunner().invoke(main, ["run", str(policy), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        "error: privacy gate: the reason_codes result of model 'credit-mlp' has no privacy "
        f"rule that fits it (declared: {rule}); refused"
    ]
    assert not list((tmp_path / "out").glob("*/v*"))
