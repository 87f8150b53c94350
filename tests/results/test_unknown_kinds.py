"""A results.json with a result of a kind this version does not know is refused in one sentence
that names the entry and the kind, not with the schema validator's text (#9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen import __version__
from reportgen.cli import main
from reportgen.errors import InputError
from reportgen.results import load_results
from reportgen.results.document import RESULT_KINDS
from tests.conftest import FIXTURES

UNKNOWN_KIND = FIXTURES / "results" / "unknown_kind.json"
"""A results document whose results[2] has kind 'heatmap' (say, Grad-CAM maps from a newer
reportgen); everything else in it is valid."""


def _message(verb: str) -> str:
    return (
        f"{UNKNOWN_KIND}: results[2] has kind 'heatmap', which this version of reportgen "
        f"({__version__}) cannot {verb}; {verb} it with the version that produced it"
    )


def test_render_refuses_an_unknown_kind_in_one_sentence(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["render", str(UNKNOWN_KIND), "--out", str(out)])
    assert result.exit_code == 3
    assert result.stderr == f"error: {_message('render')}\n"
    assert not out.exists()


def test_render_with_json_reports_the_same_sentence(tmp_path: Path) -> None:
    args = ["render", str(UNKNOWN_KIND), "--out", str(tmp_path / "report"), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 3
    payload = json.loads(result.stdout)
    assert (payload["status"], payload["error"]) == ("error", _message("render"))


def test_reading_refuses_it_in_the_same_words() -> None:
    with pytest.raises(InputError) as info:
        load_results(UNKNOWN_KIND)
    assert str(info.value) == _message("read")


def test_the_fixture_is_valid_but_for_that_kind(tmp_path: Path) -> None:
    data = json.loads(UNKNOWN_KIND.read_text(encoding="utf-8"))
    assert data["results"][2]["kind"] == "heatmap" not in RESULT_KINDS
    del data["results"][2]
    valid = tmp_path / "results.json"
    valid.write_text(json.dumps(data), encoding="utf-8")
    kinds = [result.kind for result in load_results(valid).results]
    assert kinds == ["model_performance", "global_shap", "permutation_importance"]


def test_a_result_without_a_kind_is_still_named_by_the_schema(tmp_path: Path) -> None:
    data = json.loads(UNKNOWN_KIND.read_text(encoding="utf-8"))
    del data["results"][2]["kind"]
    bad = tmp_path / "results.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match=r"^.*: not a reportgen results document: results\.2"):
        load_results(bad)
