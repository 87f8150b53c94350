"""Signed human attestations of single requirements of a version's traceability matrix.

``reportgen review VERSION --attest REQ-ID`` records one: canonical JSON naming the version's
manifest sha256, the requirement, the reviewer, their role and comment and their public key,
with a detached Ed25519 signature beside it, in ``<out>/<policy>/attestations/v<N>/``. It is
checked like a review (:mod:`reportgen.registry.review`): it counts only when its signature
verifies, it names this version, and its key belongs to a reviewer the version's
``signoff.json`` trusts under that name and role. Others are listed, untrusted, and never count.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from reportgen.errors import RegistryError
from reportgen.registry.manifest import manifest_sha256, read_manifest
from reportgen.registry.review import (
    Signed,
    sign_record,
    signature_problem,
    slug,
)
from reportgen.registry.signoff import NO_REVIEWERS, distrust, read_signoff
from reportgen.results.io import RESULTS_FILE, load_results
from reportgen.results.traceability import RequirementAttestation

ATTESTATIONS_DIR = "attestations"


class RequirementRecord(Signed):
    """One reviewer's signed attestation that one requirement is met by one version."""

    kind: Literal["reportgen.requirement_attestation"] = "reportgen.requirement_attestation"
    schema_version: Literal["1.0"] = "1.0"
    requirement: str


def attestations_dir(version_dir: Path) -> Path:
    """Where a version's requirement attestations live: ``<policy dir>/attestations/v<N>/``."""
    return version_dir.parent / ATTESTATIONS_DIR / version_dir.name


def record_attestation(
    version_dir: Path,
    *,
    requirement: str,
    reviewer: str,
    role: str,
    comment: str,
    key_path: Path,
    at: datetime | None = None,
) -> Path:
    """Sign and store an attestation of ``requirement``; returns its path.

    Refuses, writing nothing, an attestation that could not count or has nothing to attest.

    Raises:
        RegistryError: not a published version, a requirement its matrix does not hold or that
            does not need attestation, an unusable key, or a key not trusted for this name and
            role.
    """
    reviewer = reviewer.strip()
    return sign_record(
        version_dir,
        lambda fields: RequirementRecord(requirement=requirement, **fields),
        reviewer=reviewer,
        role=role,
        comment=comment,
        key_path=key_path,
        folder=attestations_dir(version_dir),
        stem=f"{slug(requirement)}-{slug(reviewer)}",
        at=at,
        check=lambda _: _needs_attestation(version_dir, requirement),
    )


def _needs_attestation(version_dir: Path, requirement: str) -> None:
    matrix = load_results(version_dir / RESULTS_FILE).traceability
    rows = {row.id: row for row in matrix.rows} if matrix is not None else {}
    row = rows.get(requirement)
    if row is None:
        known = ", ".join(rows) or "none (its policy selects no framework)"
        raise RegistryError(
            f"--attest: {version_dir} has no requirement {requirement!r}; its requirements: {known}"
        )
    if row.status != "needs attestation":
        raise RegistryError(
            f"--attest: requirement {requirement} of {version_dir} is {row.status} "
            f"({row.reason}), so there is nothing to attest"
        )


def requirement_attestations(version_dir: Path) -> dict[str, list[RequirementAttestation]]:
    """Every attestation recorded for the version, checked, by requirement id.

    Raises:
        RegistryError: ``version_dir`` is not a readable published version.
    """
    manifest = read_manifest(version_dir)
    reviewed = (manifest.policy_id, manifest.version, manifest_sha256(version_dir))
    signoff, blocked = read_signoff(version_dir, manifest)
    blocked = blocked or (NO_REVIEWERS if not signoff.reviewers else None)
    folder = attestations_dir(version_dir)
    found: dict[str, list[RequirementAttestation]] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = path.read_bytes()
            record = RequirementRecord.model_validate_json(data)
        except (OSError, ValidationError):
            continue  # not an attestation of a requirement: nothing to show against one
        problem = signature_problem(path, data, record, *reviewed) or blocked
        if problem is None:
            judged = distrust(signoff, record.public_key_fingerprint, record.reviewer, record.role)
            problem = judged.reason if judged is not None else None
        found.setdefault(record.requirement, []).append(
            RequirementAttestation(
                reviewer=record.reviewer,
                role=record.role,
                at=record.at,
                fingerprint=record.public_key_fingerprint,
                comment=record.comment,
                trusted=problem is None,
                problem=problem,
            )
        )
    return found


__all__ = [
    "ATTESTATIONS_DIR",
    "RequirementRecord",
    "attestations_dir",
    "record_attestation",
    "requirement_attestations",
]
