"""One version at a glance: what `reportgen show` prints, and what a re-rendering shows.

Finds a version from a reference ("<policy>/v<N>", "<policy>" for its latest, or a folder),
then reads its manifest, signature, gate tally and sign-off status; :func:`version_trail` reads
the audit trail that a re-rendered report of the version shows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from reportgen.errors import RegistryError
from reportgen.registry.attest import attestations_dir, requirement_attestations
from reportgen.registry.chain import TrustedKey, check_chain
from reportgen.registry.diff import CHANGES_FILE, load_diff
from reportgen.registry.manifest import MANIFEST, manifest_sha256, read_manifest
from reportgen.registry.review import review_status, reviews_dir
from reportgen.registry.store import folder_number, stray_file, versions
from reportgen.results.io import RESULTS_FILE, load_results
from reportgen.results.traceability import (
    RequirementAttestation,
    Traceability,
    with_attestations,
)
from reportgen.results.trail import ReviewStatus, VersionDiff

_REF = re.compile(r"^(?P<policy>[a-z0-9][a-z0-9_-]*)(?:/v(?P<version>[1-9][0-9]*))?/?$")
STATUSES = ("pass", "warn", "fail", "error")


class VersionSummary(BaseModel):
    """A version's identity, signature, gate tally and sign-off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    policy_id: str
    version: int
    created_at: str
    manifest_sha256: str
    signed: bool = Field(description="manifest.sig is present.")
    signature_valid: bool | None = Field(
        description="The signature verifies and the chain behind it keeps the signing rule; "
        "None when not signed."
    )
    fingerprint: str | None = Field(description="The signer's key fingerprint (signer.pub).")
    signature_problems: list[str] = Field(
        description="Signature and chain problems, as `reportgen verify` finds them (without "
        "re-hashing the files): e.g. an unsigned version in a signed chain, or a new key."
    )
    gates: dict[str, int]
    review: ReviewStatus
    traceability: Traceability | None = Field(
        default=None,
        description="The requirement -> evidence matrix with the attestations recorded since; "
        "None when the policy selected no framework.",
    )


def resolve_version(ref: str | Path, out: Path) -> Path:
    """The version folder ``ref`` names: a folder, "<policy>/v<N>" or "<policy>" under ``out``.

    Raises:
        RegistryError: no such published version.
    """
    folder = Path(ref)
    if (folder / MANIFEST).is_file():
        return folder
    match = _REF.match(str(ref))
    if match is None:
        raise RegistryError(
            f"{ref}: not a report version (expected a version folder, '<policy>/v<N>' "
            f"or '<policy>' under {out})"
        )
    policy_dir = out / match["policy"]
    found = versions(policy_dir)
    if not found:
        raise RegistryError(f"{policy_dir}: no published version of '{match['policy']}'")
    number = int(match["version"]) if match["version"] else found[-1]
    if (policy_dir / f"v{number}").is_file():
        raise stray_file(policy_dir / f"v{number}")
    if number not in found and number < found[-1]:
        raise RegistryError(
            f"{policy_dir / f'v{number}'}: no such version; it is missing from v1..v{found[-1]} "
            "(restore it from a backup)"
        )
    if number not in found:
        raise RegistryError(f"{policy_dir / f'v{number}'}: no such version (latest v{found[-1]})")
    return policy_dir / f"v{number}"


def describe_version(version_dir: Path, *, trusted: Sequence[TrustedKey] = ()) -> VersionSummary:
    """Read what `reportgen show` prints about one version.

    The signature state comes from :func:`reportgen.registry.chain.check_chain`, the check
    `verify` makes: the version's signature and the chain behind it.

    Raises:
        RegistryError: not a readable published version.
    """
    manifest = read_manifest(version_dir)
    number = folder_number(version_dir) or manifest.version
    chain = check_chain(version_dir, number, trusted)
    return VersionSummary(
        path=str(version_dir),
        policy_id=manifest.policy_id,
        version=manifest.version,
        created_at=manifest.created_at,
        manifest_sha256=manifest_sha256(version_dir),
        signed=chain.signed,
        signature_valid=not chain.problems if chain.signed else None,
        fingerprint=chain.fingerprint,
        signature_problems=chain.problems,
        gates=_gate_tally(version_dir),
        review=review_status(version_dir),
        traceability=attested_matrix(version_dir),
    )


def _gate_tally(version_dir: Path) -> dict[str, int]:
    found: list[str] = [g.status for g in load_results(version_dir / RESULTS_FILE).gates]
    return {status: found.count(status) for status in STATUSES}


def attested_matrix(version_dir: Path) -> Traceability | None:
    """The version's traceability matrix with the attestations recorded beside it laid over it.

    Raises:
        RegistryError: not a readable published version.
    """
    matrix = load_results(version_dir / RESULTS_FILE).traceability
    if matrix is None:
        return None
    return with_attestations(matrix, requirement_attestations(version_dir))


@dataclass(frozen=True)
class VersionTrail:
    """The audit trail of the version a results file lies in, as a re-rendering shows it."""

    label: str
    """``v<N>``, or ``unpublished`` when the folder is not a published version."""
    changes: VersionDiff | None
    """The diff stored beside the results (changes.json), if any."""
    review: ReviewStatus | None
    """The sign-off as it stands now, when the version is published and has reviews."""
    attestations: dict[str, list[RequirementAttestation]]
    """The requirement attestations recorded beside the published version, checked, by id."""


def version_trail(folder: Path) -> VersionTrail:
    """Read the audit trail of the version in ``folder``.

    Raises:
        RegistryError: the manifest, changes.json or a sign-off record is unreadable.
    """
    published = (folder / MANIFEST).is_file()
    label = f"v{read_manifest(folder).version}" if published else "unpublished"
    changes_path = folder / CHANGES_FILE
    changes = load_diff(changes_path) if changes_path.is_file() else None
    reviewed = published and reviews_dir(folder).is_dir()
    attested = published and attestations_dir(folder).is_dir()
    return VersionTrail(
        label,
        changes,
        review_status(folder) if reviewed else None,
        requirement_attestations(folder) if attested else {},
    )
