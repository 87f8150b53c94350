"""Verify a published version: every byte against its manifest, the signature, the hash chain.

Each problem is one line that names the file (relative to the version folder, or to the policy
folder for a neighbouring version) and says what is wrong. A version with no problem is intact:
its files are those the manifest lists, byte for byte; the manifest is byte for byte the
canonical JSON reportgen writes (so an edit that keeps it valid JSON, one space, is found even
without a signature); when signed, the manifest is signed by the key in signer.pub (and by a
trusted key, when keys are given); the chain v1..vN behind it links and keeps the signing rule
of :mod:`reportgen.registry.chain`; the next version, when there is one, records its manifest's
hash.

Without a signature nothing vouches for the manifest's content: an edit that rewrites a file
and its hash in manifest.json, in canonical form, cannot be found (unless a later version links
to this manifest).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.errors import RegistryError
from reportgen.registry.chain import Chain, check_chain, load_trusted_keys
from reportgen.registry.manifest import MANIFEST, sha256_bytes
from reportgen.registry.signing import PUBLIC_KEY_FILE, SIGNATURE_FILE
from reportgen.registry.store import folder_number
from reportgen.results.io import canonical_json

_BESIDE_MANIFEST = frozenset({MANIFEST, SIGNATURE_FILE, PUBLIC_KEY_FILE})
NOT_CANONICAL = (
    f"{MANIFEST}: edited after publishing (its bytes are not the canonical JSON reportgen "
    "writes for its content)"
)


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify_version` found.

    ``problems`` holds one ``"<file>: <what is wrong>"`` line each; ``fingerprint`` is that of
    the key the signature was checked with (None when unsigned); ``chain`` says how the
    manifest links to the previous version's.
    """

    path: Path
    ok: bool
    problems: list[str] = field(default_factory=list)
    fingerprint: str | None = None
    signed: bool = False
    chain: Chain = "broken"
    version: int | None = None
    policy_id: str | None = None
    manifest_sha256: str | None = None


def verify_version(version_dir: Path, *, public_keys: Sequence[Path] = ()) -> VerifyReport:
    """Check a version folder ``<out>/<policy id>/v<N>/`` against its manifest, and the chain
    v1..vN behind it (see :mod:`reportgen.registry.chain`).

    Args:
        version_dir: the version folder.
        public_keys: trusted Ed25519 public keys (PEM); the version must then be signed with one
            of them, and a change of signing key within the chain must be to one of them.

    Raises:
        RegistryError: ``version_dir`` is not a version folder at all, or a public key is
            unreadable or not an Ed25519 public key.
    """
    trusted = load_trusted_keys(public_keys)
    manifest_path = version_dir / MANIFEST
    if not version_dir.is_dir():
        raise RegistryError(f"{version_dir}: not a folder; give a report version folder (v<N>)")
    named = folder_number(version_dir)
    if not manifest_path.is_file() and named is None:
        raise RegistryError(f"{version_dir}: not a report version (it has no {MANIFEST})")
    problems: list[str] = []
    manifest_bytes = manifest_path.read_bytes() if manifest_path.is_file() else None
    manifest = _parse(manifest_bytes, problems)
    version = named or _recorded_version(manifest)
    if manifest is not None:
        _check_files(version_dir, manifest, problems)
        version = _check_version_number(manifest, named, problems)
    chain = check_chain(version_dir, version if manifest is not None else None, trusted)
    problems += chain.problems
    if manifest_bytes is not None and version is not None:
        _check_next_link(version_dir, manifest_bytes, version, problems)
    return VerifyReport(
        path=version_dir,
        ok=not problems,
        problems=problems,
        fingerprint=chain.fingerprint,
        signed=chain.signed,
        chain=chain.chain,
        version=version,
        policy_id=_text(manifest, "policy_id"),
        manifest_sha256=sha256_bytes(manifest_bytes) if manifest_bytes is not None else None,
    )


def _parse(data: bytes | None, problems: list[str]) -> dict[str, Any] | None:
    if data is None:
        problems.append(f"{MANIFEST}: missing")
        return None
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        problems.append(f"{MANIFEST}: not valid JSON")
        return None
    if not isinstance(manifest, dict) or manifest.get("kind") != "reportgen.manifest":
        problems.append(f"{MANIFEST}: not a reportgen manifest")
        return None
    if _canonical(manifest) != data:
        problems.append(NOT_CANONICAL)
    return manifest


def _canonical(manifest: dict[str, Any]) -> bytes | None:
    """The bytes reportgen writes for this content; None when no JSON writer could write it."""
    try:
        return canonical_json(manifest)
    except ValueError:  # NaN or infinity: json.loads accepts them, canonical JSON does not
        return None


def _check_files(folder: Path, manifest: dict[str, Any], problems: list[str]) -> None:
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not all(isinstance(v, str) for v in listed.values()):
        problems.append(f"{MANIFEST}: has no files table")
        return
    for name in sorted(listed):
        path = folder / name
        if "/" in name or name in ("", ".", "..") or name in _BESIDE_MANIFEST:
            problems.append(f"{MANIFEST}: lists {name!r}, which cannot be a file of the version")
        elif not path.is_file():
            problems.append(f"{name}: listed in {MANIFEST} but missing")
        elif sha256_bytes(path.read_bytes()) != listed[name]:
            problems.append(f"{name}: content changed (sha256 differs from {MANIFEST})")
    for path in sorted(folder.iterdir()):
        if path.name not in listed and path.name not in _BESIDE_MANIFEST:
            what = "folder" if path.is_dir() else "file"
            problems.append(f"{path.name}: extra {what}, not listed in {MANIFEST}")


def _check_version_number(
    manifest: dict[str, Any], named: int | None, problems: list[str]
) -> int | None:
    recorded = _recorded_version(manifest)
    if recorded is None:
        problems.append(f"{MANIFEST}: records no version number")
        return named
    if named is not None and named != recorded:
        problems.append(f"{MANIFEST}: records version {recorded} but the folder is v{named}")
        return named
    return recorded


def _check_next_link(folder: Path, manifest: bytes, version: int, problems: list[str]) -> None:
    """The next version, when there is one, must record this manifest's hash."""
    following = folder.parent / f"v{version + 1}" / MANIFEST
    if not following.is_file():
        return
    try:
        link = json.loads(following.read_bytes()).get("previous_manifest_sha256")
    except (ValueError, AttributeError):
        return  # the next version's own verification reports its manifest
    if link != sha256_bytes(manifest):
        problems.append(
            f"{MANIFEST}: changed since v{version + 1} was published "
            f"(its previous_manifest_sha256 does not match)"
        )


def _recorded_version(manifest: dict[str, Any] | None) -> int | None:
    value = (manifest or {}).get("version")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _text(manifest: dict[str, Any] | None, key: str) -> str | None:
    value = (manifest or {}).get(key)
    return value if isinstance(value, str) else None
