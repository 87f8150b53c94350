"""`diff` states exactly what changed between two versions, and nothing else (issue: Audit trail)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.registry.diff import CHANGES_FILE, diff_documents, load_diff
from reportgen.render import ReportMeta, build_view, render_html
from reportgen.render.trail_text import diff_lines
from reportgen.results import ResultDocument, canonical_json
from reportgen.results.document import (
    Contribution,
    GateOutcome,
    GlobalShapResult,
    LocalExplanationsResult,
    Metric,
    PerformanceResult,
)
from reportgen.results.trail import Manifest, VersionDiff
from tests.registry.publishing import publish_files
from tests.render.render_fixture import MODEL, make_document

NO_CHANGE_TAIL = [
    "No change in the audit cases' top SHAP reasons or their directions.",
    "No change in performance metrics.",
    "No change in the seed or in the reportgen, Python and library versions.",
]


def gate(status: str) -> GateOutcome:
    return GateOutcome(
        code="C6",
        check="method_agreement",
        model=MODEL,
        method="shap~lime",
        status=status,  # type: ignore[arg-type]  # a literal the tests choose
        actual="feature agreement 0.40",
        expected=">= 0.6",
        meaning="SHAP and LIME disagree",
    )


def replace_result(doc: ResultDocument, kind: type, **update: object) -> ResultDocument:
    results = [r.model_copy(update=update) if isinstance(r, kind) else r for r in doc.results]
    return doc.model_copy(update={"results": results})


def older() -> ResultDocument:
    return make_document().model_copy(update={"gates": [gate("pass")]})


def newer() -> ResultDocument:
    """``older()`` with one rank swap (age 3 <-> purpose 4), C6 failing and another model file."""
    doc = older()
    shap = next(r for r in doc.results if isinstance(r, GlobalShapResult))
    swapped = {"age": (0.0201, 4), "purpose": (0.0455, 3)}
    importances = [
        i.model_copy(update=dict(zip(("value", "rank"), swapped[i.feature], strict=True)))
        if i.feature in swapped
        else i
        for i in shap.importances
    ]
    doc = replace_result(doc, GlobalShapResult, importances=importances)
    model = doc.models[0].model_copy(update={"sha256": "f" * 64})
    return doc.model_copy(update={"gates": [gate("fail")], "models": [model]})


def test_identical_documents_apart_from_the_clock_give_no_differences() -> None:
    a = older()
    later = a.run.model_copy(update={"created_at": "2025-04-01T00:00:00+00:00", "wall_seconds": 1})
    diff = diff_documents(a, a.model_copy(update={"run": later}), a_label="v1", b_label="v2")
    assert diff.identical
    assert diff_lines(diff) == ["No differences."]
    assert diff.new.created_at == "2025-04-01T00:00:00+00:00"


def test_one_rank_one_gate_one_hash_are_stated_exactly() -> None:
    diff = diff_documents(older(), newer(), a_label="v1", b_label="v2")
    assert diff_lines(diff) == [
        "The model file changed (sha256 bbbbbbbb\u2026 -> ffffffff\u2026).",
        "Gate C6 SHAP vs LIME went from PASS to FAIL.",
        "purpose moved from rank 4 to rank 3 in mean |SHAP| (0.0219 -> 0.0455).",
        "age moved from rank 3 to rank 4 in mean |SHAP| (0.0412 -> 0.0201).",
        *NO_CHANGE_TAIL[:2],
        # one adjacent swap among 6 features: 1 - 6 * (1 + 1) / (6 * 35) = 0.943
        "Explanation drift of the changed model: Spearman 0.943 between the global importances "
        "(mean |SHAP|, 6 features); over the 3 audit cases explained in both, mean top-4 reason "
        "overlap 1.00 (lowest 1.00), 0 lead with another first reason and 0 changed prediction.",
        NO_CHANGE_TAIL[2],
    ]
    data = diff.model_dump(mode="json")
    assert data["inputs"] == [
        {"path": ["models", MODEL, "model"], "old": "b" * 64, "new": "f" * 64}
    ]
    assert data["gates"] == [
        {
            "code": "C6",
            "check": "method_agreement",
            "model": MODEL,
            "method": "shap~lime",
            "old": "pass",
            "new": "fail",
            "old_actual": "feature agreement 0.40",
            "new_actual": "feature agreement 0.40",
        }
    ]
    assert data["importances"] == [
        {
            "model": MODEL,
            "measure": "global_shap",
            "missing_in": None,
            "changes": [
                {
                    "feature": "purpose",
                    "old_rank": 4,
                    "new_rank": 3,
                    "old_value": 0.0219,
                    "new_value": 0.0455,
                },
                {
                    "feature": "age",
                    "old_rank": 3,
                    "new_rank": 4,
                    "old_value": 0.0412,
                    "new_value": 0.0201,
                },
            ],
        }
    ]
    assert data["reasons"] == data["performance"] == data["software"] == []


def test_the_json_form_round_trips() -> None:
    diff = diff_documents(older(), newer(), a_label="v1", b_label="v2")
    data = canonical_json(diff)
    assert canonical_json(VersionDiff.model_validate_json(data)) == data


def manifest(version: int, **inputs: str) -> Manifest:
    return Manifest(
        policy_id="credit-default",
        version=version,
        created_at="2025-03-04T09:15:00+00:00",
        reportgen_version="0.1.0",
        files={},
        inputs=dict(inputs),
        previous_manifest_sha256=None,
    )


def test_manifest_inputs_add_templates_and_ignore_the_derived_fingerprint() -> None:
    doc = older()
    a_manifest = manifest(1, policy="a" * 64, templates="1" * 64, fingerprint="x")
    b_manifest = manifest(2, policy="a" * 64, templates="2" * 64, fingerprint="y")
    diff = diff_documents(
        doc, doc, a_label="v1", b_label="v2", a_manifest=a_manifest, b_manifest=b_manifest
    )
    assert (
        diff_lines(diff)[0]
        == "The report template set changed (sha256 11111111\u2026 -> 22222222\u2026)."
    )
    assert [c.path for c in diff.inputs] == [["templates"]]
    assert diff.old.manifest_sha256 == hashlib.sha256(canonical_json(a_manifest)).hexdigest()
    publishing = diff_documents(doc, doc, a_label="v1", b_label="v2", a_manifest=a_manifest)
    assert publishing.new.manifest_sha256 is None  # the newer version is being published


def test_reason_mix_performance_and_new_features_are_worded() -> None:
    a = older()
    cases = next(r for r in a.results if isinstance(r, LocalExplanationsResult)).cases
    first = cases[0]
    shap = next(e for e in first.explanations if e.method == "shap")
    top = [Contribution(feature="purpose", value="car", contribution=0.05), *shap.top[1:]]
    explanations = [
        shap.model_copy(update={"top": top}) if e is shap else e for e in first.explanations
    ]
    changed = [first.model_copy(update={"explanations": explanations}), *cases[1:]]
    b = replace_result(a, LocalExplanationsResult, cases=changed)
    b = replace_result(
        b,
        PerformanceResult,
        metrics=[Metric(name="roc_auc", value=0.8012), Metric(name="accuracy", value=0.7815)],
    )
    lines = diff_lines(diff_documents(a, b, a_label="v1", b_label="v2"))
    assert lines[3:] == [
        "purpose is among the top SHAP reasons of 3 of 3 audit cases (was 2 of 3); it raises the "
        "output in 3 and lowers it in 0 (was 2 and 0).",
        "income is among the top SHAP reasons of 2 of 3 audit cases (was 3 of 3); it raises the "
        "output in 1 and lowers it in 1 (was 2 and 1).",
        "ROC AUC went from 0.8431 to 0.8012 (\u22120.0419).",
        "Brier score is no longer measured in v2 (was 0.153).",
        "No change in the seed or in the reportgen, Python and library versions.",
    ]


def publish_doc(out: Path, doc: ResultDocument) -> Path:
    def write(folder: Path, version: int) -> None:
        (folder / "results.json").write_bytes(canonical_json(doc))

    return publish_files(out, doc.policy.id, write, inputs={}, created_at=doc.run.created_at).path


def test_cli_diff_prints_lines_or_json_and_exits_0(tmp_path: Path) -> None:
    publish_doc(tmp_path, older())
    v2 = publish_doc(tmp_path, newer())
    text = CliRunner().invoke(main, ["diff", "credit-default/v1", str(v2), "--out", str(tmp_path)])
    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines()[:3] == [
        "credit-default: v1 -> v2",
        "The model file changed (sha256 bbbbbbbb\u2026 -> ffffffff\u2026).",
        "Gate C6 SHAP vs LIME went from PASS to FAIL.",
    ]
    args = ["diff", "credit-default/v1", "credit-default/v2", "--out", str(tmp_path), "--json"]
    as_json = CliRunner().invoke(main, args)
    summary = json.loads(as_json.stdout)
    assert (as_json.exit_code, summary["exit_code"]) == (0, 0)
    assert summary["diff"]["gates"][0]["new"] == "fail"
    assert summary["diff"]["old"]["manifest_sha256"] is not None


@pytest.mark.parametrize(
    "ref, message",
    [
        ("credit-default/v9", "{out}/credit-default/v9: no such version (latest v1)"),
        ("nothing", "{out}/nothing: no published version of 'nothing'"),
    ],
)
def test_cli_diff_exits_3_when_a_version_cannot_be_read(
    tmp_path: Path, ref: str, message: str
) -> None:
    publish_doc(tmp_path, older())
    result = CliRunner().invoke(main, ["diff", "credit-default/v1", ref, "--out", str(tmp_path)])
    assert result.exit_code == 3
    assert result.stderr.strip() == "error: " + message.format(out=tmp_path)


def test_a_damaged_results_file_exits_3_naming_it(tmp_path: Path) -> None:
    v1 = publish_doc(tmp_path, older())
    v2 = publish_doc(tmp_path, older())
    (v2 / "results.json").chmod(0o644)
    (v2 / "results.json").write_text("{")
    result = CliRunner().invoke(main, ["diff", str(v1), str(v2)])
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: {v2 / 'results.json'}: not a readable JSON file")


def test_the_report_shows_the_changes_after_the_summary() -> None:
    diff = diff_documents(older(), newer(), a_label="v1", b_label="v2")
    meta = ReportMeta(version_label="v2", published_at="2025-03-05T09:00:00+00:00", changes=diff)
    view = build_view(newer(), meta)
    assert view.changes.intro.startswith("Compared with v1, published 2025-03-04 09:15 UTC.")
    assert [(g.title, g.changed) for g in view.changes.groups][:3] == [
        ("Inputs", True),
        ("Gate outcomes", True),
        ("Global importance ranks", True),
    ]
    page = render_html(newer(), meta)
    summary, changes = page.index("<h2>Summary</h2>"), page.index('id="changes"')
    assert summary < changes < page.index("Can these explanations be trusted?</h2>")
    assert "Gate C6 SHAP vs LIME went from PASS to FAIL." in page


@pytest.mark.parametrize(
    "label, intro",
    [
        ("v1", "This is the first version."),
        ("unpublished", "This rendering is not a published version, so it is not compared"),
    ],
)
def test_without_a_diff_the_section_says_why(label: str, intro: str) -> None:
    view = build_view(older(), ReportMeta(version_label=label, published_at="2025-03-04"))
    assert view.changes.intro.startswith(intro) and view.changes.groups == ()


def test_a_stored_changes_file_loads_or_names_its_problem(tmp_path: Path) -> None:
    diff = diff_documents(older(), newer(), a_label="v1", b_label="v2")
    path = tmp_path / CHANGES_FILE
    path.write_bytes(canonical_json(diff))
    assert load_diff(path) == diff
    path.write_text('{"kind": "other"}')
    with pytest.raises(Exception, match=r"changes.json: not a readable reportgen changes file"):
        load_diff(path)


def test_the_adverse_action_reason_mix_is_compared() -> None:
    """Issue #11 / DESIGN: a credit model's reason-code mix is part of what changed."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))  # its fixtures
    from reasons_fixture import make_reason_codes

    codes = make_reason_codes()
    a = older().model_copy(update={"results": [*older().results, codes]})
    moved = [
        r.model_copy(update={"principal": 380, "stated": 500}) if r.reason == "debt" else r
        for r in codes.reasons
    ]
    b = a.model_copy(
        update={
            "results": [
                r.model_copy(update={"reasons": moved}) if r is codes else r for r in a.results
            ]
        }
    )
    diff = diff_documents(a, b, a_label="v1", b_label="v2")
    assert [
        (c.reason, c.old_principal, c.new_principal)
        for d in diff.adverse_reasons
        for c in d.reasons
    ] == [("debt", 402, 380)]
    assert (
        "Reason debt comes first for 380 declined applicants and is given to 500 (was 402 and "
        "511)." in diff_lines(diff)
    )
    assert diff_documents(a, a, a_label="v1", b_label="v2").identical
    assert VersionDiff.model_validate_json(diff.model_dump_json()) == diff
