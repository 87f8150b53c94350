"""Sign-off of a published version: signed review attestations and the status they add up to.

A review is an attestation (canonical JSON) naming the version's manifest sha256, the decision,
the reviewer, their role and comment, and the reviewer's public key, with a detached Ed25519
signature beside it. Versions are immutable, so reviews live beside them:
``<out>/<policy>/reviews/v<N>/<time>-<role>-<reviewer>.json`` and ``.sig``. An attestation
counts only when its signature verifies and it names this version's manifest hash; any other is
listed as invalid and never counted.

The roles a version needs are fixed when it is published (``signoff.json`` in the version, from
the policy's ``review.required_roles``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reportgen.errors import RegistryError
from reportgen.registry import signing
from reportgen.registry.store import MANIFEST, manifest_sha256
from reportgen.results.io import canonical_json

REVIEWS_DIR = "reviews"
SIGNOFF_FILE = "signoff.json"
"""In a version: the roles that must approve it, fixed when it was published."""
Decision = Literal["approve", "reject"]
_ROLE = re.compile(r"^[a-z][a-z0-9_-]*$")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Signoff(_Record):
    """What a version needs before it counts as approved."""

    kind: Literal["reportgen.signoff"] = "reportgen.signoff"
    schema_version: Literal["1.0"] = "1.0"
    required_roles: list[str]


class Attestation(_Record):
    """One reviewer's signed decision on one version (the bytes the signature covers)."""

    kind: Literal["reportgen.attestation"] = "reportgen.attestation"
    schema_version: Literal["1.0"] = "1.0"
    policy_id: str
    version: int
    manifest_sha256: str = Field(description="The reviewed version's manifest hash.")
    decision: Decision
    reviewer: str
    role: str
    comment: str
    at: str = Field(description="UTC time of the review, ISO 8601.")
    public_key_pem: str
    public_key_fingerprint: str = Field(description="sha256 of the raw public key, hex.")


class AttestationCheck(_Record):
    """One attestation file as found: who said what, and whether it counts."""

    file: str
    reviewer: str | None
    role: str | None
    decision: Decision | None
    at: str | None
    comment: str | None
    fingerprint: str | None
    valid: bool
    problem: str | None = Field(description="Why it does not count; None when valid.")


class ReviewStatus(_Record):
    """The sign-off state of one version."""

    policy_id: str
    version: int
    manifest_sha256: str
    state: Literal["approved", "rejected", "pending"]
    required_roles: list[str]
    approved_roles: list[str] = Field(description="Required roles with a valid approval.")
    missing_roles: list[str] = Field(description="Required roles still without one.")
    rejected_by: list[str] = Field(description="'reviewer (role)' of each valid rejection.")
    attestations: list[AttestationCheck]

    def sentence(self) -> str:
        """The status in one sentence."""
        if self.state == "rejected":
            return f"Rejected by {', '.join(self.rejected_by)}."
        if self.state == "approved":
            roles = ", ".join(self.approved_roles)
            return f"Approved ({roles})." if roles else "Approved."
        if self.missing_roles:
            return f"Awaiting sign-off by: {', '.join(self.missing_roles)}."
        return "No approval recorded yet."


def signoff_bytes(required_roles: Sequence[str]) -> bytes:
    """The ``signoff.json`` a version is published with."""
    return canonical_json(Signoff(required_roles=list(required_roles)))


def required_roles_of(version_dir: Path) -> list[str]:
    """The roles a version needs; none when it was published without ``signoff.json``.

    Raises:
        RegistryError: the file exists but is not a sign-off record.
    """
    path = version_dir / SIGNOFF_FILE
    if not path.is_file():
        return []
    try:
        return Signoff.model_validate_json(path.read_bytes()).required_roles
    except (OSError, ValidationError) as exc:
        raise RegistryError(f"{path}: not a readable reportgen sign-off record") from exc


def reviews_dir(version_dir: Path) -> Path:
    """Where the reviews of a version live: ``<policy dir>/reviews/v<N>/``."""
    return version_dir.parent / REVIEWS_DIR / version_dir.name


def read_manifest(version_dir: Path) -> dict[str, Any]:
    """A version's manifest.

    Raises:
        RegistryError: no manifest, or it is not readable JSON.
    """
    path = version_dir / MANIFEST
    if not path.is_file():
        raise RegistryError(f"{version_dir}: not a published version (no {MANIFEST})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegistryError(f"{path}: not a readable manifest ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("version"), int):
        raise RegistryError(f"{path}: not a reportgen manifest (no version number)")
    return data


