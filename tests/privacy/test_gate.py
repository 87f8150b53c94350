"""The privacy gate: canary rows never reach an artifact; a result carrying a row is refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from pypdf import PdfReader

from reportgen.cli import main
from reportgen.errors import PrivacyError
from reportgen.policy import load_policy
from reportgen.privacy.gate import PrivacyGate
from reportgen.privacy.rules import PrivacyRule
from reportgen.results.document import (
    CaseExplanation,
    Contribution,
    Cost,
    LocalExplanationsResult,
    MethodExplanation,
)
from tests.conftest import ROOT, policy_with

CREDIT = ROOT / "examples" / "credit" / "data"
CANARY_ID = "CANARY-ZX81"
CANARY_AMOUNT = 987654321
HEX_RUN = re.compile(r"[0-9a-f]{16,}")  # hashes: digits inside them are not data


def planted(tmp_path: Path) -> Path:
    """The evaluation data with two rows of unmistakable values."""
    frame = pd.read_csv(CREDIT / "evaluation.csv", dtype=str).head(20)
    canaries = frame.head(2).copy()
    canaries["applicant_id"] = [CANARY_ID, CANARY_ID + "B"]
    canaries["credit_amount"] = [str(CANARY_AMOUNT), str(CANARY_AMOUNT + 1)]
    path = tmp_path / "evaluation.csv"
    pd.concat([frame, canaries]).to_csv(path, index=False)
    return path


def every_case_policy(tmp_path: Path) -> Path:
    """Credit on 20 rows plus the canaries, every row an audit case, small budgets."""
    policy = policy_with(ROOT / "policies" / "credit.yaml", tmp_path, evaluation=planted(tmp_path))
    data = yaml.safe_load(policy.read_text())
    data["explanations"] = {
        "shap": {"background_size": 10, "global_rows": 20, "permutations": 1},
        "lime": {"num_samples": 100},
        "permutation": {"n_repeats": 2},
        "local": {"sample_size": 22, "top_k": 17},
    }
    data["checks"] = {"audit_sample": {"size": 22}} | {
        name: {"enabled": False}
        for name in (
            "completeness",
            "rerun_stability",
            "perturbation",
            "removal",
            "randomisation",
            "global_stability",
        )
    }
    data["privacy"] = {
        "cohorts": [{"name": "age band", "by": "age_in_years", "bands": [30, 45, 60]}]
    }
    policy.write_text(yaml.safe_dump(data, sort_keys=False))
    return policy


@pytest.mark.slow
def test_canary_rows_reach_no_artifact(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORTGEN_PSEUDONYM_KEY", "00112233445566778899aabbccddeeff")
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        main, ["run", str(every_case_policy(tmp_path)), "--out", str(out), "--json"]
    )
    assert result.exit_code in (0, 1), result.output
    version = out / "credit-scoring" / "v1"
    doc = json.loads((version / "results.json").read_text())
    cases = next(r for r in doc["results"] if r["kind"] == "local_explanations")["cases"]
    assert len(cases) == 22  # the canaries were explained and shown...
    texts = {
        "report.html": (version / "report.html").read_text(),
        "results.json": (version / "results.json").read_text(),
        "report.pdf": " ".join(p.extract_text() for p in PdfReader(version / "report.pdf").pages),
    }
    for name, text in texts.items():  # ...yet nothing of them is in any artifact
        plain = HEX_RUN.sub("", text).replace(",", "").replace("\u202f", "").replace(" ", "")
        assert CANARY_ID not in text, name
        assert str(CANARY_AMOUNT) not in plain and str(CANARY_AMOUNT + 1) not in plain, name


def _gate(tmp_path: Path) -> PrivacyGate:
    policy = load_policy(ROOT / "policies" / "credit.yaml").policy
    reference = pd.read_csv(CREDIT / "reference.csv")
    evaluation = pd.read_csv(CREDIT / "evaluation.csv")
    return PrivacyGate(policy, reference=reference, evaluation=evaluation, key_dir=tmp_path)


def _local(case_id: str, value: str) -> LocalExplanationsResult:
    top = [Contribution(feature="credit_amount", value=value, contribution=0.1)]
    case = CaseExplanation(
        case_id=case_id,
        stratum="bad",
        predicted="bad",
        explained_output="p",
        output_value=0.6,
        explanations=[MethodExplanation(method="shap", base_value=0.3, top=top)],
    )
    return LocalExplanationsResult(
        model="credit-mlp",
        methods=["shap"],
        sample_size=1,
        top_k=1,
        strata={"bad": 1},
        shap_estimator="permutation",
        shap_evals_per_row=1,
        lime_num_samples=None,
        cases=[case],
        cost=Cost(model_rows=0, model_calls=0, wall_seconds=0, model_seconds=0),
    )


def test_the_gate_refuses_a_result_that_carries_a_record(tmp_path):
    gate = _gate(tmp_path)
    raw = _local("A0002", "5951")  # a real applicant id and a raw amount, as an analysis made them
    with pytest.raises(
        PrivacyError, match=r"carries a record identifier at cases\[0\]\.case_id; refused"
    ):
        gate.vouch(raw)
    with pytest.raises(
        PrivacyError, match=r"carries a case id that is not a pseudonym at cases\[0\]\.case_id"
    ):
        gate.vouch(_local("case-0123456789", "5951"))  # looks like one, but was never issued
    with pytest.raises(
        PrivacyError, match="shows an ungeneralised value for 'credit_amount'; refused"
    ):
        gate.vouch(_local(gate.pseudonym("A0002"), "5951"))


def test_admitted_cases_are_pseudonymous_and_generalised(tmp_path):
    gate = _gate(tmp_path)
    admitted = gate.admit(_local("A0002", "5951"), PrivacyRule.CASES)
    assert admitted is not None
    case = admitted.cases[0]
    assert case.case_id.startswith("case-") and "A0002" not in case.case_id
    assert case.explanations[0].top[0].value != "5951"
    assert case.explanations[0].top[0].value in gate.generaliser.coverage("credit_amount")


def test_medical_policies_show_no_individual_cases_by_default(tmp_path):
    policy = load_policy(ROOT / "policies" / "medical.yaml").policy
    frame = pd.read_parquet(ROOT / "examples" / "medical" / "data" / "reference.parquet")
    gate = PrivacyGate(policy, reference=frame, evaluation=frame, key_dir=tmp_path)
    assert gate.admit(_local("P0001", "1.0"), PrivacyRule.CASES) is None
    assert "Individual audit cases are not shown under this policy." in gate.report().rules
