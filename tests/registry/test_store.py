"""Publishing is a session: atomic, never overwriting a version, never calling back (issue #9)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from reportgen.errors import RegistryError
from reportgen.registry import open_publication, versions
from reportgen.results import canonical_json
from tests.registry.publishing import publish_files


def writer(text: str):
    def write(folder: Path, version: int) -> None:
        (folder / "report.html").write_text(f"{text} v{version}")

    return write


def test_versions_count_up_and_the_manifest_hashes_every_file(tmp_path: Path) -> None:
    first = publish_files(tmp_path, "p", writer("a"), inputs={"policy": "x"})
    second = publish_files(tmp_path, "p", writer("b"), inputs={"policy": "x"})
    assert (first.version, second.version) == (1, 2)
    assert versions(tmp_path / "p") == [1, 2]
    manifest = json.loads((second.path / "manifest.json").read_text())
    assert manifest["files"] == {"report.html": hashlib.sha256(b"b v2").hexdigest()}
    assert manifest["inputs"] == {"policy": "x"}
    assert (first.path / "report.html").read_text() == "a v1"
    assert canonical_json(second.manifest) == (second.path / "manifest.json").read_bytes()


def test_the_publication_offers_the_number_the_previous_version_and_a_hidden_folder(
    tmp_path: Path,
) -> None:
    first = publish_files(tmp_path, "p", writer("a"))
    with open_publication(tmp_path, "p", inputs={}, created_at="t") as publication:
        assert (publication.version, publication.previous) == (2, first)
        assert publication.staging.parent == tmp_path / "p"
        assert publication.staging.name.startswith(".v2-")
        publication.commit()


def test_a_failure_before_the_commit_leaves_no_version_and_no_staging_folder(
    tmp_path: Path,
) -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        open_publication(tmp_path, "p", inputs={}, created_at="t") as publication,
    ):
        (publication.staging / "report.html").write_text("half")
        raise RuntimeError("boom")
    assert [p.name for p in (tmp_path / "p").iterdir()] == [".lock"]


def test_leaving_without_a_commit_publishes_nothing(tmp_path: Path) -> None:
    with open_publication(tmp_path, "p", inputs={}, created_at="t") as publication:
        (publication.staging / "report.html").write_text("changed my mind")
    assert publication.published is None
    assert [p.name for p in (tmp_path / "p").iterdir()] == [".lock"]


def test_a_version_that_appears_meanwhile_is_never_overwritten(tmp_path: Path) -> None:
    def racing(folder: Path, version: int) -> None:  # a version made by hand meanwhile
        other = folder.parent / f"v{version}"
        other.mkdir()
        (other / "report.html").write_text("the other run's report")
        (folder / "report.html").write_text("ours")

    with pytest.raises(
        RegistryError, match=r"v1: version 1 was published by another run meanwhile"
    ):
        publish_files(tmp_path, "p", racing)
    assert (tmp_path / "p" / "v1" / "report.html").read_text() == "the other run's report"
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [".lock", "v1"]


def test_a_publication_commits_once(tmp_path: Path) -> None:
    with open_publication(tmp_path, "p", inputs={}, created_at="t") as publication:
        publication.commit()
        with pytest.raises(RegistryError) as caught:
            publication.commit()
    assert (
        str(caught.value)
        == f"{tmp_path / 'p' / 'v1'}: is committed already; open another publication"
    )
    assert versions(tmp_path / "p") == [1]


def test_unrelated_folders_are_not_versions(tmp_path: Path) -> None:
    for name in ("v0", "v01", "vx", "notes", ".v3-tmp"):
        (tmp_path / name).mkdir()
    (tmp_path / "v7").mkdir()
    assert versions(tmp_path) == [7]


def test_a_version_folder_gets_the_permissions_of_a_plain_mkdir(tmp_path: Path) -> None:
    published = publish_files(tmp_path, "p", writer("a"))
    (tmp_path / "plain").mkdir()
    assert published.path.stat().st_mode == (tmp_path / "plain").stat().st_mode


def test_each_manifest_links_to_the_previous_manifest_hash(tmp_path: Path) -> None:
    first = publish_files(tmp_path, "p", writer("a"))
    second = publish_files(tmp_path, "p", writer("b"))
    assert first.manifest.previous_manifest_sha256 is None
    expected = hashlib.sha256((first.path / "manifest.json").read_bytes()).hexdigest()
    assert second.manifest.previous_manifest_sha256 == expected


def test_the_draft_manifest_is_the_final_one_less_the_files_written_after_it(
    tmp_path: Path,
) -> None:
    publish_files(tmp_path, "p", writer("a"))
    with open_publication(tmp_path, "p", inputs={"policy": "x"}, created_at="t") as publication:
        (publication.staging / "report.html").write_text("page")
        draft = publication.draft_manifest()
        (publication.staging / "report.pdf").write_text("embeds the draft")
        final = publication.commit().manifest
    later = {k: v for k, v in final.files.items() if k != "report.pdf"}
    assert draft == final.model_copy(update={"files": later})


def test_signer_files_are_published_beside_the_manifest(tmp_path: Path) -> None:
    def sign(manifest: bytes) -> dict[str, bytes]:
        return {"manifest.sig": hashlib.sha256(manifest).hexdigest().encode()}

    published = publish_files(tmp_path, "p", writer("a"), sign=sign)
    manifest = (published.path / "manifest.json").read_bytes()
    assert (published.path / "manifest.sig").read_bytes() == hashlib.sha256(
        manifest
    ).hexdigest().encode()
    assert "manifest.sig" not in published.manifest.files
