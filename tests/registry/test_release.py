"""`release` writes one deterministic archive of a verified version, and refuses a tampered one.

The last tests make one real, signed `reportgen run` (small budgets, no checks) and follow it
through what an archive needs: the PDF/A-3 with its embedded files, verify, release.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from pypdf import PdfReader

from reportgen.cli import main
from reportgen.registry.manifest import sha256_bytes
from reportgen.registry.release import ReleaseRefused, release_version
from reportgen.registry.signing import fingerprint_file, init_keys, manifest_signer
from reportgen.registry.verify import verify_version
from tests.conftest import ROOT, policy_with
from tests.registry.publishing import publish_files
from tests.registry.test_verify import (
    flip_byte,
    key_fingerprint,
    publish_versions,
    write_artifacts,
)
from tests.test_end_to_end import small

CREATED_AT = 1741079700  # 2025-03-04T09:15:00+00:00, the manifests' created_at


def reviewer(public: Path) -> dict[str, Any]:
    """The one reviewer the real run's policy trusts: the key holder, as risk officer."""
    return {
        "name": "Rita Okafor",
        "roles": ["risk_officer"],
        "fingerprint": fingerprint_file(public),
    }


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def members(archive: Path) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(archive) as tar:
        return {m.name: m for m in tar.getmembers()}


def member_bytes(archive: Path, name: str) -> bytes:
    with tarfile.open(archive) as tar:
        handle = tar.extractfile(name)
        assert handle is not None
        return handle.read()


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return init_keys(tmp_path / "keys")


