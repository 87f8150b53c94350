"""Audit-trail settings of a policy: when it runs on a schedule, and who must sign a version off."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator, model_validator

from reportgen.policy.base import Strict

_ROLE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


def _role(value: str) -> str:
    if not _ROLE.match(value):
        raise ValueError(
            "must be a lowercase word (a-z, 0-9 and '_', starting with a letter, at most 64 "
            f"characters) such as risk_officer, got {value!r}"
        )
    return value


def _fingerprint(value: str) -> str:
    printed = value.strip().lower()
    if not _FINGERPRINT.match(printed):
        raise ValueError(
            "must be 64 hexadecimal characters, the sha256 of the reviewer's public key that "
            f"`reportgen keys fingerprint` prints, got {value!r}"
        )
    return printed


def _name(value: str) -> str:
    if not value.strip():
        raise ValueError(f"must name the reviewer, got {value!r}")
    return value.strip()


Role = Annotated[str, AfterValidator(_role)]


class ScheduleSpec(Strict):
    """When `reportgen schedule` runs this policy."""

    cron: str = Field(
        description="Five-field cron expression in UTC, e.g. '0 6 * * 1' for Mondays at 06:00.",
    )

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from croniter import croniter

        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(f"'{value}' is not a five-field cron expression")
        return value


class ReviewerSpec(Strict):
    """A person the organisation trusts to sign versions off, bound to their key."""

    name: Annotated[str, AfterValidator(_name)] = Field(
        description="The reviewer's name, exactly as they give it to "
        "`reportgen review --reviewer`.",
    )
    roles: list[Role] = Field(
        min_length=1,
        description="The roles they may sign off for (lowercase words, e.g. risk_officer).",
    )
    fingerprint: Annotated[str, AfterValidator(_fingerprint)] = Field(
        description="sha256 of their Ed25519 public key, 64 hexadecimal characters, as "
        "`reportgen keys fingerprint KEYFILE` (or `keys init`) prints it; quote it in YAML. "
        "Only an attestation signed with this key, under this name, for one of these roles "
        "counts.",
    )


class ReviewSpec(Strict):
    """Sign-off a version needs before it counts as approved, and who may give it."""

    required_roles: list[Role] = Field(
        default_factory=list,
        description="Roles that must each approve a version (e.g. model_validator, risk_officer); "
        "a version is approved once every role has an approving attestation by a trusted "
        "reviewer and no trusted reviewer rejects it. Each role needs a reviewer below.",
    )
    reviewers: list[ReviewerSpec] = Field(
        default_factory=list,
        description="The trusted reviewers. Each version records them when it is published "
        "(in its signed manifest), so later changes apply to later versions only. With none, "
        "nothing can approve a version.",
    )

    @field_validator("reviewers")
    @classmethod
    def _one_entry_per_person_and_key(cls, reviewers: list[ReviewerSpec]) -> list[ReviewerSpec]:
        """Names are unique, and each reviewer has their own key."""
        found = []
        for attribute, what in (("name", "names must be unique"), ("fingerprint", _OWN_KEY)):
            where: dict[str, list[str]] = {}
            for i, reviewer in enumerate(reviewers):
                where.setdefault(getattr(reviewer, attribute), []).append(f"reviewers[{i}]")
            clashes = [" and ".join(at) for at in where.values() if len(at) > 1]
            if clashes:
                found.append(f"{what}; {'; '.join(clashes)} share one {attribute}")
        if found:
            raise ValueError("; ".join(found))
        return reviewers

    @model_validator(mode="after")
    def _every_required_role_has_a_reviewer(self) -> ReviewSpec:
        """Every required role has at least one trusted reviewer who may sign it off."""
        covered = {role for reviewer in self.reviewers for role in reviewer.roles}
        missing = [role for role in self.required_roles if role not in covered]
        if missing:
            roles = ", ".join(f"'{r}'" for r in missing)
            raise ValueError(
                f"required_roles {roles} {'has' if len(missing) == 1 else 'have'} no trusted "
                "reviewer; add one under review.reviewers with that role"
            )
        return self


_OWN_KEY = "each reviewer needs their own key"
