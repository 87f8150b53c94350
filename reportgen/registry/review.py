"""Sign-off of a published version: signed review attestations and the status they add up to.

A review is an attestation (canonical JSON) naming the version's manifest sha256, the decision,
the reviewer, their role and comment, and the reviewer's public key, with a detached Ed25519
signature beside it. Versions are immutable, so reviews live beside them:
``<out>/<policy>/reviews/v<N>/<time>-<role>-<reviewer>.json`` and ``.sig``.

An attestation counts only when it is valid (its signature verifies and it names this
version's manifest hash) and trusted (its key belongs to a reviewer the version's
``signoff.json`` trusts, under that name, for that role: see :mod:`reportgen.registry.signoff`).
Any other is listed, with the reason, and never counted. With no trusted reviewer, nothing can
approve a version.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reportgen.errors import RegistryError
from reportgen.registry import signing
from reportgen.registry.manifest import manifest_sha256, read_manifest
from reportgen.registry.signoff import (
    NO_REVIEWERS,
    SIGNOFF_FILE,
    Signoff,
    distrust,
    read_signoff,
    signoff_bytes,
)
from reportgen.results.io import canonical_json
from reportgen.results.trail import (
    AttestationCheck,
    Decision,
    ReviewState,
    ReviewStatus,
)

__all__ = [
    "SIGNOFF_FILE",
    "Attestation",
    "Signed",
    "read_manifest",
    "record_review",
    "refuse_untrusted",
    "review_status",
    "reviews_dir",
    "signature_problem",
    "signoff_bytes",
    "slug",
    "write_new",
]

REVIEWS_DIR = "reviews"
_ROLE = re.compile(r"^[a-z][a-z0-9_-]*$")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Signed(_Record):
    """What every signed record about one version names: the version, who signed and with
    which key (the bytes the signature covers hold it all)."""

    policy_id: str
    version: int
    manifest_sha256: str = Field(description="The reviewed version's manifest hash.")
    reviewer: str
    role: str
    comment: str
    at: str = Field(description="UTC time of the review, ISO 8601.")
    public_key_pem: str
    public_key_fingerprint: str = Field(description="sha256 of the raw public key, hex.")


class Attestation(Signed):
    """One reviewer's signed decision on one version."""

    kind: Literal["reportgen.attestation"] = "reportgen.attestation"
    schema_version: Literal["1.0"] = "1.0"
    decision: Decision


