"""Audit-trail settings of a policy: when it runs on a schedule, and who must sign a version off."""

from __future__ import annotations

from pydantic import Field, field_validator

from reportgen.policy.base import Strict


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


class ReviewSpec(Strict):
    """Sign-off a version needs before it counts as approved."""

    required_roles: list[str] = Field(
        default_factory=list,
        description="Roles that must each approve a version (e.g. model_validator, risk_officer); "
        "a version is approved once every role has an approving attestation and none rejects it.",
    )
