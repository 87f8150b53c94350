"""Every kind of bad dataset is refused with one clear sentence and exit code 3."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from reportgen.cli import main
from tests.conftest import FIXTURES, policy_with

INVALID = FIXTURES / "data" / "invalid"

CASES = {
    "missing_column.csv": "{path} (datasets.evaluation): missing declared column(s) ['purpose']; the file has 21 other column(s)",
    "non_numeric.csv": "{path} (datasets.evaluation): numeric feature 'duration_in_month' has non-numeric values in 1 row(s), first at data row 4",
    "missing_value.csv": "{path} (datasets.evaluation): column 'credit_amount' has missing or infinite values in 1 row(s), first at data row 3; reportgen needs complete data",
    "infinite_value.csv": "{path} (datasets.evaluation): column 'credit_amount' has missing or infinite values in 1 row(s), first at data row 5; reportgen needs complete data",
    "empty.csv": "{path}: dataset file is empty (datasets.evaluation); expected a header and data rows",
    "header_only.csv": "{path}: dataset has no data rows (datasets.evaluation)",
    "duplicate_id.csv": "{path} (datasets.evaluation): id column 'applicant_id' must be unique, 1 row(s) repeat an id (first at data row 6)",
    "unknown_category.csv": "{path} (datasets.evaluation): column 'purpose' holds categories the model does not know in 1 row(s), first at data row 2; expected one of ['business', ",
    "unknown_label.csv": "{path} (datasets.evaluation): target column 'creditability' holds labels that are not among the model's classes ['good', 'bad'] in 1 row(s), first at data row 2",
    "not_a_table.csv": "{path}: cannot be read as csv (datasets.evaluation): malformed rows (a row with more fields than the header, or an open quote)",
    "data.unknown": "{path}: cannot tell the format from the suffix; set datasets.evaluation.format to csv or parquet",
    "does_not_exist.csv": "{path}: dataset file not found (datasets.evaluation.path)",
    "duplicate_header.csv": "{path} (datasets.evaluation): the header names column 'duration_in_month' more than once (columns 3, 6); each column needs its own name",
    "datetime_numeric.parquet": "{path} (datasets.evaluation): numeric feature 'duration_in_month' holds dates or durations (datetime64[us]); store it as a number (e.g. days since an event) or declare it categorical",
    "single_class.csv": "{path} (datasets.evaluation): target column 'creditability' holds one class in every row; model performance and permutation importance need at least two",
    "too_few_rows.csv": "{path} (datasets.evaluation) holds 5 row(s), fewer than privacy.min_cohort_size (11): every figure of the report would describe fewer people than the policy allows to publish",
    "one_row.csv": "{path} (datasets.evaluation) holds 1 row(s), fewer than privacy.min_cohort_size (11): every figure of the report would describe fewer people than the policy allows to publish",
    "secret_file.csv": "{path} (datasets.evaluation): missing declared column(s) ['applicant_id', ",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_dataset_is_refused_with_its_message(name, credit_policy, tmp_path):
    bad = INVALID / name
    policy = policy_with(credit_policy, tmp_path, evaluation=bad)
    result = CliRunner().invoke(main, ["validate", str(policy)])
    assert result.exit_code == 3, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: " + CASES[name].format(path=bad.resolve()))
    assert "Traceback" not in result.output


def test_valid_sample_passes_validation(credit_policy, tmp_path):
    policy = policy_with(
        credit_policy, tmp_path, evaluation=FIXTURES / "data" / "valid_credit_sample.csv"
    )
    result = CliRunner().invoke(main, ["validate", str(policy)])
    assert result.exit_code == 0, result.output
    assert "evaluation 12 rows" in result.stdout


def test_errors_never_echo_the_content_of_the_file(credit_policy, tmp_path):
    """Issue #8: a policy pointed at a secrets file; the error printed its first line."""
    secret = INVALID / "secret_file.csv"
    policy = policy_with(credit_policy, tmp_path, evaluation=secret)
    result = CliRunner().invoke(main, ["validate", str(policy)])
    assert result.exit_code == 3
    for text in ("AWS_SECRET", "wJalrXUtnFEMI", "hunter2", "DB_PASSWORD"):
        assert text not in result.output


def test_a_linked_path_says_where_it_leads(credit_policy, tmp_path):
    """Issue #8: resolve links and say where a path leads."""
    link = tmp_path / "evaluation.csv"
    link.symlink_to(INVALID / "missing_column.csv")
    policy = policy_with(credit_policy, tmp_path)
    data = yaml.safe_load(policy.read_text(encoding="utf-8"))
    data["datasets"]["evaluation"]["path"] = "evaluation.csv"  # the link, beside the policy
    policy.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(policy)])
    assert result.exit_code == 3
    target = (INVALID / "missing_column.csv").resolve()
    assert result.stderr.startswith(f"error: {link} (a link to {target}) (datasets.evaluation): ")


def test_root_confines_every_file_the_policy_names(credit_policy, tmp_path):
    """Issue #8: --root (or REPORTGEN_ROOT) refuses files outside it, links followed (exit 2)."""
    root = tmp_path / "allowed"
    root.mkdir()
    policy = policy_with(credit_policy, tmp_path)
    result = CliRunner().invoke(main, ["validate", str(policy), "--root", str(root)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    model = (FIXTURES.parents[1] / "examples" / "credit" / "model.pt").resolve()
    assert (
        lines[0]
        == f"error: {policy}: models[0].path: '{model}' leads to {model}, outside the allowed root {root.resolve()}"
    )
    assert [line.split(": ")[2] for line in lines] == [
        "models[0].path",
        "models[0].preprocessing",
        "models[0].training_log.path",
        "datasets.reference.path",
        "datasets.evaluation.path",
    ]
    inside = CliRunner().invoke(
        main, ["validate", str(policy)], env={"REPORTGEN_ROOT": str(FIXTURES.parents[1])}
    )
    assert inside.exit_code == 0, inside.output


def test_a_cohort_family_that_does_not_fit_its_column_is_a_policy_problem(credit_policy, tmp_path):
    """Issue #8: found by validate from the data (exit 2), not 20 s into the run."""
    policy = policy_with(credit_policy, tmp_path)
    data = yaml.safe_load(policy.read_text(encoding="utf-8"))
    data["privacy"]["cohorts"] = [
        {"name": "age", "by": "age_in_years"},
        {"name": "foreign worker", "by": "foreign_worker", "bands": [1, 2]},
    ]
    policy.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(policy)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {policy}: privacy.cohorts[0].bands: column 'age_in_years' of the evaluation data holds numbers: give band edges, e.g. bands: [25, 35, 50, 65]",
        f"error: {policy}: privacy.cohorts[1].bands: column 'foreign_worker' of the evaluation data holds labels, not numbers, so its cohorts are its labels; remove the bands",
    ]
