"""A damaged report folder gets one sentence that says what is wrong and how to repair it.

Issue #8: a version deleted from the middle of the chain, a latest version folder without its
manifest, or a stray file named ``v2`` in the policy folder made `run` fail with an internal
error (or, for the gap, publish onto a broken chain). Every command now exits 3 with one
sentence (or, for `verify`, exits 1 with a problem line), never a traceback, and `run` says
so before computing anything.
"""

from __future__ import annotations

import shutil
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.errors import RegistryError
from reportgen.registry import Publication, open_publication, versions
from reportgen.results import canonical_json
from tests.registry.publishing import publish_files
from tests.render.render_fixture import make_document
from tests.test_schedule import tiny

POLICY_ID = "credit-scoring"  # the id of the policy `tiny` writes


def invoke(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def opening(out: Path) -> AbstractContextManager[Publication]:
    """The publication of the policy's next version."""
    return open_publication(out, POLICY_ID, inputs={}, created_at="t")


def publish_three(out: Path) -> Path:
    """v1, v2, v3 of the policy, indexed; returns the policy folder."""
    document = make_document()

    def write(folder: Path, version: int) -> None:
        (folder / "results.json").write_bytes(canonical_json(document))

    for _ in range(3):
        publish_files(
            out, POLICY_ID, write, inputs={}, created_at="2025-03-04T09:15:00+00:00",
            index=document,
        )  # fmt: skip
    return out / POLICY_ID


@pytest.fixture
def policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A policy whose computation must never start: these runs fail before it."""

    def never(*args: object, **options: object) -> None:
        raise AssertionError("the damaged folder was found only after computing")

    monkeypatch.setattr("reportgen.pipeline.compute", never)
    return tiny(tmp_path)


def gap(folder: Path) -> str:
    return (
        f"{folder}: v2 is missing from v1..v3, so the hash chain is broken; restore it from a "
        f"backup, or move {folder} away to start a new chain"
    )


def unpublished(folder: Path) -> str:
    return (
        f"{folder / 'v3'}: has no manifest.json, so it is not a published version (damaged, or "
        f"made by hand); move it out of {folder}"
    )


def stray(folder: Path) -> str:
    return f"{folder / 'v2'}: is a file where a version folder belongs; move it out of {folder}"


# --- a version deleted from the middle ----------------------------------------------------------


def test_run_refuses_to_extend_a_chain_with_a_hole(tmp_path: Path, policy: Path) -> None:
    folder = publish_three(tmp_path / "out")
    shutil.rmtree(folder / "v2")
    result = invoke("run", policy, "--out", tmp_path / "out")
    assert (result.exit_code, result.stderr) == (3, f"error: {gap(folder)}\n")
    assert versions(folder) == [1, 3]
    result = invoke("run", policy, "--out", tmp_path / "out", "--force")
    assert (result.exit_code, result.stderr) == (3, f"error: {gap(folder)}\n")


def test_the_deleted_version_is_named_by_show_and_verify(tmp_path: Path) -> None:
    out = tmp_path / "out"
    folder = publish_three(out)
    shutil.rmtree(folder / "v2")
    shown = invoke("show", f"{POLICY_ID}/v2", "--out", out)
    assert shown.exit_code == 3
    assert shown.stderr == (
        f"error: {folder / 'v2'}: no such version; it is missing from v1..v3 (restore it from "
        "a backup)\n"
    )
    verified = invoke("verify", folder / "v3")
    assert verified.exit_code == 1
    assert (
        verified.stderr == "verify: v2/manifest.json: missing; the hash chain cannot be checked\n"
    )
    assert invoke("diff", f"{POLICY_ID}/v1", f"{POLICY_ID}/v3", "--out", out).exit_code == 0
    listed = invoke("history", "--out", out, "--rebuild", "--json")
    assert listed.exit_code == 0, listed.output


# --- a latest version folder without its manifest -----------------------------------------------


def test_a_version_folder_without_a_manifest_is_named_by_every_command(
    tmp_path: Path, policy: Path
) -> None:
    out = tmp_path / "out"
    folder = publish_three(out)
    (folder / "v3" / "manifest.json").unlink()
    (out / "index.sqlite").unlink()  # so that history builds its index from the folders
    expected = f"error: {unpublished(folder)}\n"
    for args in (
        ("run", policy, "--out", out),
        ("show", POLICY_ID, "--out", out),
        ("diff", f"{POLICY_ID}/v2", f"{POLICY_ID}/v3", "--out", out),
        ("history", "--out", out),
        ("history", "--out", out, "--rebuild"),
    ):
        result = invoke(*args)
        assert (result.exit_code, result.stderr) == (3, expected), args
    verified = invoke("verify", folder / "v3")
    assert (verified.exit_code, verified.stderr) == (1, "verify: manifest.json: missing\n")


def test_publish_refuses_to_build_on_a_version_without_a_manifest(tmp_path: Path) -> None:
    folder = publish_three(tmp_path)
    (folder / "v3" / "manifest.json").unlink()
    with pytest.raises(RegistryError) as caught, opening(tmp_path):
        raise AssertionError("a publication opened on a version without a manifest")
    assert str(caught.value) == unpublished(folder)
    assert sorted(p.name for p in folder.iterdir()) == [".lock", "v1", "v2", "v3"]


# --- a stray file named like a version ----------------------------------------------------------


def test_a_stray_file_named_like_a_version_is_named_by_run_and_show(
    tmp_path: Path, policy: Path
) -> None:
    out = tmp_path / "out"
    folder = publish_three(out)
    shutil.rmtree(folder / "v2")
    (folder / "v2").write_text("notes someone saved here")
    result = invoke("run", policy, "--out", out)
    assert (result.exit_code, result.stderr) == (3, f"error: {stray(folder)}\n")
    shown = invoke("show", f"{POLICY_ID}/v2", "--out", out)
    assert (shown.exit_code, shown.stderr) == (3, f"error: {stray(folder)}\n")
    assert (folder / "v2").read_text() == "notes someone saved here"


def test_a_stray_file_where_the_next_version_goes_is_not_blamed_on_another_run(
    tmp_path: Path,
) -> None:
    folder = publish_three(tmp_path)
    (folder / "v4").write_text("x")
    with pytest.raises(RegistryError) as caught, opening(tmp_path):
        raise AssertionError("a publication opened beside a stray file named v4")
    assert str(caught.value) == (
        f"{folder / 'v4'}: is a file where a version folder belongs; move it out of {folder}"
    )
    assert sorted(p.name for p in folder.iterdir()) == [".lock", "v1", "v2", "v3", "v4"]
