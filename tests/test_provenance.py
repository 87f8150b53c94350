"""Provenance of a run: the templates' digest and reportgen's git commit, shown in the appendix."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reportgen import provenance
from reportgen.provenance import source_commit, source_root
from reportgen.render.html import templates_digest, templates_dir
from reportgen.render.method import hash_rows
from tests.render.render_fixture import make_document


def test_the_templates_digest_covers_every_name_and_byte(tmp_path: Path) -> None:
    (tmp_path / "base.html").write_text("<p>{{ x }}</p>")
    (tmp_path / "report.css").write_text("p {}")
    first = templates_digest(tmp_path)
    assert templates_digest(tmp_path) == first
    (tmp_path / "report.css").write_text("p { }")
    changed = templates_digest(tmp_path)
    (tmp_path / "report.css").rename(tmp_path / "print.css")
    assert len({first, changed, templates_digest(tmp_path)}) == 3
    assert len(templates_digest()) == 64 and templates_digest() == templates_digest(templates_dir())


def git(folder: Path, *args: str) -> str:
    command = ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def test_the_commit_is_that_of_the_checkout_holding_reportgen(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "f").write_text("x")
    git(tmp_path, "add", "f")
    git(tmp_path, "commit", "-q", "-m", "one")
    assert source_commit(tmp_path) == git(tmp_path, "rev-parse", "HEAD")
    (tmp_path / "sub").mkdir()
    assert source_commit(tmp_path / "sub") is None  # inside a repository, not its top


def test_no_git_or_no_checkout_gives_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert source_commit(tmp_path) is None

    def missing(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError("git")

    monkeypatch.setattr(provenance.subprocess, "run", missing)
    assert source_commit() is None
    assert source_root() == Path(provenance.__file__).resolve().parent.parent


def test_the_appendix_lists_templates_and_commit_when_recorded() -> None:
    doc = make_document()
    assert [r.item for r in hash_rows(doc)][-1] == "Evaluation data"
    run = doc.run.model_copy(update={"templates_sha256": "d" * 64, "git_commit": "e" * 40})
    rows = hash_rows(doc.model_copy(update={"run": run}))
    assert [(r.item, r.path, r.sha256) for r in rows[-2:]] == [
        ("Report templates", "templates/", "d" * 64),
        ("reportgen source", "git commit", "e" * 40),
    ]
