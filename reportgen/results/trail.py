"""The audit trail as plain data: a version's manifest, what changed since the version before,
and the sign-off state of a version.

The registry computes these values and stores them (``manifest.json``, ``changes.json``);
rendering shows them; the sentences that tell them live in :mod:`reportgen.render.trail_text`.
Like the results document, every type here is pydantic, JSON-native and frozen, and it reads
no file and words no sentence.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

GateStatus = Literal["pass", "warn", "fail", "error"]
Measure = Literal["global_shap", "permutation_importance"]
Decision = Literal["approve", "reject"]
ReviewState = Literal["approved", "rejected", "pending"]


class _Trail(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the manifest -------------------------------------------------------------------------------


class Manifest(_Trail):
    """A published version's ``manifest.json``: what the version holds and what it came from.

    Its file is the canonical JSON of this value; the next version records that file's sha256,
    which chains the versions.
    """

    kind: Literal["reportgen.manifest"] = "reportgen.manifest"
    schema_version: Literal["1.0"] = "1.0"
    policy_id: str
    version: int = Field(ge=1, strict=True)
    created_at: str = Field(description="When the run started, ISO 8601.")
    reportgen_version: str
    files: dict[str, str] = Field(
        description="Every file of the version but the manifest and "
        "its signature files: name -> sha256."
    )
    inputs: dict[str, JsonValue] = Field(
        description="Content hashes of the policy, models, datasets and templates, and the "
        "fingerprint naming them all."
    )
    previous_manifest_sha256: str | None = Field(
        description="sha256 of the previous version's manifest.json; None for version 1."
    )


# --- what changed between two versions ----------------------------------------------------------


class VersionRef(_Trail):
    """One side of the comparison."""

    label: str = Field(description="As shown to readers, e.g. 'v3'.")
    policy_id: str
    created_at: str
    manifest_sha256: str | None = Field(description="None while the version is being published.")


class HashChange(_Trail):
    """An input file whose content hash differs; ``None`` on the side that lacks the input."""

    path: list[str] = Field(description="Key path in the manifest's inputs, e.g. models.m.model.")
    old: str | None
    new: str | None


class ValueChange(_Trail):
    """A recorded setting of the run that differs: reportgen, Python or a library version, seed."""

    name: str
    old: str | None
    new: str | None


class GateChange(_Trail):
    code: str
    check: str
    model: str
    method: str | None
    old: GateStatus | None = Field(description="None: the gate did not exist in the older version.")
    new: GateStatus | None = Field(description="None: the gate is gone in the newer version.")
    old_actual: str | None
    new_actual: str | None


class RankChange(_Trail):
    """A feature whose rank moved, or that is ranked on one side only."""

    feature: str
    old_rank: int | None
    new_rank: int | None
    old_value: float | None
    new_value: float | None


class ImportanceDiff(_Trail):
    model: str
    measure: Measure
    missing_in: Literal["old", "new"] | None = Field(
        default=None, description="The side that did not compute this measure for the model."
    )
    changes: list[RankChange] = Field(default_factory=list)


class ExplanationDrift(_Trail):
    """How far the explanations moved between two versions whose model file changed: the figures
    an edit's assessment reports, computed from the two published results."""

    model: str
    features: int = Field(description="Features in both versions' global SHAP importances.")
    spearman: float | None = Field(
        description="Spearman correlation of the two versions' mean |SHAP| over those features "
        "(None: fewer than two, or one side constant)."
    )
    cases: int = Field(description="Audit cases (same pseudonymous id) explained in both.")
    k: int = Field(description="Top reasons compared per case: the smaller top_k of the two.")
    top_k_overlap_mean: float | None = Field(
        description="Mean over those cases of |top-k(old) & top-k(new)| / k (None: no case)."
    )
    top_k_overlap_min: float | None
    first_reason_changed: int = Field(description="Of those cases, how many lead with another.")
    decision_changed: int = Field(description="Of those cases, how many changed prediction.")