def record_review(
    version_dir: Path,
    *,
    decision: Decision,
    reviewer: str,
    role: str,
    comment: str,
    key_path: Path,
    at: datetime | None = None,
) -> Path:
    """Sign and store a review of the version in ``version_dir``; returns the attestation's path.

    Raises:
        RegistryError: not a published version, an empty reviewer, a role the version does not
            require, or an unusable signing key.
    """
    manifest = read_manifest(version_dir)
    if not reviewer.strip():
        raise RegistryError("--reviewer: the reviewer's name is empty")
    required = required_roles_of(version_dir)
    if not _ROLE.match(role) or (required and role not in required):
        expected = ", ".join(required) if required else "a lowercase word such as risk_officer"
        raise RegistryError(f"--role: '{role}' is not a role {version_dir} needs ({expected})")
    key = signing.load_private_key(key_path)
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    attestation = Attestation(
        policy_id=str(manifest.get("policy_id", "")),
        version=int(manifest["version"]),
        manifest_sha256=manifest_sha256(version_dir),
        decision=decision,
        reviewer=reviewer.strip(),
        role=role,
        comment=comment,
        at=moment.isoformat(timespec="seconds"),
        public_key_pem=signing.public_pem(key.public_key()).decode("ascii"),
        public_key_fingerprint=signing.fingerprint(key.public_key()),
    )
    data = canonical_json(attestation)
    folder = reviews_dir(version_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{moment:%Y%m%dT%H%M%SZ}-{role}-{_slug(reviewer)}"
    path = _write_new(folder, stem, data)
    path.with_suffix(".sig").write_bytes(signing.sign_bytes(key, data))
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "reviewer"


def _write_new(folder: Path, stem: str, data: bytes) -> Path:
    """Write ``data`` to a file that did not exist: ``stem.json``, else ``stem-2.json``, ..."""
    for number in range(1, 1000):
        path = folder / (f"{stem}.json" if number == 1 else f"{stem}-{number}.json")
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        return path
    raise RegistryError(f"{folder}: too many reviews named {stem}")


def review_status(version_dir: Path, required_roles: Sequence[str] | None = None) -> ReviewStatus:
    """Check every attestation of a version and add them up.

    Approved when every required role has a valid approval and no valid attestation rejects;
    with no required role, one valid approval suffices. ``required_roles`` defaults to the roles
    the version was published with.

    Raises:
        RegistryError: ``version_dir`` is not a readable published version.
    """
    manifest = read_manifest(version_dir)
    version = int(manifest["version"])
    policy_id = str(manifest.get("policy_id", ""))
    digest = manifest_sha256(version_dir)
    roles = list(required_roles_of(version_dir) if required_roles is None else required_roles)
    folder = reviews_dir(version_dir)
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    checks = [_check(path, policy_id, version, digest) for path in files]
    valid = [c for c in checks if c.valid]
    approved = {c.role for c in valid if c.decision == "approve" and c.role is not None}
    rejected_by = [f"{c.reviewer} ({c.role})" for c in valid if c.decision == "reject"]
    missing = [r for r in roles if r not in approved]
    state: Literal["approved", "rejected", "pending"] = "pending"
    if rejected_by:
        state = "rejected"
    elif approved and not missing:
        state = "approved"
    return ReviewStatus(
        policy_id=policy_id,
        version=version,
        manifest_sha256=digest,
        state=state,
        required_roles=roles,
        approved_roles=[r for r in roles if r in approved] if roles else sorted(approved),
        missing_roles=missing,
        rejected_by=rejected_by,
        attestations=checks,
    )


def _check(path: Path, policy_id: str, version: int, digest: str) -> AttestationCheck:
    """Read and verify one attestation file against the version it sits beside."""
    try:
        data = path.read_bytes()
        found = Attestation.model_validate_json(data)
    except (OSError, ValidationError) as exc:
        reason = "unreadable" if isinstance(exc, OSError) else "not a reportgen attestation"
        return AttestationCheck(
            file=path.name,
            reviewer=None,
            role=None,
            decision=None,
            at=None,
            comment=None,
            fingerprint=None,
            valid=False,
            problem=reason,
        )
    problem = _problem(path, data, found, policy_id, version, digest)
    return AttestationCheck(
        file=path.name,
        reviewer=found.reviewer,
        role=found.role,
        decision=found.decision,
        at=found.at,
        comment=found.comment,
        fingerprint=found.public_key_fingerprint,
        valid=problem is None,
        problem=problem,
    )


def _problem(
    path: Path, data: bytes, found: Attestation, policy_id: str, version: int, digest: str
) -> str | None:
    """Why an attestation does not count for this version, or None when it does."""
    signature = path.with_suffix(".sig")
    if not signature.is_file():
        return f"no signature file {signature.name}"
    try:
        key = signing.load_public_key(found.public_key_pem.encode("ascii"), path.name)
    except (RegistryError, UnicodeEncodeError):
        return "the public key in the attestation is not an Ed25519 PEM key"
    if signing.fingerprint(key) != found.public_key_fingerprint:
        return "the stated key fingerprint does not match the public key"
    if not signing.verify_bytes(key, data, signature.read_bytes()):
        return "the signature does not match the attestation (changed, or signed by another key)"
    if found.manifest_sha256 != digest:
        return (
            f"it reviews manifest sha256 {found.manifest_sha256[:12]}…, "
            f"not this version's {digest[:12]}…"
        )
    if (found.policy_id, found.version) != (policy_id, version):
        return f"it reviews {found.policy_id} v{found.version}, not {policy_id} v{version}"
    return None
