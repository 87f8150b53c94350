"""Issue #11: `reportgen reasons` writes one row per declined applicant of a decision file, the
same reasons the report computes, atomically and owner-only; bad input is one sentence and an
exit code, and nothing is written."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from click.testing import CliRunner

from reportgen.analyses.context import ModelData
from reportgen.analyses.reasons import NO_REASON
from reportgen.analyses.reasons.run import primary_reasons
from reportgen.cli import main
from reportgen.errors import InputError
from reportgen.inputs import resolve_inputs
from reportgen.notices import write_csv_atomically
from reportgen.policy import load_policy
from tests.conftest import ROOT, policy_with

EXAMPLE = ROOT / "examples" / "credit"
EVALUATION = EXAMPLE / "data" / "evaluation.csv"


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped credit policy with a small SHAP budget (the rows do not depend on it)."""
    folder = tmp_path_factory.mktemp("policy")
    path = policy_with(ROOT / "policies" / "credit.yaml", folder)
    data = yaml.safe_load(path.read_text())
    data["explanations"]["shap"].update(background_size=30)
    data["decision"]["reasons"]["permutations"] = 3
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _reasons(policy: Path, data: Path, out: Path, *extra: str) -> Any:
    args = ["reasons", str(policy), "--data", str(data), "--out", str(out), *extra]
    return CliRunner().invoke(main, args)


def _p_bad_by_hand(frame: pd.DataFrame) -> np.ndarray:
    """P(bad) from model.pt and preprocessing.json alone: no reportgen code involved."""
    spec = json.loads((EXAMPLE / "preprocessing.json").read_text())
    columns = []
    for feature in spec["features"]:
        values = frame[feature["name"]]
        if feature["kind"] == "numeric":
            columns.append(
                ((values.astype(float) - feature["center"]) / feature["scale"]).to_numpy()
            )
        else:
            columns += [(values == level).to_numpy(dtype=float) for level in feature["levels"]]
    encoded = torch.tensor(np.column_stack(columns), dtype=torch.float32)
    with torch.no_grad():
        logits = torch.jit.load(str(EXAMPLE / "model.pt"))(encoded)
    return torch.softmax(logits, dim=1)[:, 1].double().numpy()


def test_one_row_per_declined_applicant_of_the_example_evaluation_file(policy, tmp_path):
    out = tmp_path / "reasons.csv"
    result = _reasons(policy, EVALUATION, out, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    frame = pd.read_csv(EVALUATION, dtype=str)
    p_bad = _p_bad_by_hand(frame)
    declined = frame["applicant_id"][p_bad >= 0.5].tolist()
    rows = list(csv.DictReader(out.open()))
    assert [row["applicant_id"] for row in rows] == declined
    assert (summary["applicants"], summary["declined"]) == (300, len(declined)) == (300, 81)
    np.testing.assert_allclose(
        [float(row["probability_bad"]) for row in rows], p_bad[p_bad >= 0.5], atol=5e-6
    )
    assert list(rows[0]) == [
        "applicant_id",
        "probability_bad",
        *(f"{what}_{i}" for i in range(1, 5) for what in ("reason", "statement")),
    ]
    statements = {
        f["name"]: f["statement"]
        for f in yaml.safe_load(policy.read_text())["decision"]["reasons"]["families"]
    }
    for row in rows:
        assert row["reason_1"]  # a declined applicant's score is above the reference's
        for i in range(1, 5):
            assert row[f"statement_{i}"] == statements.get(row[f"reason_{i}"], "")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: owner only
    assert [p.name for p in tmp_path.iterdir()] == ["reasons.csv"]  # no temporary file left


def test_the_rows_are_the_reasons_the_report_computes(policy, tmp_path):
    out = tmp_path / "reasons.csv"
    assert _reasons(policy, EVALUATION, out).exit_code == 0
    rows = {row["applicant_id"]: row for row in csv.DictReader(out.open())}
    loaded = load_policy(policy)
    inputs = resolve_inputs(loaded)
    primary = primary_reasons(ModelData.build(inputs, inputs.models[0]))
    names = primary.setup.families.names
    ids = inputs.evaluation.frame["applicant_id"].to_numpy()[primary.declined]
    assert sorted(rows) == sorted(ids)
    for applicant, ranked in zip(ids, primary.reasons.ranked, strict=True):
        stated = [rows[applicant][f"reason_{i}"] for i in range(1, 5)]
        assert stated == [names[f] if f != NO_REASON else "" for f in ranked]


def test_target_and_sensitive_columns_are_optional_and_row_order_changes_nothing(policy, tmp_path):
    full, bare = tmp_path / "full.csv", tmp_path / "bare.csv"
    assert _reasons(policy, EVALUATION, full).exit_code == 0
    frame = pd.read_csv(EVALUATION, dtype=str)
    sensitive = ["creditability", "age_in_years", "personal_status_and_sex", "foreign_worker"]
    decisions = tmp_path / "decisions.csv"
    frame.drop(columns=sensitive).iloc[::-1].to_csv(decisions, index=False)
    assert _reasons(policy, decisions, bare).exit_code == 0
    expected = pd.read_csv(full, dtype=str).iloc[::-1].reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.read_csv(bare, dtype=str), expected)


