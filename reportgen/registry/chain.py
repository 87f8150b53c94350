"""The hash chain v1..vN behind a version and the signing rule, as `verify` and `show` check them.

Each manifest records the sha256 of the previous version's manifest, so a version vouches for
every version before it. Signatures follow one rule: **a chain that was signed must stay
signed, by a key the verifier trusts**. Once any version is signed, every later version must be
signed; a version signed by another key than the previous signed version counts only when that
key is trusted (given with ``--public-key``), which is how a key rotation is verified. Earlier
versions are checked by their manifests (links and signatures), not by re-hashing their files.

Problems are one line each, named relative to the checked version's folder: ``manifest.sig``
for the version itself, ``v1/manifest.sig`` for an earlier one (beside it in the policy folder).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from reportgen.errors import RegistryError
from reportgen.registry.manifest import MANIFEST, sha256_bytes
from reportgen.registry.signing import (
    PUBLIC_KEY_FILE,
    SIGNATURE_FILE,
    fingerprint,
    load_public_key,
    verify_bytes,
)

Chain = Literal["linked", "first", "broken", "previous missing"]


@dataclass(frozen=True)
class TrustedKey:
    """A public key the verifier trusts, read from the file it was given as."""

    path: Path
    key: Ed25519PublicKey
    fingerprint: str


@dataclass(frozen=True)
class ChainReport:
    """The signature of one version and the chain behind it.

    ``fingerprint`` is that of the key the version's signature was checked with (None when
    unsigned); ``chain`` says how its manifest links to the previous one; ``problems`` holds
    the signature and chain problems, one line each.
    """

    signed: bool
    fingerprint: str | None
    chain: Chain
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Found:
    """One version's manifest and signature, as found on disk."""

    number: int
    prefix: str
    """How problems name its files: "" for the checked version, "v1/" for an earlier one."""
    manifest: bytes | None
    link: object
    """What its manifest records as previous_manifest_sha256 (None when absent or unreadable)."""
    signed: bool
    signer: str | None
    """Fingerprint of the key whose signature verifies; None when unsigned or invalid."""
    public_key_beside: bool


def load_trusted_keys(paths: Sequence[Path]) -> list[TrustedKey]:
    """Read the trusted public keys.

    Raises:
        RegistryError: a key file is unreadable or not an Ed25519 public key (PEM).
    """
    keys = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RegistryError(f"{path}: public key unreadable ({exc.strerror})") from exc
        key = load_public_key(data, str(path))
        keys.append(TrustedKey(path, key, fingerprint(key)))
    return keys


def check_chain(
    version_dir: Path, number: int | None, trusted: Sequence[TrustedKey] = ()
) -> ChainReport:
    """Check version ``number`` in ``version_dir``: its signature, then v1..vN behind it.

    With ``trusted`` keys the version must be signed by one of them, and a change of key
    anywhere in the chain must be to one of them; without, signer.pub is believed for the first
    signed version and every later one must keep its key. ``number`` is None when the version
    number is unknown (an unreadable manifest in a folder not named v<N>): then only the
    signature is checked.
    """
    problems: list[str] = []
    this = _found(version_dir, "", number or 0, trusted, problems)
    earlier = [
        _found(version_dir.parent / f"v{k}", f"v{k}/", k, (), problems)
        for k in range(1, number or 0)
    ]
    _report_missing(earlier, problems)
    found = [*earlier, this]
    chain = _check_links(found, problems) if number is not None else "broken"
    _check_signing_rule(found, trusted, problems)
    printed = (this.signer or _beside_fingerprint(version_dir)) if this.signed else None
    return ChainReport(this.signed, printed, chain, problems)


def _found(
    folder: Path,
    prefix: str,
    number: int,
    trusted: Sequence[TrustedKey],
    problems: list[str],
) -> _Found:
    """A version's manifest and link, and its signature checked (by a trusted key if given)."""
    path = folder / MANIFEST
    manifest = path.read_bytes() if path.is_file() else None
    signed, signer = (folder / SIGNATURE_FILE).is_file(), None
    if signed and trusted:
        signer = _verify_with_trusted(folder, manifest, trusted, problems)
    elif signed:
        signer = _verify_with_beside(folder, prefix, manifest, problems)
    link = _link(manifest, prefix, problems)
    beside = (folder / PUBLIC_KEY_FILE).exists()
    return _Found(number, prefix, manifest, link, signed, signer, beside)


def _verify_with_beside(
    folder: Path, prefix: str, manifest: bytes | None, problems: list[str]
) -> str | None:
    """Check manifest.sig with signer.pub; the signer's fingerprint when it verifies."""
    key = _signer_key(folder, prefix, problems, required=True)
    if key is None or manifest is None:
        return None
    if not verify_bytes(key, manifest, (folder / SIGNATURE_FILE).read_bytes()):
        problems.append(
            f"{prefix}{SIGNATURE_FILE}: does not sign {prefix}{MANIFEST} with "
            f"{prefix}{PUBLIC_KEY_FILE}"
        )
        return None
    return fingerprint(key)


