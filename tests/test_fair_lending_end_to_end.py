"""Issue #11: the credit example's report shows fair lending and calibration.

The example's approvals fail the four-fifths rule for applicants under 25, so `reportgen run`
publishes the report and exits 1, naming the gate; the published figures hold together (each
ratio is the quotient of published rates, the decomposition sums to the gap) and no small group
of a sensitive attribute is named anywhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from reportgen.cli import main
from tests.conftest import ROOT, policy_with
from tests.test_end_to_end import small

SMALL_LABELS = re.compile(r"(?<!fe)male : (divorced/separated|married/widowed)")
"""Values of personal_status_and_sex held by fewer than 11 applicants, or suppressed to protect
them: never printed (``female : divorced/separated/married`` is published)."""


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, Path]:
    tmp = tmp_path_factory.mktemp("fair")
    policy = small(policy_with(ROOT / "policies" / "credit.yaml", tmp))
    data = yaml.safe_load(policy.read_text())
    shipped = yaml.safe_load((ROOT / "policies" / "credit.yaml").read_text())
    data["decision"]["fair_lending"] = {**shipped["decision"]["fair_lending"], "bootstrap": 200}
    data["decision"]["calibration"]["bootstrap"] = 200
    data["report"] = {"formats": ["html"]}
    policy.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp / "out"
    result = CliRunner().invoke(main, ["run", str(policy), "--out", str(out), "--json"])
    return result.exit_code, json.loads(result.stdout), out / "credit-scoring" / "v1"


def test_the_run_publishes_and_exits_1_naming_the_failed_air_gate(published) -> None:
    code, summary, version = published
    assert (code, summary["status"]) == (1, "published")
    (failed,) = summary["failed_gates"]
    assert failed.startswith(
        "fail: AIR age_in_years on model credit-mlp: Applicants in group <25 are approved only "
        "78% as often as those in 35\u201350, below the four-fifths line"
    )
    assert (version / "report.html").is_file()


def test_the_published_figures_hold_together(published) -> None:
    _, _, version = published
    doc = json.loads((version / "results.json").read_text())
    (fair,) = [r for r in doc["results"] if r["kind"] == "fair_lending"]
    age = next(a for a in fair["attributes"] if a["attribute"] == "age_in_years")
    groups = {g["label"]: g for g in age["groups"]}
    assert age["reference"] == "35\u201350" and groups["35\u201350"]["reference"]
    young = groups["<25"]
    rate, reference = (
        young["approval_rate"]["value"],
        groups["35\u201350"]["approval_rate"]["value"],
    )
    assert young["adverse_impact_ratio"]["value"] == pytest.approx(rate / reference, abs=1e-12)
    assert groups["50\u201365"]["size"] is None and groups["65+"]["size"] is None
    gap = age["decomposition"]
    assert (gap["group"], gap["compared_with"]) == ("<25", "35\u201350")
    assert abs(gap["residual"]) <= 1e-9
    assert sum(c["contribution"] for c in gap["contributions"]) == pytest.approx(
        gap["gap"], abs=1e-9
    )
    (calibration,) = [r for r in doc["results"] if r["kind"] == "calibration"]
    assert calibration["overall"]["size"] == 300
    gates = {g["method"]: g["status"] for g in doc["gates"] if g["code"] == "AIR"}
    assert gates == {
        "personal_status_and_sex": "pass",
        "age_in_years": "fail",
        "foreign_worker": "warn",  # 9 applicants are not foreign workers: not judged
    }


def test_the_report_shows_both_sections_and_names_no_small_group(published) -> None:
    _, _, version = published
    page = (version / "report.html").read_text()
    for heading in ("Calibration", "Fair lending"):
        assert f">{heading}</h2>" in page
    assert "Fair-lending verdict: FAIL." in page
    results = (version / "results.json").read_text()
    assert SMALL_LABELS.search(page) is None and SMALL_LABELS.search(results) is None
    assert "female : divorced/separated/married" in page
