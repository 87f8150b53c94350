"""Issue #10, what the imaging example must show: the sound CNN's report passes C8 and its run
exits 0; the shortcut CNN's report fails C8, says so in words a clinician reads, and its run
exits 1. Both publish a full, signed-off-ready version with the maps in HTML and PDF."""

from __future__ import annotations

import json
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from reportgen.cli import main

ROOT = Path(__file__).resolve().parents[1]
SHORTCUT_WORDS = "a shortcut such as a marker, a ruler or the scanner"


def _run(policy: Path, out: Path) -> tuple[int, dict, Path]:
    result = CliRunner().invoke(main, ["run", str(policy), "--out", str(out), "--json"])
    summary = json.loads(result.stdout)
    return result.exit_code, summary, Path(summary["path"])


def _gates(version: Path) -> dict[tuple[str, str | None], str]:
    doc = json.loads((version / "results.json").read_text())
    return {(g["code"], g["method"]): g["status"] for g in doc["gates"]}


@pytest.mark.slow
def test_the_sound_model_passes_c8_and_its_report_shows_the_maps(tmp_path: Path) -> None:
    code, summary, version = _run(ROOT / "policies" / "medical-imaging.yaml", tmp_path)
    assert code == 0, summary
    gates = _gates(version)
    assert gates["C8", "gradcam"] == "pass" and gates["C8", "ig"] == "pass"
    assert "fail" not in gates.values()
    html = (version / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') > 20  # mean maps and the legend, embedded
    assert "Heat-maps" in html and SHORTCUT_WORDS not in html.split("Summary", 1)[1][:3000]
    pdf = pypdf.PdfReader(version / "report.pdf")
    assert sum(len(page.images) for page in pdf.pages) > 20


@pytest.mark.slow
def test_the_shortcut_model_fails_c8_in_plain_words(tmp_path: Path) -> None:
    code, summary, version = _run(ROOT / "examples" / "imaging" / "shortcut-policy.yaml", tmp_path)
    assert code == 1, summary
    gates = _gates(version)
    assert gates["C8", "gradcam"] == "fail" and gates["C8", "ig"] == "fail"
    doc = json.loads((version / "results.json").read_text())
    c8 = next(r for r in doc["results"] if r.get("code") == "C8")
    hits = {m["method"]: m["median"] for m in c8["metrics"] if m["metric"] == "pointing_game"}
    assert hits["gradcam"] < 0.1 and hits["ig"] < 0.1  # the maps point at the corner marker
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(version / "report.pdf").pages)
    assert SHORTCUT_WORDS in " ".join(text.split())
    assert "top-left corner" in " ".join(text.split())