def _verify_with_trusted(
    folder: Path, manifest: bytes | None, trusted: Sequence[TrustedKey], problems: list[str]
) -> str | None:
    """Check manifest.sig with the trusted keys; the fingerprint of the one that verifies."""
    beside = _signer_key(folder, "", problems, required=False)
    prints = {t.fingerprint for t in trusted}
    if beside is not None and fingerprint(beside) not in prints:
        paths = " or ".join(str(t.path) for t in trusted)
        expected = " or ".join(t.fingerprint for t in trusted)
        problems.append(
            f"{PUBLIC_KEY_FILE}: is not the given public key {paths} "
            f"(fingerprint {fingerprint(beside)}, expected {expected})"
        )
    if manifest is None:
        return None
    signature = (folder / SIGNATURE_FILE).read_bytes()
    for candidate in trusted:
        if verify_bytes(candidate.key, manifest, signature):
            return candidate.fingerprint
    whose = "the given public key" if len(trusted) == 1 else "any of the given public keys"
    problems.append(f"{SIGNATURE_FILE}: does not sign {MANIFEST} with {whose}")
    return None


def _signer_key(
    folder: Path, prefix: str, problems: list[str], *, required: bool
) -> Ed25519PublicKey | None:
    path = folder / PUBLIC_KEY_FILE
    if not path.is_file():
        cannot = f"; {prefix}{SIGNATURE_FILE} cannot be checked" if required else ""
        problems.append(f"{prefix}{PUBLIC_KEY_FILE}: missing{cannot}")
        return None
    try:
        return load_public_key(path.read_bytes(), f"{prefix}{PUBLIC_KEY_FILE}")
    except RegistryError as exc:
        problems.append(str(exc))
        return None


def _beside_fingerprint(folder: Path) -> str | None:
    """The fingerprint of signer.pub, for display when the signature did not verify."""
    try:
        return fingerprint(load_public_key((folder / PUBLIC_KEY_FILE).read_bytes(), "signer"))
    except (OSError, RegistryError):
        return None


def _link(manifest: bytes | None, prefix: str, problems: list[str]) -> object:
    """What a manifest records as previous_manifest_sha256 (None when absent or unreadable).

    An earlier manifest that is not JSON is a problem here; the checked version's own manifest
    is judged by its caller.
    """
    if manifest is None:
        return None
    try:
        parsed = json.loads(manifest)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        if prefix:
            problems.append(f"{prefix}{MANIFEST}: not a reportgen manifest")
        return None
    return parsed.get("previous_manifest_sha256")


def _report_missing(earlier: Sequence[_Found], problems: list[str]) -> None:
    """One line per run of consecutive earlier versions without a manifest."""
    missing = [f.number for f in earlier if f.manifest is None]
    runs: list[list[int]] = []
    for number in missing:
        if runs and runs[-1][-1] == number - 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    for run in runs:
        where = f"v{run[0]}/{MANIFEST}" if len(run) == 1 else f"v{run[0]} to v{run[-1]}"
        problems.append(f"{where}: missing; the hash chain cannot be checked")


def _check_links(found: Sequence[_Found], problems: list[str]) -> Chain:
    """Each manifest must record its predecessor's hash; returns how the checked one links."""
    for previous, current in pairwise(found[:-1]):
        if previous.manifest is None or current.manifest is None:
            continue  # reported as missing
        if current.link != sha256_bytes(previous.manifest):
            problems.append(
                f"{current.prefix}{MANIFEST}: previous_manifest_sha256 does not match "
                f"v{previous.number}/{MANIFEST}; the chain is broken"
            )
    return _last_link(found, problems)


def _last_link(found: Sequence[_Found], problems: list[str]) -> Chain:
    this = found[-1]
    if len(found) == 1:
        if this.link is None:
            return "first"
        problems.append(f"{MANIFEST}: version 1 records a previous_manifest_sha256")
        return "broken"
    previous = found[-2]
    if previous.manifest is None:
        return "previous missing"
    if this.link is None:
        problems.append(f"{MANIFEST}: records no previous_manifest_sha256; the chain is broken")
        return "broken"
    if this.link != sha256_bytes(previous.manifest):
        problems.append(
            f"{MANIFEST}: previous_manifest_sha256 does not match v{previous.number}/{MANIFEST}; "
            "the chain is broken"
        )
        return "broken"
    return "linked"


def _check_signing_rule(
    found: Sequence[_Found], trusted: Sequence[TrustedKey], problems: list[str]
) -> None:
    """Once signed, always signed; a new key only when trusted; the checked version signed when
    keys are given."""
    prints = {t.fingerprint for t in trusted}
    first_signed: int | None = None
    last: tuple[int, str] | None = None  # (version, fingerprint) of the last verified signature
    for item in found:
        if not item.signed:
            _unsigned(item, first_signed, bool(trusted) and item is found[-1], problems)
            continue
        first_signed = first_signed or item.number
        if item.signer is None:
            continue
        if last is not None and item.signer != last[1] and item.signer not in prints:
            problems.append(
                f"{item.prefix}{PUBLIC_KEY_FILE}: the signing key changed from {last[1]} "
                f"(v{last[0]}) to {item.signer}; a new key counts only when given with "
                "--public-key"
            )
        last = (item.number, item.signer)


def _unsigned(item: _Found, first_signed: int | None, demanded: bool, problems: list[str]) -> None:
    p = item.prefix
    if item.manifest is None and not item.public_key_beside:
        return  # a missing version: reported once by _report_missing
    if first_signed is not None:
        problems.append(
            f"{p}{SIGNATURE_FILE}: missing; v{first_signed} is signed, and a chain that was "
            "signed must stay signed"
        )
    elif item.public_key_beside:
        problems.append(f"{p}{SIGNATURE_FILE}: missing although {p}{PUBLIC_KEY_FILE} is present")
    elif demanded:
        problems.append(f"{SIGNATURE_FILE}: missing; the version is not signed")
