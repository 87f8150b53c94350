"""`verify` finds every changed byte: artifacts, manifest, signature, extra or missing files, chain."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.errors import RegistryError
from reportgen.registry.signing import fingerprint, init_keys, load_public_key, manifest_signer
from reportgen.registry.verify import verify_version
from tests.registry.publishing import publish_files

ARTIFACTS = ("report.html", "report.pdf", "results.json")
CHANGED = "{}: content changed (sha256 differs from manifest.json)"
BAD_SIGNATURE = "manifest.sig: does not sign manifest.json with signer.pub"
NOT_CANONICAL = (
    "manifest.json: edited after publishing (its bytes are not the canonical JSON reportgen "
    "writes for its content)"
)
STAY_SIGNED = "manifest.sig: missing; v1 is signed, and a chain that was signed must stay signed"
UNSIGNED = (
    "not signed, so an edit that also rewrites manifest.json cannot be detected "
    "(sign with run --sign-key)"
)


def write_artifacts(folder: Path, version: int) -> None:
    """Stand-ins for the three artifacts: verify reads bytes, never their format."""
    (folder / "report.html").write_text(f"<html><p>report v{version}</p></html>\n")
    (folder / "report.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) + b"\n%%EOF\n")
    (folder / "results.json").write_text(json.dumps({"version": version}) + "\n")


def make_keys(folder: Path) -> tuple[Path, Path]:
    return init_keys(folder)


def key_fingerprint(public: Path) -> str:
    return fingerprint(load_public_key(public.read_bytes(), str(public)))


def publish_versions(out: Path, key: Path | None, count: int = 2) -> list[Path]:
    sign = manifest_signer(key) if key is not None else None
    return [
        publish_files(
            out,
            "credit",
            write_artifacts,
            inputs={"policy": "0" * 64},
            created_at="2025-03-04T09:15:00+00:00",
            sign=sign,
        ).path
        for _ in range(count)
    ]


def flip_byte(path: Path, offset: int = -3) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return make_keys(tmp_path / "keys")


@pytest.fixture
def signed(tmp_path: Path, keys: tuple[Path, Path]) -> list[Path]:
    """v1 and v2 of a policy, both signed."""
    return publish_versions(tmp_path / "reports", keys[0])


def problems(version: Path, **options: list[Path]) -> list[str]:
    return verify_version(version, **options).problems


def test_an_untouched_signed_version_verifies(signed: list[Path], keys: tuple[Path, Path]) -> None:
    first, second = verify_version(signed[0]), verify_version(signed[1], public_keys=[keys[1]])
    assert (first.ok, first.problems, first.chain, first.signed) == (True, [], "first", True)
    assert (second.ok, second.problems, second.chain) == (True, [], "linked")
    assert second.fingerprint == first.fingerprint == key_fingerprint(keys[1])
    assert (second.version, second.policy_id) == (2, "credit")


def test_an_unsigned_version_verifies_and_says_so(tmp_path: Path) -> None:
    report = verify_version(publish_versions(tmp_path, None, count=1)[0])
    assert (report.ok, report.signed, report.fingerprint, report.chain) == (
        True,
        False,
        None,
        "first",
    )


@pytest.mark.parametrize("name", ARTIFACTS)
def test_one_changed_byte_in_an_artifact_is_found(signed: list[Path], name: str) -> None:
    flip_byte(signed[1] / name)
    assert problems(signed[1]) == [CHANGED.format(name)]


def test_one_changed_byte_in_the_manifest_breaks_the_signature(signed: list[Path]) -> None:
    manifest = signed[1] / "manifest.json"
    text = manifest.read_text()
    manifest.write_text(text.replace("2025-03-04T09:15", "2025-03-04T09:16", 1))
    assert problems(signed[1]) == [BAD_SIGNATURE]


def test_an_altered_signature_is_found(signed: list[Path]) -> None:
    flip_byte(signed[1] / "manifest.sig", offset=5)
    assert problems(signed[1]) == [BAD_SIGNATURE]


def test_a_signer_key_replaced_by_another_key_is_found(signed: list[Path], tmp_path: Path) -> None:
    _, other_public = make_keys(tmp_path / "other")
    shutil.copyfile(other_public, signed[1] / "signer.pub")
    assert problems(signed[1]) == [BAD_SIGNATURE]


def test_a_garbled_signer_key_is_named(signed: list[Path]) -> None:
    (signed[1] / "signer.pub").write_text("not a key\n")
    assert problems(signed[1]) == ["signer.pub: not a PEM public key"]


def test_an_extra_file_is_found(signed: list[Path]) -> None:
    (signed[1] / "notes.txt").write_text("added later")
    (signed[1] / "attic").mkdir()
    assert problems(signed[1]) == [
        "attic: extra folder, not listed in manifest.json",
        "notes.txt: extra file, not listed in manifest.json",
    ]


def test_a_deleted_file_is_found(signed: list[Path]) -> None:
    (signed[1] / "report.pdf").unlink()
    assert problems(signed[1]) == ["report.pdf: listed in manifest.json but missing"]


def test_a_deleted_signature_is_found(signed: list[Path]) -> None:
    (signed[1] / "manifest.sig").unlink()
    assert problems(signed[1]) == [STAY_SIGNED]


def test_a_signature_file_without_its_key_is_found(tmp_path: Path) -> None:
    version = publish_versions(tmp_path, None, count=1)[0]
    (version / "signer.pub").write_text("a key without a signature")
    assert problems(version) == ["manifest.sig: missing although signer.pub is present"]


def test_a_deleted_manifest_is_found(signed: list[Path]) -> None:
    (signed[1] / "manifest.json").unlink()
    assert problems(signed[1]) == ["manifest.json: missing"]


def test_editing_the_previous_manifest_breaks_the_newer_versions_chain(
    signed: list[Path],
) -> None:
    old = signed[0] / "manifest.json"
    old.write_text(old.read_text().replace('"version": 1', '"version": 1 '))
    newer = verify_version(signed[1])
    assert newer.problems == [
        "v1/manifest.sig: does not sign v1/manifest.json with v1/signer.pub",
        "manifest.json: previous_manifest_sha256 does not match v1/manifest.json; "
        "the chain is broken",
    ]
    assert newer.chain == "broken"
    assert problems(signed[0]) == [
        NOT_CANONICAL,
        BAD_SIGNATURE,
        "manifest.json: changed since v2 was published "
        "(its previous_manifest_sha256 does not match)",
    ]


def test_an_unsigned_edited_manifest_is_caught_by_the_next_version(tmp_path: Path) -> None:
    first, _ = publish_versions(tmp_path, None)
    manifest = first / "manifest.json"
    manifest.write_text(manifest.read_text().replace("09:15", "09:16", 1))
    assert problems(first) == [
        "manifest.json: changed since v2 was published "
        "(its previous_manifest_sha256 does not match)"
    ]


@pytest.mark.parametrize(
    "edit",
    [
        lambda text: text.replace('"version": 1', '"version":  1'),  # issue #8: one space
        lambda text: text + "\n",  # a second newline at the end
        lambda text: text.replace("\n  ", "\n    ", 1),  # another indentation
    ],
    ids=["space", "trailing newline", "indentation"],
)
def test_an_unsigned_manifest_edited_into_other_valid_json_is_found(tmp_path: Path, edit) -> None:
    version = publish_versions(tmp_path, None, count=1)[0]
    manifest = version / "manifest.json"
    edited = edit(manifest.read_text())
    assert json.loads(edited) == json.loads(manifest.read_text())  # the same content
    manifest.write_text(edited)
    assert problems(version) == [NOT_CANONICAL]
    result = invoke("verify", version)
    assert result.exit_code == 1
    assert result.stderr == f"verify: {NOT_CANONICAL}\n"
    assert result.stdout == f"{version}: 1 problem; do not trust this version\n"


def test_cli_verify_says_what_an_unsigned_version_cannot_prove(tmp_path: Path) -> None:
    version = publish_versions(tmp_path, None, count=1)[0]
    result = invoke("verify", version)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"verified {version}: every file matches the manifest; {UNSIGNED}; chain first\n"
    )


def test_a_missing_previous_version_is_a_problem(signed: list[Path]) -> None:
    shutil.rmtree(signed[0])
    report = verify_version(signed[1])
    assert report.problems == ["v1/manifest.json: missing; the hash chain cannot be checked"]
    assert report.chain == "previous missing"


def test_a_renumbered_version_is_found(signed: list[Path]) -> None:
    renamed = signed[1].with_name("v3")
    shutil.copytree(signed[1], renamed)
    assert problems(renamed) == [
        "manifest.json: records version 2 but the folder is v3",
        "manifest.json: previous_manifest_sha256 does not match v2/manifest.json; "
        "the chain is broken",
    ]


def test_another_public_key_is_refused(
    signed: list[Path], keys: tuple[Path, Path], tmp_path: Path
) -> None:
    _, other = make_keys(tmp_path / "other")
    assert problems(signed[1], public_keys=[other]) == [
        f"signer.pub: is not the given public key {other} (fingerprint "
        f"{key_fingerprint(keys[1])}, expected {key_fingerprint(other)})",
        "manifest.sig: does not sign manifest.json with the given public key",
    ]


def test_a_public_key_demands_a_signature(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    unsigned = publish_versions(tmp_path / "reports", None, count=1)[0]
    assert problems(unsigned, public_keys=[keys[1]]) == [
        "manifest.sig: missing; the version is not signed"
    ]


def test_a_folder_that_is_not_a_version_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="not a report version"):
        verify_version(tmp_path)
    with pytest.raises(RegistryError, match="not a folder"):
        verify_version(tmp_path / "nowhere")


# --- the command line -------------------------------------------------------------------------


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_verify_exits_0_and_names_the_signer(
    signed: list[Path], keys: tuple[Path, Path]
) -> None:
    result = invoke("verify", signed[1], "--public-key", keys[1])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"verified {signed[1]}: every file matches the manifest; "
        f"signed by key {key_fingerprint(keys[1])}; chain linked\n"
    )


def test_cli_verify_exits_1_with_one_line_per_problem(signed: list[Path]) -> None:
    flip_byte(signed[1] / "report.html")
    (signed[1] / "notes.txt").write_text("x")
    result = invoke("verify", signed[1])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "verify: report.html: content changed (sha256 differs from manifest.json)",
        "verify: notes.txt: extra file, not listed in manifest.json",
    ]
    assert result.stdout == f"{signed[1]}: 2 problems; do not trust this version\n"


def test_cli_verify_json(signed: list[Path]) -> None:
    flip_byte(signed[1] / "results.json")
    result = invoke("verify", signed[1], "--json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["status"] == "problems" and summary["chain"] == "linked"
    assert summary["problems"] == [CHANGED.format("results.json")]


def test_cli_verify_exits_3_when_the_folder_is_not_a_version(tmp_path: Path) -> None:
    result = invoke("verify", tmp_path)
    assert result.exit_code == 3
    assert result.stderr == f"error: {tmp_path}: not a report version (it has no manifest.json)\n"


def test_cli_verify_exits_3_on_an_unreadable_public_key(signed: list[Path], tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("nope")
    result = invoke("verify", signed[1], "--public-key", bogus)
    assert result.exit_code == 3
    assert result.stderr == f"error: {bogus}: not a PEM public key\n"


# --- keys init --------------------------------------------------------------------------------


def test_keys_init_creates_a_private_key_only_its_owner_can_read(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    result = invoke("keys", "init", "--dir", folder)
    assert result.exit_code == 0, result.output
    private, public = folder / "reportgen_signing.key", folder / "reportgen_signing.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert result.stdout.splitlines() == [
        f"private key: {private} (mode 0600; keep it secret, e.g. as a CI secret)",
        f"public key:  {public} (give it to auditors: reportgen verify --public-key)",
        f"fingerprint: {key_fingerprint(public)}",
    ]


def test_keys_init_defaults_to_the_user_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    result = invoke("keys", "init", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["private_key"] == str(tmp_path / "xdg" / "reportgen" / "reportgen_signing.key")
    assert os.path.isfile(summary["public_key"])


def test_keys_init_refuses_to_overwrite_a_key(tmp_path: Path) -> None:
    assert invoke("keys", "init", "--dir", tmp_path).exit_code == 0
    before = (tmp_path / "reportgen_signing.key").read_bytes()
    result = invoke("keys", "init", "--dir", tmp_path)
    assert result.exit_code == 3
    assert result.stderr == (
        f"error: {tmp_path / 'reportgen_signing.key'}: a signing key already exists; "
        "refusing to overwrite it\n"
    )
    assert (tmp_path / "reportgen_signing.key").read_bytes() == before
