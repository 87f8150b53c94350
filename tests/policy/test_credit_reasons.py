"""Issue #11: reason codes are declared in the policy, and every mistake in them is a policy error
with its key path (exit 2), reported with the others at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.errors import PolicyError
from reportgen.policy.loader import load_policy

ROOT = Path(__file__).resolve().parents[2]
CREDIT = ROOT / "policies" / "credit.yaml"

Change = Callable[[dict[str, Any]], None]


def _reasons(policy: dict[str, Any]) -> dict[str, Any]:
    reasons: dict[str, Any] = policy["decision"]["reasons"]
    return reasons


def _family(policy: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in _reasons(policy)["families"] if f["name"] == name)


def _write(tmp_path: Path, change: Change) -> Path:
    policy = yaml.safe_load(CREDIT.read_text())
    change(policy)
    path = tmp_path / "credit.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return path


def _problems(tmp_path: Path, change: Change) -> list[str]:
    path = _write(tmp_path, change)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return [p.removeprefix(f"{path}: ") for p in caught.value.problems]


def test_the_credit_policy_declares_its_reasons() -> None:
    decision = load_policy(CREDIT).policy.decision
    assert decision is not None and decision.reasons is not None
    reasons = decision.reasons
    assert (reasons.max_reasons, reasons.reference, reasons.band) == (4, "near_cutoff", 0.1)
    covered = sorted(f for family in reasons.families for f in family.features)
    assert covered == sorted(load_policy(CREDIT).policy.data.feature_names)
    assert all(family.statement for family in reasons.families)


F = ("decision", "reasons", "families")
BAD: dict[str, tuple[Change, list[str]]] = {
    "unknown feature": (
        lambda p: _family(p, "savings")["features"].append("savings_acount_and_bonds"),
        [
            "decision.reasons.families[5].features[1]: 'savings_acount_and_bonds' is not a "
            "model feature (data.features); did you mean 'savings_account_and_bonds'?"
        ],
    ),
    "feature in two families": (
        lambda p: _family(p, "purpose")["features"].append("credit_amount"),
        [
            "decision.reasons.families[3].features[1]: 'credit_amount' is already in family "
            "'credit_requested' (families[2]); a feature belongs to one family"
        ],
    ),
    "sensitive column in a family": (
        lambda p: _family(p, "employment")["features"].append("age_in_years"),
        [
            "decision.reasons.families[6].features[2]: 'age_in_years' is a sensitive attribute "
            "(data.sensitive): a prohibited basis is never a reason; remove it from the family"
        ],
    ),
    "feature in no family": (
        lambda p: _reasons(p)["families"].pop(),
        [
            "decision.reasons.families: features ['telephone'] are in no family: every model "
            "feature needs a family with a statement, so that no notice states a column name "
            "(a family may hold one feature)"
        ],
    ),
    "two families of one name": (
        lambda p: _family(p, "telephone").update(name="savings"),
        [
            "decision.reasons.families[9].name: 'savings' is already the name of families[5]; "
            "reason names must be unique"
        ],
    ),
    "more than four reasons": (
        lambda p: _reasons(p).update(max_reasons=5),
        ["decision.reasons.max_reasons: must be <= 4, got 5"],
    ),
    "no reasons": (
        lambda p: _reasons(p).update(max_reasons=0),
        ["decision.reasons.max_reasons: must be >= 1, got 0"],
    ),
    "unknown reference": (
        lambda p: _reasons(p).update(reference="average"),
        ["decision.reasons.reference: must be 'all_applicants' or 'near_cutoff', got 'average'"],
    ),
    "near cutoff without a band": (
        lambda p: _reasons(p).pop("band"),
        ["decision.reasons.band: reference 'near_cutoff' needs a band, e.g. band: 0.1"],
    ),
    "band with all applicants": (
        lambda p: _reasons(p).update(reference="all_applicants"),
        [
            "decision.reasons.band: a band applies to reference 'near_cutoff' only; remove it "
            "or set reference: near_cutoff"
        ],
    ),
    "band beyond the cutoff": (
        lambda p: _reasons(p).update(band=0.6),
        [
            "decision.reasons.band: must be below the cutoff (0.5), got 0.6: the band lies "
            "between cutoff - band and the cutoff"
        ],
    ),
    "unknown proxy measure": (
        lambda p: _reasons(p)["proxy_screen"].update(measure="pearson"),
        [
            "decision.reasons.proxy_screen.measure: must be 'cramers_v' or "
            "'mutual_information', got 'pearson'"
        ],
    ),
    "misspelt key": (
        lambda p: _reasons(p).update(exclude_proxy=True),
        ["decision.reasons.exclude_proxy: unknown key; did you mean 'exclude_proxies'?"],
    ),
    "statement left empty": (
        lambda p: _family(p, "purpose").update(statement=""),
        ["decision.reasons.families[3].statement: must not be empty, got ''"],
    ),
    "reason code not a slug": (
        lambda p: _family(p, "purpose").update(name="Purpose of credit"),
        [
            "decision.reasons.families[3].name: must be a lowercase slug: 1 to 64 characters "
            "from a-z, 0-9, '-' and '_', starting with a letter or digit, got 'Purpose of credit'"
        ],
    ),
    "exclusion with nothing to screen": (
        lambda p: (
            _reasons(p).update(exclude_proxies=True),
            p["data"].update(sensitive=[]),
            p["data"].pop("labels"),  # which name the sensitive columns too
            p["privacy"].update(cohorts=[]),
            p["decision"].pop("fair_lending"),  # which needs sensitive attributes too
        ),
        [
            "decision.reasons.exclude_proxies: no sensitive attribute is declared "
            "(data.sensitive), so there is no proxy to exclude; declare them or remove "
            "exclude_proxies"
        ],
    ),
    "C9 warn band above its pass": (
        lambda p: p["checks"]["reason_stability"].update(warn_min_share=0.95),
        ["checks: reason_stability.warn_min_share must be <= min_share"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_mistake_in_the_reasons_is_a_policy_error_with_its_key_path(
    tmp_path: Path, case: str
) -> None:
    change, expected = BAD[case]
    assert _problems(tmp_path, change) == expected


def test_more_families_than_c9_can_enumerate_are_refused_unless_c9_is_off(tmp_path: Path) -> None:
    def singletons(policy: dict[str, Any]) -> None:
        features = [f for family in _reasons(policy)["families"] for f in family["features"]]
        _reasons(policy)["families"] = [
            {"name": f"f{i}", "statement": f"Reason {i}", "features": [f]}
            for i, f in enumerate(features)
        ]

    assert _problems(tmp_path, singletons) == [
        "decision.reasons.families: check C9 (checks.reason_stability) compares with exact "
        "Shapley values over the families, which allows at most 12 families (2^12 coalitions "
        "per case), got 17; group features into fewer families or disable "
        "checks.reason_stability"
    ]

    def without_c9(policy: dict[str, Any]) -> None:
        singletons(policy)
        policy["checks"]["reason_stability"] = {"enabled": False}

    load_policy(_write(tmp_path, without_c9))


def test_every_mistake_is_reported_at_once_and_validate_exits_2(tmp_path: Path) -> None:
    def many(policy: dict[str, Any]) -> None:
        _family(policy, "purpose")["features"].append("credit_amount")
        _family(policy, "employment")["features"].append("foreign_worker")
        _reasons(policy).pop("band")

    path = _write(tmp_path, many)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {path}: decision.reasons.families[3].features[1]: 'credit_amount' is already "
        "in family 'credit_requested' (families[2]); a feature belongs to one family",
        f"error: {path}: decision.reasons.families[6].features[2]: 'foreign_worker' is a "
        "sensitive attribute (data.sensitive): a prohibited basis is never a reason; remove it "
        "from the family",
        f"error: {path}: decision.reasons.band: reference 'near_cutoff' needs a band, e.g. "
        "band: 0.1",
    ]
