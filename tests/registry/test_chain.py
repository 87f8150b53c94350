"""A chain that was signed must stay signed, by a key the verifier trusts (issue #8).

`verify`, `release` and `show` judge a version with the chain v1..vN behind it: its links, the
signatures of the earlier manifests, that no version after a signed one is unsigned, and that
the signing key changes only to a key given with --public-key.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.registry.manifest import sha256_bytes
from reportgen.registry.show import describe_version
from reportgen.registry.signing import init_keys, manifest_signer
from reportgen.registry.verify import verify_version
from reportgen.results import canonical_json
from tests.registry.publishing import publish_files
from tests.registry.test_verify import key_fingerprint, publish_versions, write_artifacts
from tests.render.render_fixture import make_document

STAY_SIGNED = "manifest.sig: missing; v1 is signed, and a chain that was signed must stay signed"


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    """Two key pairs: 'ours', which signed the chain, and 'other'."""
    return {name: init_keys(tmp_path / "keys" / name) for name in ("ours", "other")}


@pytest.fixture
def chain(tmp_path: Path, keys: dict[str, tuple[Path, Path]]) -> list[Path]:
    """v1, v2, v3 of a policy, each signed by our key."""
    return publish_versions(tmp_path / "reports", keys["ours"][0], count=3)


def forge(version: Path, new_html: str) -> None:
    """Edit report.html and fix its hash in a manifest written as reportgen writes it."""
    (version / "report.html").write_text(new_html)
    manifest = json.loads((version / "manifest.json").read_bytes())
    manifest["files"]["report.html"] = sha256_bytes((version / "report.html").read_bytes())
    (version / "manifest.json").write_bytes(canonical_json(manifest))


def strip_signature(version: Path) -> None:
    (version / "manifest.sig").unlink()
    (version / "signer.pub").unlink()


def resign(version: Path, private_key: Path) -> None:
    signed = manifest_signer(private_key)((version / "manifest.json").read_bytes())
    for name, data in signed.items():
        (version / name).write_bytes(data)


def changed_key(old: Path, new: Path, old_version: int, prefix: str = "") -> str:
    return (
        f"{prefix}signer.pub: the signing key changed from {key_fingerprint(old)} "
        f"(v{old_version}) to {key_fingerprint(new)}; a new key counts only when given with "
        "--public-key"
    )


def test_an_edited_latest_version_stripped_of_its_signature_fails(
    chain: list[Path], tmp_path: Path
) -> None:
    forge(chain[2], "<html>a better-looking report</html>")
    strip_signature(chain[2])
    assert verify_version(chain[2]).problems == [STAY_SIGNED]
    result = invoke("verify", chain[2])
    assert result.exit_code == 1
    assert result.stderr == f"verify: {STAY_SIGNED}\n"
    assert result.stdout == f"{chain[2]}: 1 problem; do not trust this version\n"
    released = invoke("release", chain[2], "--tag", "1.0", "--out", tmp_path / "dist")
    assert released.exit_code == 1
    assert released.stderr.splitlines() == [
        f"verify: {STAY_SIGNED}",
        f"error: {chain[2]}: fails verification with 1 problem; nothing was released",
    ]
    assert not (tmp_path / "dist").exists()


def test_an_edited_latest_version_re_signed_with_another_key_fails(
    chain: list[Path], keys: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    forge(chain[2], "<html>a better-looking report</html>")
    resign(chain[2], keys["other"][0])
    problem = changed_key(keys["ours"][1], keys["other"][1], 2)
    assert verify_version(chain[2]).problems == [problem]
    result = invoke("verify", chain[2])
    assert (result.exit_code, result.stderr) == (1, f"verify: {problem}\n")
    released = invoke("release", chain[2], "--tag", "1.0", "--out", tmp_path / "dist")
    assert released.exit_code == 1
    assert released.stderr.splitlines()[-1] == (
        f"error: {chain[2]}: fails verification with 1 problem; nothing was released"
    )


def test_a_re_signed_version_fails_against_the_trusted_key(
    chain: list[Path], keys: dict[str, tuple[Path, Path]]
) -> None:
    resign(chain[2], keys["other"][0])
    ours, other = keys["ours"][1], keys["other"][1]
    assert verify_version(chain[2], public_keys=[ours]).problems == [
        f"signer.pub: is not the given public key {ours} (fingerprint "
        f"{key_fingerprint(other)}, expected {key_fingerprint(ours)})",
        "manifest.sig: does not sign manifest.json with the given public key",
    ]


def test_an_unsigned_version_in_the_middle_of_a_signed_chain_fails(chain: list[Path]) -> None:
    strip_signature(chain[1])
    assert verify_version(chain[2]).problems == [f"v2/{STAY_SIGNED}"]
    assert verify_version(chain[1]).problems == [STAY_SIGNED]
    assert verify_version(chain[0]).ok


def test_signing_may_start_after_unsigned_versions(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]]
) -> None:
    out = tmp_path / "reports"
    publish_versions(out, None, count=2)
    [v3] = publish_versions(out, keys["ours"][0], count=1)
    report = verify_version(v3)
    assert (report.ok, report.signed, report.chain) == (True, True, "linked")


def test_a_rotated_key_verifies_only_when_the_new_key_is_given(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]]
) -> None:
    out = tmp_path / "reports"
    publish_versions(out, keys["ours"][0], count=1)
    v2, v3 = publish_versions(out, keys["other"][0], count=2)
    ours, other = keys["ours"][1], keys["other"][1]
    assert verify_version(v2).problems == [changed_key(ours, other, 1)]
    assert verify_version(v3).problems == [changed_key(ours, other, 1, prefix="v2/")]
    assert verify_version(v3, public_keys=[other]).ok
    result = invoke("verify", v3, "--public-key", ours, "--public-key", other)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"verified {v3}: every file matches the manifest; signed by key "
        f"{key_fingerprint(other)}; chain linked\n"
    )
    assert verify_version(v3, public_keys=[ours]).problems == [
        f"signer.pub: is not the given public key {ours} (fingerprint "
        f"{key_fingerprint(other)}, expected {key_fingerprint(ours)})",
        "manifest.sig: does not sign manifest.json with the given public key",
        changed_key(ours, other, 1, prefix="v2/"),
    ]


def test_an_earlier_signature_that_does_not_verify_is_found(
    chain: list[Path], keys: dict[str, tuple[Path, Path]]
) -> None:
    shutil.copyfile(keys["other"][1], chain[0] / "signer.pub")
    assert verify_version(chain[2]).problems == [
        "v1/manifest.sig: does not sign v1/manifest.json with v1/signer.pub"
    ]


def test_an_earlier_broken_link_is_found(chain: list[Path]) -> None:
    forge(chain[0], "<html>v1, rewritten</html>")
    strip_signature(chain[0])
    assert verify_version(chain[2]).problems == [
        "v2/manifest.json: previous_manifest_sha256 does not match v1/manifest.json; "
        "the chain is broken"
    ]


def test_deleted_earlier_versions_are_one_problem_line_per_gap(chain: list[Path]) -> None:
    shutil.rmtree(chain[0])
    assert verify_version(chain[2]).problems == [
        "v1/manifest.json: missing; the hash chain cannot be checked"
    ]
    shutil.rmtree(chain[1])
    report = verify_version(chain[2])
    assert report.problems == ["v1 to v2: missing; the hash chain cannot be checked"]
    assert report.chain == "previous missing"
    result = invoke("verify", chain[2])
    assert result.exit_code == 1
    assert result.stderr == "verify: v1 to v2: missing; the hash chain cannot be checked\n"


# --- show judges the signature the same way ---------------------------------------------------


def publish_reports(out: Path, key: Path | None, count: int) -> list[Path]:
    """Versions with a real results.json, which show reads for its gate tally."""
    document = make_document()

    def write(folder: Path, version: int) -> None:
        write_artifacts(folder, version)
        (folder / "results.json").write_bytes(canonical_json(document))

    sign = manifest_signer(key) if key else None
    return [
        publish_files(out, "credit", write, inputs={}, created_at="t", sign=sign).path
        for _ in range(count)
    ]


def test_show_reports_a_stripped_signature_in_a_signed_chain(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]]
) -> None:
    versions = publish_reports(tmp_path, keys["ours"][0], count=2)
    forge(versions[1], "<html>edited</html>")
    strip_signature(versions[1])
    summary = describe_version(versions[1])
    assert (summary.signed, summary.signature_valid) == (False, None)
    assert summary.signature_problems == [STAY_SIGNED]
    result = invoke("show", versions[1])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[3:5] == [
        "signature: NOT TRUSTED: 1 problem with the signature or the chain behind it "
        "(run reportgen verify)",
        f"  {STAY_SIGNED}",
    ]


def test_show_reports_a_new_key_unless_it_is_trusted(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]]
) -> None:
    versions = publish_reports(tmp_path, keys["ours"][0], count=2)
    resign(versions[1], keys["other"][0])
    problem = changed_key(keys["ours"][1], keys["other"][1], 1)
    summary = describe_version(versions[1])
    assert (summary.signed, summary.signature_valid) == (True, False)
    assert summary.signature_problems == [problem]
    result = invoke("show", versions[1], "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["signature_problems"] == [problem]
    trusted = invoke("show", versions[1], "--public-key", keys["other"][1])
    assert trusted.exit_code == 0, trusted.output
    assert trusted.stdout.splitlines()[3] == (
        f"signature: signed, signature valid; key fingerprint {key_fingerprint(keys['other'][1])}"
    )
