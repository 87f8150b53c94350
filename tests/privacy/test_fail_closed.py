"""Issue #9: the privacy gate fails closed. A kind of analysis that declares no privacy rule, or a
result that no known kind made, is refused: exit 3 and nothing published."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen import kinds
from reportgen.cli import main
from reportgen.privacy.rules import PrivacyRule
from tests.conftest import ROOT, policy_with
from tests.test_end_to_end import small


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return small(policy_with(ROOT / "policies" / "credit.yaml", tmp_path))


def _run(policy: Path, out: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["run", str(policy), "--out", str(out)])
    return result.exit_code, result.stderr.splitlines()


def test_a_kind_that_declares_no_privacy_rule_publishes_nothing(policy, tmp_path, monkeypatch):
    undeclared = tuple(
        replace(k, privacy=None) if k.name == "global_shap" else k for k in kinds.KINDS
    )
    monkeypatch.setattr(kinds, "KINDS", undeclared)
    code, stderr = _run(policy, tmp_path / "out")
    assert code == 3
    assert stderr == [
        "error: privacy gate: the 'global_shap' analysis of model 'credit-mlp' declares no "
        "privacy rule, so nothing it computed may be published; refused"
    ]
    assert not (tmp_path / "out" / "credit-scoring" / "v1").exists()


def test_a_result_no_known_kind_made_publishes_nothing(policy, tmp_path, monkeypatch):
    """A new analysis that reuses another kind's result type without registering it."""
    permutation = next(k for k in kinds.KINDS if k.name == "permutation_importance")
    dummy = replace(permutation, name="dummy", privacy=PrivacyRule.AGGREGATE)
    others = tuple(k for k in kinds.KINDS if k.name != "permutation_importance")
    monkeypatch.setattr(kinds, "KINDS", (*others, dummy))
    code, stderr = _run(policy, tmp_path / "out")
    assert code == 3
    assert stderr == [
        "error: privacy gate: model 'credit-mlp' produced a 'permutation_importance' result "
        "that no known kind of analysis declares; refused"
    ]
    assert not (tmp_path / "out" / "credit-scoring").exists() or not any(
        (tmp_path / "out" / "credit-scoring").glob("v*")
    )


@pytest.mark.parametrize("rule", [PrivacyRule.CHECK, PrivacyRule.AGGREGATE])
def test_a_rule_that_does_not_fit_the_result_is_refused(policy, tmp_path, monkeypatch, rule):
    """Audit cases declared as something else would skip pseudonyms and generalisation."""
    loose = tuple(
        replace(k, privacy=rule) if k.name == "local_explanations" else k for k in kinds.KINDS
    )
    monkeypatch.setattr(kinds, "KINDS", loose)
    code, stderr = _run(policy, tmp_path / "out")
    assert code == 3
    assert stderr == [
        "error: privacy gate: the local_explanations result of model 'credit-mlp' has no "
        f"privacy rule that fits it (declared: {rule}); refused"
    ]
