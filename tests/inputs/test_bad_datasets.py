"""Every kind of bad dataset is refused with one clear sentence and exit code 3."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from tests.conftest import FIXTURES, policy_with

INVALID = FIXTURES / "data" / "invalid"

CASES = {
    "missing_column.csv": "{path} (datasets.evaluation): missing declared column(s) ['purpose']; the file has [",
    "non_numeric.csv": "{path} (datasets.evaluation): numeric feature 'duration_in_month' has non-numeric values in 1 row(s), first at data row 4: 'twelve'",
    "missing_value.csv": "{path} (datasets.evaluation): column 'credit_amount' has missing or infinite values in 1 row(s), first at data row 3; reportgen needs complete data",
    "infinite_value.csv": "{path} (datasets.evaluation): column 'credit_amount' has missing or infinite values in 1 row(s), first at data row 5; reportgen needs complete data",
    "empty.csv": "{path}: dataset file is empty (datasets.evaluation); expected a header and data rows",
    "header_only.csv": "{path}: dataset has no data rows (datasets.evaluation)",
    "duplicate_id.csv": "{path} (datasets.evaluation): id column 'applicant_id' must be unique, 1 row(s) repeat an id (first at data row 6)",
    "unknown_category.csv": "{path} (datasets.evaluation): column 'purpose' holds categories the model does not know: ['yacht']; expected one of [",
    "unknown_label.csv": "{path} (datasets.evaluation): target column 'creditability' holds labels ['maybe'] that are not among the model's classes ['good', 'bad']",
    "not_a_table.csv": "{path}: cannot be read as csv (datasets.evaluation): ",
    "data.unknown": "{path}: cannot tell the format from the suffix; set datasets.evaluation.format to csv or parquet",
    "does_not_exist.csv": "{path}: dataset file not found (datasets.evaluation.path)",
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
    assert "evaluation 6 rows" in result.stdout
