"""Publishing is atomic and never overwrites a version."""

from __future__ import annotations

import hashlib
import json

import pytest

from reportgen.errors import RegistryError
from reportgen.registry import publish, versions


def writer(text: str):
    def write(folder, version):
        (folder / "report.html").write_text(f"{text} v{version}")

    return write


def test_versions_count_up_and_the_manifest_hashes_every_file(tmp_path):
    first = publish(tmp_path, "p", writer("a"), inputs={"policy": "x"}, created_at="t")
    second = publish(tmp_path, "p", writer("b"), inputs={"policy": "x"}, created_at="t")
    assert (first.version, second.version) == (1, 2)
    assert versions(tmp_path / "p") == [1, 2]
    manifest = json.loads((second.path / "manifest.json").read_text())
    assert manifest["files"] == {"report.html": hashlib.sha256(b"b v2").hexdigest()}
    assert manifest["inputs"] == {"policy": "x"}
    assert (first.path / "report.html").read_text() == "a v1"


def test_a_failing_writer_leaves_no_version_and_no_staging_folder(tmp_path):
    def fail(folder, version):
        (folder / "report.html").write_text("half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        publish(tmp_path, "p", fail, inputs={}, created_at="t")
    assert [p.name for p in (tmp_path / "p").iterdir()] == [".lock"]


def test_a_version_that_appears_meanwhile_is_never_overwritten(tmp_path):
    def racing(folder, version):  # another run publishes the same number first
        other = folder.parent / f"v{version}"
        other.mkdir()
        (other / "report.html").write_text("the other run's report")
        (folder / "report.html").write_text("ours")

    with pytest.raises(
        RegistryError, match=r"v1: version 1 was published by another run meanwhile"
    ):
        publish(tmp_path, "p", racing, inputs={}, created_at="t")
    assert (tmp_path / "p" / "v1" / "report.html").read_text() == "the other run's report"
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [".lock", "v1"]


def test_unrelated_folders_are_not_versions(tmp_path):
    for name in ("v0", "v01", "vx", "notes", ".v3-tmp"):
        (tmp_path / name).mkdir()
    (tmp_path / "v7").mkdir()
    assert versions(tmp_path) == [7]


def test_a_version_folder_gets_the_permissions_of_a_plain_mkdir(tmp_path):
    published = publish(tmp_path, "p", writer("a"), inputs={}, created_at="t")
    (tmp_path / "plain").mkdir()
    assert published.path.stat().st_mode == (tmp_path / "plain").stat().st_mode


def test_each_manifest_links_to_the_previous_manifest_hash(tmp_path):
    first = publish(tmp_path, "p", writer("a"), inputs={}, created_at="t")
    second = publish(tmp_path, "p", writer("b"), inputs={}, created_at="t")
    assert first.manifest.previous_manifest_sha256 is None
    expected = hashlib.sha256((first.path / "manifest.json").read_bytes()).hexdigest()
    assert second.manifest.previous_manifest_sha256 == expected


def test_signer_files_are_published_beside_the_manifest(tmp_path):
    def sign(manifest: bytes) -> dict[str, bytes]:
        return {"manifest.sig": hashlib.sha256(manifest).hexdigest().encode()}

    published = publish(tmp_path, "p", writer("a"), inputs={}, created_at="t", sign=sign)
    manifest = (published.path / "manifest.json").read_bytes()
    assert (published.path / "manifest.sig").read_bytes() == hashlib.sha256(
        manifest
    ).hexdigest().encode()