def reviews_dir(version_dir: Path) -> Path:
    """Where the reviews of a version live: ``<policy dir>/reviews/v<N>/``."""
    return version_dir.parent / REVIEWS_DIR / version_dir.name


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

    Refuses, writing nothing, a review that could not count: the key must belong to a reviewer
    the version trusts, under this name, for this role.

    Raises:
        RegistryError: not a published version, an empty reviewer, a role the version does not
            require, an unusable signing key, or a key not trusted for this name and role.
    """
    reviewer = reviewer.strip()
    return sign_record(
        version_dir,
        lambda fields: Attestation(decision=decision, **fields),
        reviewer=reviewer,
        role=role,
        comment=comment,
        key_path=key_path,
        folder=reviews_dir(version_dir),
        stem=f"{role}-{slug(reviewer)}",
        at=at,
        check=lambda signoff: _check_role(version_dir, role, signoff.required_roles),
    )


def sign_record(
    version_dir: Path,
    build: Callable[[dict[str, Any]], Signed],
    *,
    reviewer: str,
    role: str,
    comment: str,
    key_path: Path,
    folder: Path,
    stem: str,
    at: datetime | None = None,
    check: Callable[[Any], None] | None = None,
) -> Path:
    """Sign and store one reviewer's record of the version in ``version_dir`` under ``folder``
    (``<UTC time>-<stem>.json`` and its ``.sig``); returns its path. ``build`` makes the record
    from the fields every signed record has; ``check`` may refuse it given the version's
    sign-off settings. Writes nothing unless the key is trusted for this name and role."""
    manifest = read_manifest(version_dir)
    reviewer = reviewer.strip()
    if not reviewer:
        raise RegistryError("--reviewer: the reviewer's name is empty")
    signoff, blocked = read_signoff(version_dir, manifest)
    if check is not None:
        check(signoff)
    key = signing.load_private_key(key_path)
    printed = signing.fingerprint(key.public_key())
    label = f"{manifest.policy_id} v{manifest.version}"
    refuse_untrusted(version_dir, key_path, label, signoff, blocked, (printed, reviewer, role))
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    record = build(
        {
            "policy_id": manifest.policy_id,
            "version": manifest.version,
            "manifest_sha256": manifest_sha256(version_dir),
            "reviewer": reviewer,
            "role": role,
            "comment": comment,
            "at": moment.isoformat(timespec="seconds"),
            "public_key_pem": signing.public_pem(key.public_key()).decode("ascii"),
            "public_key_fingerprint": printed,
        }
    )
    data = canonical_json(record)
    folder.mkdir(parents=True, exist_ok=True)
    path = write_new(folder, f"{moment:%Y%m%dT%H%M%SZ}-{stem}", data)
    path.with_suffix(".sig").write_bytes(signing.sign_bytes(key, data))
    return path


def _check_role(version_dir: Path, role: str, required: Sequence[str]) -> None:
    if not _ROLE.match(role) or (required and role not in required):
        expected = ", ".join(required) if required else "a lowercase word such as risk_officer"
        raise RegistryError(f"--role: '{role}' is not a role {version_dir} needs ({expected})")


def refuse_untrusted(
    version_dir: Path,
    key_path: Path,
    label: str,
    signoff: Signoff,
    blocked: str | None,
    who: tuple[str, str, str],
) -> None:
    """Raise when a review by ``who`` (fingerprint, reviewer, role) could not count."""
    if blocked is not None:
        raise RegistryError(
            f"{version_dir}: {blocked}, so no review of it can count; run reportgen verify on it"
        )
    printed, reviewer, role = who
    found = distrust(signoff, printed, reviewer, role)
    if found is None:
        return
    where = version_dir if found.reason == NO_REVIEWERS else key_path
    raise RegistryError(
        f"{where}: not trusted to sign off {label} as {reviewer} ({role}): {found.reason}; "
        f"{found.advice}"
    )


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "reviewer"


def write_new(folder: Path, stem: str, data: bytes) -> Path:
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

    Approved when every required role has a counted approval and no counted attestation
    rejects; with no required role, one counted approval suffices. ``required_roles`` defaults
    to the roles the version was published with.

    Raises:
        RegistryError: ``version_dir`` is not a readable published version.
    """
    manifest = read_manifest(version_dir)
    version, policy_id = manifest.version, manifest.policy_id
    digest = manifest_sha256(version_dir)
    signoff, blocked = read_signoff(version_dir, manifest)
    blocked = blocked or (NO_REVIEWERS if not signoff.reviewers else None)
    roles = list(signoff.required_roles if required_roles is None else required_roles)
    folder = reviews_dir(version_dir)
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    checks = [_check(path, (policy_id, version, digest), signoff, blocked) for path in files]
    counted = [c for c in checks if c.counts]
    approved = {c.role for c in counted if c.decision == "approve" and c.role is not None}
    rejected_by = [f"{c.reviewer} ({c.role})" for c in counted if c.decision == "reject"]
    missing = [r for r in roles if r not in approved]
    state: ReviewState = "pending"
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
        trusted_reviewers=signoff.reviewers if blocked is None else [],
        blocked=blocked,
        approved_roles=[r for r in roles if r in approved] if roles else sorted(approved),
        missing_roles=missing,
        rejected_by=rejected_by,
        attestations=checks,
    )


def _check(
    path: Path, reviewed: tuple[str, int, str], signoff: Signoff, blocked: str | None
) -> AttestationCheck:
    """Read and verify one attestation file against the version it sits beside, then judge
    its key against the version's trusted reviewers."""
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
            trusted=False,
            problem=reason,
        )
    problem = signature_problem(path, data, found, *reviewed)
    untrusted = blocked
    if untrusted is None:
        judged = distrust(signoff, found.public_key_fingerprint, found.reviewer, found.role)
        untrusted = judged.reason if judged is not None else None
    return AttestationCheck(
        file=path.name,
        reviewer=found.reviewer,
        role=found.role,
        decision=found.decision,
        at=found.at,
        comment=found.comment,
        fingerprint=found.public_key_fingerprint,
        valid=problem is None,
        trusted=untrusted is None,
        problem=problem or untrusted,
    )


def signature_problem(
    path: Path, data: bytes, found: Signed, policy_id: str, version: int, digest: str
) -> str | None:
    """Why an attestation is not valid for this version, or None when it is."""
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