def test_a_signed_release_holds_the_version_and_release_json(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    version = publish_versions(tmp_path / "reports", keys[0])[1]
    result = invoke("release", version, "--tag", "model-1.4.0", "--out", tmp_path / "rel")
    assert result.exit_code == 0, result.output
    archive = tmp_path / "rel" / "credit-v2-model-1.4.0.tar.gz"
    assert result.stdout == f"released {archive}\n"
    found = members(archive)
    stem = "credit-v2-model-1.4.0/"
    names = ["manifest.json", "manifest.sig", "report.html", "report.pdf", "results.json"]
    names += ["signer.pub"]
    assert list(found) == [stem + "RELEASE.json", *(f"{stem}v2/{n}" for n in names)]
    for name, member in found.items():
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert (member.mtime, member.mode, member.isfile()) == (CREATED_AT, 0o644, True)
        if "/v2/" in name:
            assert member_bytes(archive, name) == (version / name.split("/")[-1]).read_bytes()
    assert json.loads(member_bytes(archive, stem + "RELEASE.json")) == {
        "kind": "reportgen.release",
        "schema_version": "1.0",
        "tag": "model-1.4.0",
        "policy_id": "credit",
        "version": 2,
        "manifest_sha256": sha256_bytes((version / "manifest.json").read_bytes()),
        "public_key_fingerprint": key_fingerprint(keys[1]),
    }


def test_an_unsigned_release_records_no_fingerprint(tmp_path: Path) -> None:
    version = publish_versions(tmp_path / "reports", None, count=1)[0]
    made = release_version(version, tag="t1", out=tmp_path)
    assert [n.split("/", 1)[1] for n in members(made.archive)] == [
        "RELEASE.json",
        "v1/manifest.json",
        "v1/report.html",
        "v1/report.pdf",
        "v1/results.json",
    ]
    assert made.info["public_key_fingerprint"] is None


def test_every_file_the_manifest_lists_is_released_and_verifies_once_extracted(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    def write(folder: Path, version: int) -> None:
        write_artifacts(folder, version)
        (folder / "changes.json").write_text("{}\n")

    sign = manifest_signer(keys[0])
    version = publish_files(tmp_path / "r", "p", write, inputs={}, created_at="t", sign=sign).path
    made = release_version(version, tag="1", out=tmp_path)
    assert "p-v1-1/v1/changes.json" in members(made.archive)
    with tarfile.open(made.archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    extracted = verify_version(tmp_path / "unpacked" / "p-v1-1" / "v1", public_keys=[keys[1]])
    assert (extracted.ok, extracted.chain, extracted.problems) == (True, "first", [])
    assert extracted.manifest_sha256 == made.info["manifest_sha256"]


def test_two_releases_of_a_version_are_byte_identical(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    version = publish_versions(tmp_path / "reports", keys[0], count=1)[0]
    first = release_version(version, tag="v9", out=tmp_path / "a").archive
    second = release_version(version, tag="v9", out=tmp_path / "b").archive
    assert first.read_bytes() == second.read_bytes()
    assert release_version(version, tag="v9", out=tmp_path / "a").archive == first  # idempotent
    assert first.read_bytes()[4:8] == b"\0\0\0\0"  # the gzip header carries no time


def test_a_tampered_version_is_not_released(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    version = publish_versions(tmp_path / "reports", keys[0], count=1)[0]
    flip_byte(version / "report.pdf")
    with pytest.raises(ReleaseRefused):
        release_version(version, tag="x", out=tmp_path / "rel")
    result = invoke("release", version, "--tag", "x", "--out", tmp_path / "rel")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "verify: report.pdf: content changed (sha256 differs from manifest.json)",
        f"error: {version}: fails verification with 1 problem; nothing was released",
    ]
    assert not (tmp_path / "rel").exists()


def test_a_different_archive_of_the_same_name_is_never_replaced(tmp_path: Path) -> None:
    version = publish_versions(tmp_path / "reports", None, count=1)[0]
    (tmp_path / "credit-v1-x.tar.gz").write_bytes(b"someone else's archive")
    result = invoke("release", version, "--tag", "x", "--out", tmp_path)
    assert result.exit_code == 3
    assert result.stderr == (
        f"error: {tmp_path / 'credit-v1-x.tar.gz'}: a different release archive exists; "
        "refusing to replace it\n"
    )
    assert (tmp_path / "credit-v1-x.tar.gz").read_bytes() == b"someone else's archive"


def test_a_tag_that_cannot_be_a_file_name_is_a_usage_error(tmp_path: Path) -> None:
    version = publish_versions(tmp_path / "reports", None, count=1)[0]
    result = invoke("release", version, "--tag", "../up", "--out", tmp_path)
    assert result.exit_code == 2
    assert "release tag '../up' must be 1 to 128 letters" in result.stderr


# --- one real, signed run ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A signed v1 from a real run of the credit policy, and the public key.

    The policy trusts one reviewer, the signer's key holder, as risk officer.
    """
    tmp = tmp_path_factory.mktemp("real")
    private, public = init_keys(tmp / "keys")
    policy = small(policy_with(ROOT / "policies" / "credit.yaml", tmp))
    data = yaml.safe_load(policy.read_text())
    data["review"] = {"required_roles": ["risk_officer"], "reviewers": [reviewer(public)]}
    policy.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp / "reports"
    result = invoke("run", policy, "--out", out, "--sign-key", private, "--json")
    assert result.exit_code == 0, result.output
    return out / "credit-scoring" / "v1", public


def test_the_pdf_is_pdf_a_3_and_embeds_the_results_and_a_draft_manifest(
    published: tuple[Path, Path],
) -> None:
    version = published[0]
    pdf = (version / "report.pdf").read_bytes()
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.pdf_header == "%PDF-1.7"
    root: Any = reader.root_object
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp
    embedded = {name: data[0] for name, data in reader.attachments.items()}
    assert sorted(embedded) == ["manifest.json", "results.json"]
    assert embedded["results.json"] == (version / "results.json").read_bytes()
    # The embedded manifest is the published one less the PDF's own entry.
    outer = json.loads((version / "manifest.json").read_bytes())
    outer["files"].pop("report.pdf")
    assert json.loads(embedded["manifest.json"]) == outer


def test_the_run_records_templates_and_source_commit_as_inputs(
    published: tuple[Path, Path],
) -> None:
    version = published[0]
    run = json.loads((version / "results.json").read_bytes())["run"]
    inputs = json.loads((version / "manifest.json").read_bytes())["inputs"]
    from reportgen.provenance import source_commit
    from reportgen.render.html import templates_digest

    assert run["templates_sha256"] == inputs["templates"] == templates_digest()
    assert run["git_commit"] == inputs["reportgen_commit"] == source_commit()
    html = (version / "report.html").read_text(encoding="utf-8")
    assert f'<td class="hash">{templates_digest()}</td>' in html
    assert "covers every file of the version except the PDF itself" in " ".join(html.split())


def test_the_signed_manifest_vouches_for_the_trusted_reviewers(
    published: tuple[Path, Path],
) -> None:
    version, public = published
    signoff = (version / "signoff.json").read_bytes()
    assert json.loads(signoff) == {
        "kind": "reportgen.signoff",
        "schema_version": "1.1",
        "required_roles": ["risk_officer"],
        "reviewers": [reviewer(public)],
    }
    manifest = json.loads((version / "manifest.json").read_bytes())
    assert manifest["files"]["signoff.json"] == sha256_bytes(signoff)


def test_a_real_signed_run_verifies_and_releases(
    published: tuple[Path, Path], tmp_path: Path
) -> None:
    version, public = published
    checked = invoke("verify", version, "--public-key", public)
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.endswith("chain first\n")
    result = invoke("release", version, "--tag", "1.0.0", "--out", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["archive"] == str(tmp_path / "credit-scoring-v1-1.0.0.tar.gz")
    assert summary["public_key_fingerprint"] == key_fingerprint(public)