def _edit(tmp_path: Path, change: Any) -> Path:
    frame = pd.read_csv(EVALUATION, dtype=str).head(40)
    frame = change(frame)
    path = tmp_path / "decisions.csv"
    frame.to_csv(path, index=False)
    return path


BAD_DATA: dict[str, tuple[Any, str]] = {
    "missing feature": (
        lambda f: f.drop(columns=["purpose"]),
        "{data} (--data): missing declared column(s) ['purpose']; the file has 21 other column(s)",
    ),
    "unknown category": (
        lambda f: f.assign(housing=["castle", *list(f["housing"][1:])]),
        "{data} (--data): column 'housing' holds categories the model does not know in 1 row(s), "
        "first at data row 1; expected one of ['for free', 'own', 'rent']",
    ),
    "text in a numeric feature": (
        lambda f: f.assign(credit_amount=["a lot", *list(f["credit_amount"][1:])]),
        "{data} (--data): numeric feature 'credit_amount' has non-numeric values in 1 row(s), "
        "first at data row 1",
    ),
    "repeated id": (
        lambda f: f.assign(applicant_id=["A0002"] * 2 + list(f["applicant_id"][2:])),
        "{data} (--data): id column 'applicant_id' must be unique, 1 row(s) repeat an id (first "
        "at data row 2)",
    ),
    "missing value": (
        lambda f: f.assign(duration_in_month=["", *list(f["duration_in_month"][1:])]),
        "{data} (--data): column 'duration_in_month' has missing or infinite values in 1 row(s), "
        "first at data row 1; reportgen needs complete data",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_DATA))
def test_a_bad_decision_file_is_one_sentence_exit_3_and_nothing_written(policy, tmp_path, case):
    change, message = BAD_DATA[case]
    data = _edit(tmp_path, change)
    out = tmp_path / "reasons.csv"
    result = _reasons(policy, data, out)
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [f"error: {message.format(data=data)}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decisions.csv"]


def test_bad_paths_and_policies_are_refused_before_any_work(policy, tmp_path):
    out = tmp_path / "reasons.csv"
    missing = tmp_path / "nowhere.csv"
    cases = [
        (missing, out, [], 3, f"{missing}: decision file not found (--data)"),
        (
            EVALUATION,
            tmp_path,
            [],
            3,
            f"{tmp_path}: is a folder; give --out a file name, e.g. {out}",
        ),
        (
            EVALUATION,
            tmp_path / "no" / "reasons.csv",
            [],
            3,
            f"{tmp_path / 'no' / 'reasons.csv'}: its folder {tmp_path / 'no'} does not exist (--out)",
        ),
        (
            EVALUATION,
            out,
            ["--model", "credit-gbm"],
            2,
            f"{policy}: models: no model named 'credit-gbm'; expected one of ['credit-mlp']",
        ),
    ]
    for data, target, extra, code, message in cases:
        result = _reasons(policy, data, target, *extra)
        assert (result.exit_code, result.stderr.splitlines()) == (code, [f"error: {message}"])
    copy = tmp_path / "decisions.csv"
    copy.write_bytes(EVALUATION.read_bytes())
    result = _reasons(policy, copy, copy)
    assert result.stderr.splitlines() == [
        f"error: {copy}: is the decision file itself; give --out another file"
    ]
    assert copy.read_bytes() == EVALUATION.read_bytes()
    assert not out.exists()


def test_a_policy_without_reasons_is_a_policy_error_exit_2(tmp_path):
    path = policy_with(ROOT / "policies" / "credit.yaml", tmp_path)
    data = yaml.safe_load(path.read_text())
    del data["decision"]["reasons"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = _reasons(path, EVALUATION, tmp_path / "reasons.csv")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {path}: decision.reasons: the policy declares no reason codes; add "
        "decision.reasons (reference and families) to write reasons"
    ]


def test_an_error_while_writing_leaves_the_previous_file_and_no_temporary_one(tmp_path):
    out = tmp_path / "reasons.csv"
    out.write_text("previous\n")

    def rows():
        yield ["A1", "0.6"]
        raise InputError("the model failed half-way")

    with pytest.raises(InputError, match="half-way"):
        write_csv_atomically(out, ["id", "p"], rows())
    assert out.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["reasons.csv"]
    write_csv_atomically(out, ["id", "p"], iter([["A1", "0.6"]]))
    assert out.read_text() == "id,p\nA1,0.6\n"
