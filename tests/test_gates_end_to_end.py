"""Policy thresholds reach the gates and the exit code of `reportgen run`, end to end.

Every run uses tiny budgets and, apart from the thresholds under test, lenient thresholds, so the
only gate that can fail is the one a test aims at. A failed or errored gate exits 1 and the report
is still published.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from reportgen.analyses.checks import CHECKS, run_check
from reportgen.analyses.context import ModelData
from reportgen.cli import main
from reportgen.kinds import KINDS
from reportgen.results import canonical_json
from reportgen.results.document import CheckResult
from tests.conftest import ROOT, policy_with

LENIENT_CHECKS: dict[str, Any] = {  # every check runs and can at worst warn
    "top_k": 3,
    "min_pass_rate": 0.0,
    "audit_sample": {"size": 10},
    "rerun_stability": {"reruns": 2, "warn_fa_median_min": 0.0},
    "perturbation": {
        "instances": 3,
        "draws": 2,
        "warn_fa_min": 0.0,
        "fail_sensitivity_above": 1e9,
    },
    "removal": {
        "random_orders": 2,
        "faithfulness_runs": 10,
        "warn_deletion_ratio_max": 1e9,
        "faithfulness_fail_at_or_below": -1.0,
    },
    "randomisation": {"instances": 5, "fail_above": 1.0},
    "agreement": {"fa_min": 0.0, "sa_min": 0.0, "warn_min": 0.0},
    "global_stability": {"shap_bootstrap": 50, "warn_min": 0.0},
    "reason_stability": {"instances": 10, "reruns": 1, "warn_min_share": 0.0},
}
STRICT_AGREEMENT = {"fa_min": 1.0, "sa_min": 1.0, "warn_min": 0.99}


def quick_policy(tmp_path: Path, *, agreement: dict[str, float], formats: list[str]) -> Path:
    """The credit policy with tiny budgets, lenient gates and the given C6 thresholds."""
    policy = policy_with(ROOT / "policies" / "credit.yaml", tmp_path)
    data = yaml.safe_load(policy.read_text())
    data["explanations"] = {
        "global": {"methods": ["shap"]},
        "local": {"methods": ["shap", "lime"], "sample_size": 4, "top_k": 3},
        "shap": {"background_size": 20, "global_rows": 20, "permutations": 2},
        "lime": {"num_samples": 300},
    }
    data["checks"] = {**LENIENT_CHECKS, "agreement": agreement}
    data["report"] = {"formats": formats}
    data["decision"].pop("fair_lending", None)  # these tests gate the checks alone (AIR: #11)
    data.pop("edits", None)  # (edits: tests/analyses/test_edits.py)
    policy.write_text(yaml.safe_dump(data, sort_keys=False))
    return policy


def run_json(policy: Path, out: Path) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["run", str(policy), "--out", str(out), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def published(out: Path) -> tuple[Path, dict[str, Any]]:
    v1 = out / "credit-scoring" / "v1"
    return v1, json.loads((v1 / "results.json").read_text())


def test_strict_agreement_thresholds_fail_the_run_and_the_report_is_still_published(
    tmp_path,
) -> None:
    policy = quick_policy(tmp_path, agreement=STRICT_AGREEMENT, formats=["html", "pdf"])
    code, summary = run_json(policy, tmp_path / "out")
    assert code == 1 and summary["exit_code"] == 1 and summary["status"] == "published"
    assert summary["failed_gates"], summary
    assert all(line.startswith("fail: C6 shap~") for line in summary["failed_gates"])
    assert "fail: C6 shap~lime on model credit-mlp: SHAP and LIME disagree" in "\n".join(
        summary["failed_gates"]
    )
    v1, doc = published(tmp_path / "out")
    assert summary["path"] == str(v1)
    assert {p.name for p in v1.iterdir()} == {
        "report.html",
        "report.pdf",
        "results.json",
        "manifest.json",
    }
    assert (v1 / "report.pdf").read_bytes().startswith(b"%PDF")
    failed = [g for g in doc["gates"] if g["status"] in ("fail", "error")]
    assert {(g["code"], g["status"]) for g in failed} == {("C6", "fail")}
    assert all(g["expected"] == "feature >= 1.0 and sign >= 1.0" for g in failed)
    assert summary["gates"]["fail"] == len(failed) == len(summary["failed_gates"])


def test_lenient_thresholds_let_the_same_run_exit_0(tmp_path) -> None:
    lenient = LENIENT_CHECKS["agreement"]
    policy = quick_policy(tmp_path, agreement=lenient, formats=["html"])
    code, summary = run_json(policy, tmp_path / "out")
    assert (code, summary["exit_code"], summary["failed_gates"]) == (0, 0, [])
    v1, doc = published(tmp_path / "out")
    assert (v1 / "report.html").is_file()
    codes = {g["code"] for g in doc["gates"]}
    assert codes == {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C9"}  # every check ran, gated
    assert {g["status"] for g in doc["gates"]} <= {"pass", "warn"}
    c6 = [g for g in doc["gates"] if g["code"] == "C6"]
    assert {g["method"] for g in c6} == {"shap~lime", "shap~ig"}
    assert all(g["status"] == "pass" for g in c6)
    # Issue 14: the matrix is computed after the gates, from the gates and the results' hashes
    rows = {row["id"]: row for row in doc["traceability"]["rows"]}
    gated = [e for e in rows["MRM-4"]["evidence"] if e["kind"] == "gate"]
    assert {e["ref"] for e in gated} == {"C1", "C2"} and rows["MRM-4"]["status"] == "met"
    c1 = next(r for r in doc["results"] if r.get("check") == "completeness")
    c1.pop("cost")
    digest = hashlib.sha256(canonical_json(c1)).hexdigest()
    assert {e["sha256"] for e in gated if e["ref"] == "C1"} == {digest}
    assert 'id="traceability"' in (v1 / "report.html").read_text()


def test_a_check_that_raises_becomes_an_error_gate_exits_1_and_still_publishes(
    tmp_path, monkeypatch
) -> None:
    def boom(data: ModelData) -> CheckResult:
        raise ValueError("no second method to compare with")

    c6 = next(c for c in CHECKS if c.code == "C6")
    broken = tuple(
        replace(k, run=partial(run_check, replace(c6, run=boom)))
        if k.name == "method_agreement"
        else k
        for k in KINDS
    )
    monkeypatch.setattr("reportgen.kinds.KINDS", broken)
    policy = quick_policy(tmp_path, agreement=LENIENT_CHECKS["agreement"], formats=["html"])
    code, summary = run_json(policy, tmp_path / "out")
    assert (code, summary["exit_code"], summary["status"]) == (1, 1, "published")
    assert summary["gates"]["error"] == 1 and summary["gates"]["fail"] == 0
    assert summary["failed_gates"] == [
        "error: C6 on model credit-mlp: C6 could not be computed, so this aspect of the "
        "explanations is unverified."
    ]
    v1, doc = published(tmp_path / "out")
    (c6,) = [r for r in doc["results"] if r.get("code") == "C6"]
    assert c6["error"] == "ValueError: no second method to compare with"
    assert c6["metrics"] == []
    assert "no second method to compare with" in (v1 / "report.html").read_text()
    others = [r for r in doc["results"] if r.get("kind") == "check" and r["code"] != "C6"]
    assert len(others) == 7 and all(r["error"] is None for r in others)


def test_an_edit_beyond_the_policys_limits_fails_the_run(tmp_path) -> None:
    """80% pruning flips decisions on the credit example; a limit of none flipped fails it."""
    policy = quick_policy(tmp_path, agreement=LENIENT_CHECKS["agreement"], formats=["html"])
    data = yaml.safe_load(policy.read_text())
    sections = [name for name, value in LENIENT_CHECKS.items() if isinstance(value, dict)]
    data["checks"] = {name: {"enabled": False} for name in sections if name != "audit_sample"}
    data["checks"]["top_k"] = 3
    data["edits"] = {
        "assess": [{"kind": "prune", "sparsity": 0.8}],
        "global_rows": 10,
        "spearman_min": -1.0,
        "top_k_overlap_min": 0.0,
        "flip_share_max": 0.0,
    }
    policy.write_text(yaml.safe_dump(data, sort_keys=False))
    code, summary = run_json(policy, tmp_path / "out")
    assert code == 1 and summary["failed_gates"] == [
        line for line in summary["failed_gates"] if line.startswith("fail: E1 80% pruning")
    ]
    v1, doc = published(tmp_path / "out")
    (gate,) = [g for g in doc["gates"] if g["status"] == "fail"]
    (result,) = [r for r in doc["results"] if r["kind"] == "edits"]
    assert result["edits"][0]["flipped"] > 0
    assert gate["expected"].endswith("flipped decisions <= 0.0%")
    assert "no edit is safe to deploy (80% pruning)." in (v1 / "report.html").read_text()
