"""CLI behaviour shared by every command: error output, --json, --debug, usage errors."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from reportgen import __version__
from reportgen.cli import main
from tests.conftest import FIXTURES

BAD_POLICY = FIXTURES / "policies" / "invalid" / "trusted_not_a_boolean.yaml"


def test_policy_errors_are_listed_one_per_line_without_traceback():
    result = CliRunner().invoke(main, ["validate", str(BAD_POLICY)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {BAD_POLICY}: seed: must be <= 4294967295, got 4294967296",
        f"error: {BAD_POLICY}: models[0].trusted: must be true or false, got 'yes'",
    ]
    assert "Traceback" not in result.stderr


def test_debug_adds_the_traceback():
    result = CliRunner().invoke(main, ["validate", str(BAD_POLICY), "--debug"])
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "pydantic_core._pydantic_core.ValidationError" in result.stderr


def test_json_error_summary_goes_to_stdout():
    result = CliRunner().invoke(main, ["run", str(BAD_POLICY), "--json"])
    assert result.exit_code == 2
    summary = json.loads(result.stdout)
    assert summary["status"] == "error" and summary["exit_code"] == 2
    assert len(summary["problems"]) == 2


def test_usage_errors_exit_2():
    assert CliRunner().invoke(main, ["run"]).exit_code == 2
    assert CliRunner().invoke(main, ["run", "x.yaml", "--seed", "-1"]).exit_code == 2


def test_missing_policy_file_is_a_policy_error(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.yaml'}: policy file not found"


def test_json_usage_errors_are_json_on_stdout():
    """Issue #8: `--json` with a usage error printed nothing on stdout."""
    cases = {
        ("run", "--json"): "reportgen run: Missing argument 'POLICY'.",
        (
            "run",
            "x.yaml",
            "--seed",
            "-1",
            "--json",
        ): "reportgen run: Invalid value for '--seed': -1 is not in the range 0<=x<=4294967295.",
        ("verify", "--json", "--bogus"): "reportgen verify: No such option '--bogus'.",
    }
    for args, message in cases.items():
        result = CliRunner().invoke(main, list(args), prog_name="reportgen")
        assert result.exit_code == 2, args
        assert json.loads(result.stdout) == {
            "status": "error",
            "exit_code": 2,
            "error": message,
            "problems": [message],
        }


def test_library_warnings_are_held_back_unless_debugging(monkeypatch):
    """Issue #8: a one-row file printed 221 warning lines before its error."""
    import warnings

    from reportgen import pipeline
    from reportgen.errors import InputError

    def noisy(policy, root=None):
        for i in range(221):
            warnings.warn_explicit(f"undefined metric {i}", UserWarning, "sklearn/metrics.py", i)
        raise InputError("data.csv: too few rows")

    monkeypatch.setattr(pipeline, "validate_policy", noisy)
    result = CliRunner().invoke(main, ["validate", "p.yaml"])
    assert result.exit_code == 3
    assert result.stderr.splitlines() == ["error: data.csv: too few rows"]
    shown = CliRunner().invoke(main, ["validate", "p.yaml", "--debug"])
    assert shown.stderr.count("UserWarning: undefined metric") == 221


def test_python_dash_m_runs_the_same_command_line():
    done = subprocess.run(
        [sys.executable, "-m", "reportgen", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"reportgen, version {__version__}"
