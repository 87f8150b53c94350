"""The regulatory traceability matrix (issue 14): packs load, each requirement appears once, and
its status follows the gates, the documentation and the evidence in the results document."""

from __future__ import annotations

import hashlib
import json

import pytest

from reportgen.compliance.packs import load_pack
from reportgen.compliance.trace import trace
from reportgen.errors import PolicyError
from reportgen.policy import load_policy
from reportgen.policy.compliance import known_frameworks
from reportgen.policy.schema import Policy
from reportgen.render import ReportMeta, render_html
from reportgen.results import canonical_json
from reportgen.results.document import GateOutcome, ResultDocument
from tests.conftest import ROOT
from tests.render.render_fixture import MODEL, make_document

FRAMEWORKS = ("eu-ai-act", "fda-gmlp", "fda-pccp", "model-risk", "regulation-b")


def credit_policy(**update: object) -> Policy:
    policy = load_policy(ROOT / "policies" / "credit.yaml").policy
    return policy.model_copy(update=update) if update else policy


def gate(code: str, check: str, status: str) -> GateOutcome:
    return GateOutcome(
        code=code,
        check=check,  # type: ignore[arg-type]
        model=MODEL,
        method="shap",
        status=status,  # type: ignore[arg-type]
        actual="a",
        expected="b",
        meaning="c",
    )


def rows_by_id(policy: Policy, document: ResultDocument) -> dict[str, object]:
    matrix = trace(policy, document)
    assert matrix is not None
    return {row.id: row for row in matrix.rows}


def test_every_shipped_pack_loads_and_an_unknown_one_is_named() -> None:
    assert known_frameworks() == FRAMEWORKS
    assert [len(load_pack(name).requirements) for name in FRAMEWORKS] == [11, 10, 3, 9, 5]
    annex = [r.source for r in load_pack("eu-ai-act").requirements]
    assert [f"AI Act, Annex IV, item {n}" for n in range(1, 10)] == [
        s for s in annex if s.startswith("AI Act, Annex IV, item") and "(g)" not in s
    ]
    assert [r.source for r in load_pack("fda-gmlp").requirements] == [
        f"GMLP, principle {n}" for n in range(1, 11)
    ]
    with pytest.raises(PolicyError, match="unknown framework 'sox'; known frameworks: eu-ai-act"):
        load_pack("sox")


@pytest.mark.parametrize(
    "path, selected",
    [
        ("policies/credit.yaml", ["model-risk", "regulation-b"]),
        ("policies/medical.yaml", ["eu-ai-act", "fda-gmlp", "fda-pccp"]),
        ("policies/medical-imaging.yaml", ["eu-ai-act", "fda-gmlp", "fda-pccp"]),
        ("examples/imaging/shortcut-policy.yaml", ["eu-ai-act", "fda-gmlp", "fda-pccp"]),
    ],
)
def test_each_selected_requirement_appears_exactly_once(path: str, selected: list[str]) -> None:
    policy = load_policy(ROOT / path).policy
    assert policy.compliance.frameworks == selected
    assert all(v.strip() for v in policy.documentation.model_dump().values())
    matrix = trace(policy, make_document())
    assert matrix is not None
    expected = [(name, r.id) for name in selected for r in load_pack(name).requirements]
    assert [(row.framework, row.id) for row in matrix.rows] == expected


def test_no_framework_no_matrix() -> None:
    policy = credit_policy()
    none = policy.model_copy(
        update={"compliance": policy.compliance.model_copy(update={"frameworks": []})}
    )
    assert trace(none, make_document()) is None


def test_evidence_carries_the_hash_of_the_result_less_its_cost() -> None:
    document = make_document()
    rows = rows_by_id(credit_policy(), document)
    shap = next(r for r in document.results if r.kind == "global_shap")
    plain = json.loads(canonical_json(shap))
    del plain["cost"]
    digest = hashlib.sha256(canonical_json(plain)).hexdigest()
    [evidence] = [e for e in rows["MRM-4"].evidence if e.ref == "global_shap"]  # type: ignore[attr-defined]
    assert (evidence.sha256, evidence.model, evidence.outcome) == (digest, MODEL, "present")
    assert rows["MRM-4"].status == "met"  # type: ignore[attr-defined]


def test_a_failed_gate_makes_its_requirements_not_met() -> None:
    document = make_document().model_copy(
        update={
            "gates": [gate("C1", "completeness", "fail"), gate("C2", "rerun_stability", "pass")]
        }
    )
    rows = rows_by_id(credit_policy(), document)
    mrm4 = rows["MRM-4"]
    assert mrm4.status == "not met"  # type: ignore[attr-defined]
    assert mrm4.reason == f"gate C1 ({MODEL}: fail) did not pass"  # type: ignore[attr-defined]
    assert [(e.ref, e.outcome) for e in mrm4.evidence if e.kind == "gate"] == [  # type: ignore[attr-defined]
        ("C1", "fail"),
        ("C2", "pass"),
    ]
    errored = make_document().model_copy(
        update={"gates": [gate("C3", "perturbation_robustness", "error")]}
    )
    assert rows_by_id(credit_policy(), errored)["MRM-5"].status == "not met"  # type: ignore[attr-defined]


def test_missing_evidence_needs_attestation_and_empty_documentation_is_not_met() -> None:
    policy = credit_policy()
    rows = rows_by_id(policy, make_document())
    assert rows["MRM-5"].status == "needs attestation"  # C3/C7 gates not in this document
    assert rows["MRM-5"].reason == "none of its automatic evidence is in this run"  # type: ignore[attr-defined]
    assert rows["MRM-7"].status == "needs attestation"  # type: ignore[attr-defined]
    blank = policy.model_copy(
        update={"documentation": policy.documentation.model_copy(update={"monitoring_plan": " "})}
    )
    row = rows_by_id(blank, make_document())["MRM-8"]
    assert (row.status, row.reason) == (  # type: ignore[attr-defined]
        "not met",
        "the policy's documentation leaves monitoring_plan empty",
    )


def test_decision_requirements_do_not_apply_without_a_decision() -> None:
    rows = rows_by_id(credit_policy(decision=None), make_document())
    assert rows["REGB-1"].status == "not applicable"  # type: ignore[attr-defined]
    assert rows["REGB-3"].status != "not applicable"  # type: ignore[attr-defined]


def test_the_report_carries_the_matrix_and_the_model_card() -> None:
    document = make_document()
    document = document.model_copy(update={"traceability": trace(credit_policy(), document)})
    page = render_html(document, ReportMeta("v1", "2025-03-04T09:15:00+00:00"))
    assert (
        page.index('id="model-card"') < page.index('id="traceability"') < page.index('id="privacy"')
    )
    assert "Regulatory traceability</h2>" in page and "REGB-5" in page
    assert f'<a href="#model-1-global_shap">result global_shap ({MODEL}): present</a>' in page
    assert "Intended use</dt><dd>A worked example" in page
    assert ResultDocument.model_validate_json(canonical_json(document)) == document