class ReasonCount(_Trail):
    """How many audit cases cite a feature among their top contributions, and in which direction."""

    feature: str
    old_cases: int
    new_cases: int
    old_raises: int
    new_raises: int
    old_lowers: int
    new_lowers: int


class ReasonMixDiff(_Trail):
    model: str
    method: Literal["shap"] = "shap"
    old_cases: int = Field(description="Audit cases explained in the older version.")
    new_cases: int
    features: list[ReasonCount] = Field(description="Only the features whose counts changed.")


class AdverseReasonChange(_Trail):
    """How often one adverse-action reason is given, before and after (None: suppressed)."""

    reason: str
    old_principal: int | None = Field(description="Declined applicants whose first reason it is.")
    new_principal: int | None
    old_stated: int | None = Field(description="Declined applicants given it at all.")
    new_stated: int | None


class AdverseReasonDiff(_Trail):
    """The change in a credit model's adverse-action reason mix (issue #11)."""

    model: str
    old_declined: int | None
    new_declined: int | None
    reasons: list[AdverseReasonChange] = Field(description="Only the reasons whose counts changed.")


class MetricChange(_Trail):
    model: str
    metric: str
    old: float | None
    new: float | None


class VersionDiff(_Trail):
    """Everything that differs between two versions, older (``old``) to newer (``new``)."""

    kind: Literal["reportgen.diff"] = "reportgen.diff"
    schema_version: Literal["1.0"] = "1.0"
    old: VersionRef
    new: VersionRef
    models: list[str] = Field(description="Every model named on either side.")
    inputs: list[HashChange]
    software: list[ValueChange]
    gates: list[GateChange]
    importances: list[ImportanceDiff]
    reasons: list[ReasonMixDiff]
    adverse_reasons: list[AdverseReasonDiff] = Field(
        default_factory=list, description="Credit models: the adverse-action reason mix."
    )
    performance: list[MetricChange]
    drift: list[ExplanationDrift] = Field(
        default_factory=list,
        description="Models whose file changed: how far their explanations moved.",
    )

    @property
    def identical(self) -> bool:
        """True when nothing but the clock differs."""
        parts = (self.inputs, self.software, self.gates, self.importances, self.reasons)
        return not any(parts) and not self.adverse_reasons and not self.performance


# --- sign-off -----------------------------------------------------------------------------------


class TrustedReviewer(_Trail):
    """A person trusted to sign off the version, bound to their key."""

    name: str
    roles: list[str]
    fingerprint: str = Field(description="sha256 of the raw Ed25519 public key, hex.")


class AttestationCheck(_Trail):
    """One attestation file as found: who said what, and whether it counts."""

    file: str
    reviewer: str | None
    role: str | None
    decision: Decision | None
    at: str | None
    comment: str | None
    fingerprint: str | None
    valid: bool = Field(description="Its signature verifies and it reviews this version.")
    trusted: bool = Field(
        description="Its key belongs to a trusted reviewer of this version, under this name, "
        "for this role."
    )
    problem: str | None = Field(description="Why it does not count; None when it counts.")

    @property
    def counts(self) -> bool:
        """Valid and trusted: the only attestations that add up to a sign-off."""
        return self.valid and self.trusted


class ReviewStatus(_Trail):
    """The sign-off state of one version."""

    policy_id: str
    version: int
    manifest_sha256: str
    state: ReviewState
    required_roles: list[str]
    trusted_reviewers: list[TrustedReviewer] = Field(
        description="Who may sign this version off, as fixed when it was published."
    )
    blocked: str | None = Field(
        description="Why no attestation can count for this version (no trusted reviewer, or "
        "a sign-off record changed after publishing); None otherwise."
    )
    approved_roles: list[str] = Field(description="Required roles with a counted approval.")
    missing_roles: list[str] = Field(description="Required roles still without one.")
    rejected_by: list[str] = Field(description="'reviewer (role)' of each counted rejection.")
    attestations: list[AttestationCheck]
