"""Who may sign a version off: the ``signoff.json`` fixed when the version was published.

It records the roles that must approve the version and the reviewers the organisation trusted
then (name, roles, key fingerprint), from the policy's ``review`` section. It is one of the
version's files, so the manifest (signed, when the version is) vouches for it: nobody can add
themselves later without breaking the manifest's hash, and a change to the policy applies to
versions published after it. An attestation counts only when its key belongs to a trusted
reviewer of the version, under that reviewer's name, for one of that reviewer's roles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reportgen.errors import RegistryError
from reportgen.registry.manifest import sha256_bytes
from reportgen.results.io import canonical_json
from reportgen.results.trail import Manifest, TrustedReviewer

SIGNOFF_FILE = "signoff.json"
"""In a version: the roles that must approve it and who may, fixed when it was published."""
NO_REVIEWERS = "no trusted reviewer was declared (review.reviewers) when it was published"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Signoff(_Record):
    """What a version needs before it counts as approved, and who may give it."""

    kind: Literal["reportgen.signoff"] = "reportgen.signoff"
    schema_version: Literal["1.0", "1.1"] = Field(
        default="1.1", description="1.0 records hold no reviewers: nothing can approve them."
    )
    required_roles: list[str]
    reviewers: list[TrustedReviewer] = Field(default_factory=list)


@dataclass(frozen=True)
class Distrust:
    """Why an attestation's key does not count, and what the reviewer can do about it."""

    reason: str
    advice: str


def signoff_bytes(required_roles: Sequence[str], reviewers: Sequence[TrustedReviewer]) -> bytes:
    """The ``signoff.json`` a version is published with."""
    return canonical_json(Signoff(required_roles=list(required_roles), reviewers=list(reviewers)))


def read_signoff(version_dir: Path, manifest: Manifest) -> tuple[Signoff, str | None]:
    """The version's sign-off record, and why it cannot be trusted (None when it can).

    A version published without one has no required role and no trusted reviewer. A record
    that does not match the hash its manifest lists was changed after publishing: it is not
    believed, and nothing can approve the version.

    Raises:
        RegistryError: the record matches the manifest but is not a sign-off record.
    """
    path = version_dir / SIGNOFF_FILE
    listed = manifest.files.get(SIGNOFF_FILE)
    if not path.is_file():
        unlisted = f"{SIGNOFF_FILE} is listed in the manifest but missing" if listed else None
        return Signoff(required_roles=[]), unlisted
    data = path.read_bytes()
    if listed != sha256_bytes(data):
        return Signoff(required_roles=[]), (
            f"{SIGNOFF_FILE} was changed after publishing (it does not match the manifest)"
        )
    try:
        return Signoff.model_validate_json(data), None
    except ValidationError as exc:
        raise RegistryError(f"{path}: not a readable reportgen sign-off record") from exc


def distrust(signoff: Signoff, fingerprint: str, reviewer: str, role: str) -> Distrust | None:
    """Why ``reviewer`` signing for ``role`` with the key ``fingerprint`` does not count for a
    version with this sign-off record; None when it counts."""
    later = "it applies to versions published after that"
    if not signoff.reviewers:
        return Distrust(NO_REVIEWERS, f"ask the policy owner to list reviewers there; {later}")
    match = next((r for r in signoff.reviewers if r.fingerprint == fingerprint), None)
    if match is None:
        return Distrust(
            f"key {fingerprint} belongs to no trusted reviewer of this version",
            f"ask the policy owner to add you under review.reviewers (name {reviewer!r}, role "
            f"{role!r}, this fingerprint); {later}",
        )
    if match.name != reviewer:
        return Distrust(
            f"key {fingerprint} is trusted for {match.name!r}, not for {reviewer!r}",
            "review under the name the policy gives you, with your own key",
        )
    if role not in match.roles:
        return Distrust(
            f"{match.name} is trusted for {', '.join(match.roles)}, not for {role}",
            f"ask the policy owner to add role {role!r} to {match.name!r} under "
            f"review.reviewers; {later}",
        )
    return None
