"""An unusable --out is named in one sentence, before computing; a full disk publishes nothing.

Issue #8: `--out` that is a file, a read-only folder or a full disk failed with an internal
error, after the whole computation, or left files behind.

Tests run as root, and root may write into a read-only folder, so a chmod proves nothing here:
"not writable" is tested by making ``os.access`` (the question the check asks) answer no for
one folder.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.errors import RegistryError
from reportgen.registry import open_publication
from reportgen.results import canonical_json
from tests.render.render_fixture import make_document
from tests.test_schedule import tiny

FULL = OSError(errno.ENOSPC, "No space left on device")


def invoke(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def never_computed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A policy whose computation must not start: the --out problem is found before it."""

    def never(*args: object, **options: object) -> None:
        raise AssertionError("--out was checked only after computing")

    monkeypatch.setattr("reportgen.pipeline.compute", never)
    return tiny(tmp_path)


def refuse_writing(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make ``os.access`` say that ``folder`` is not writable (root could write anyway)."""
    real = os.access

    def access(path: object, mode: int, **options: object) -> bool:
        if Path(str(path)) == folder and mode & os.W_OK:
            return False
        return real(path, mode, **options)  # type: ignore[arg-type]  # os.access keywords

    monkeypatch.setattr(os, "access", access)


def test_run_with_out_a_file_exits_3_before_computing(tmp_path: Path, never_computed: Path) -> None:
    out = tmp_path / "reports.txt"
    out.write_text("not a folder")
    result = invoke("run", never_computed, "--out", out)
    assert result.exit_code == 3
    assert result.stderr == (
        f"error: {out}: is a file, not a folder; give --out a folder (nothing was published)\n"
    )
    assert out.read_text() == "not a folder"


def test_run_with_out_below_a_file_exits_3(tmp_path: Path, never_computed: Path) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "reports"
    result = invoke("run", never_computed, "--out", out)
    assert result.exit_code == 3
    assert result.stderr == (
        f"error: {out}: cannot be created, because {tmp_path / 'file'} is a file; give --out a "
        "folder (nothing was published)\n"
    )


@pytest.mark.parametrize("which", ["out", "policy folder", "missing out's parent"])
def test_run_with_a_folder_it_may_not_write_exits_3(
    tmp_path: Path, never_computed: Path, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    out = tmp_path / "reports"
    folder = {"out": out, "policy folder": out / "credit-scoring", "missing out's parent": tmp_path}
    if which != "missing out's parent":
        folder[which].mkdir(parents=True)
    refuse_writing(monkeypatch, folder[which])
    result = invoke("run", never_computed, "--out", out, "--json")
    assert result.exit_code == 3
    message = (
        f"{folder[which]}: not writable by this user, so nothing can be written there; fix its "
        "permissions or give --out another folder (nothing was published)"
    )
    assert json.loads(result.stdout) == {
        "status": "error",
        "exit_code": 3,
        "error": message,
        "problems": [message],
    }


def test_a_full_disk_while_publishing_publishes_nothing(tmp_path: Path) -> None:
    with (
        pytest.raises(RegistryError) as caught,
        open_publication(tmp_path, "credit", inputs={}, created_at="t") as publication,
    ):
        (publication.staging / "results.json").write_text("{}")
        raise FULL  # while writing the next file
    assert str(caught.value) == (
        f"{tmp_path / 'credit'}: the disk is full, so v1 could not be written; nothing was "
        "published; free some space and run again"
    )
    assert caught.value.exit_code == 3
    assert [p.name for p in (tmp_path / "credit").iterdir()] == [".lock"]


def test_a_full_disk_during_run_exits_3_and_leaves_no_half_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("reportgen.pipeline.compute", lambda *a, **k: make_document())

    def full(path: Path, data: bytes) -> Path:
        path.with_name(f".{path.name}.partial").write_bytes(data[:100])  # half the page...
        raise FULL  # ...when the disk fills up

    monkeypatch.setattr("reportgen.render.files._write_atomic", full)
    out = tmp_path / "reports"
    result = invoke("run", tiny(tmp_path), "--out", out)
    assert result.exit_code == 3
    assert result.stderr == (
        f"error: {out / 'credit-default'}: the disk is full, so v1 could not be written; "
        "nothing was published; free some space and run again\n"
    )
    assert [p.name for p in (out / "credit-default").iterdir()] == [".lock"]


# --- reportgen render ------------------------------------------------------------------------


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(
        "reportgen.render.files.render_pdf", lambda html, **options: b"%PDF-"
    )  # fast
    path = tmp_path / "results.json"
    path.write_bytes(canonical_json(make_document()))
    return path


def test_render_with_out_a_file_exits_3(tmp_path: Path, results: Path) -> None:
    out = tmp_path / "page.html"
    out.write_text("mine")
    result = invoke("render", results, "--out", out)
    assert (result.exit_code, result.stderr) == (
        3,
        f"error: {out}: is a file, not a folder; give --out a folder\n",
    )
    assert out.read_text() == "mine"


def test_render_into_a_folder_it_may_not_write_exits_3(
    tmp_path: Path, results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "rendered"
    out.mkdir()
    refuse_writing(monkeypatch, out)
    result = invoke("render", results, "--out", out)
    assert (result.exit_code, result.stderr) == (
        3,
        f"error: {out}: not writable by this user, so nothing can be written there; fix its "
        "permissions or give --out another folder\n",
    )


def test_render_on_a_full_disk_writes_nothing(
    tmp_path: Path, results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(html: str, **options: object) -> bytes:
        raise FULL

    monkeypatch.setattr("reportgen.render.files.render_pdf", full)
    out = tmp_path / "rendered"
    result = invoke("render", results, "--out", out)
    assert (result.exit_code, result.stderr) == (
        3,
        f"error: {out}: cannot write the report (No space left on device); nothing was written\n",
    )
    assert list(out.iterdir()) == []  # report.html, written first, is gone too


def test_render_writes_both_files_into_out(tmp_path: Path, results: Path) -> None:
    out = tmp_path / "rendered"
    result = invoke("render", results, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {out / 'report.html'}, {out / 'report.pdf'}\n"
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.pdf"]
