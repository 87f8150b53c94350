"""The regulatory traceability matrix of a run: each requirement of the policy's frameworks,
the evidence in the report it rests on, and its status.

It is computed after the gates (:mod:`reportgen.compliance.trace`) and stored in the results
document like every result, so a re-render shows it; human attestations recorded beside a
published version later (``reportgen review --attest``) are laid over it when it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import Field

from reportgen.results.base import Doc

Status = Literal["met", "not met", "needs attestation", "not applicable"]
STATUSES: tuple[Status, ...] = ("met", "not met", "needs attestation", "not applicable")

EvidenceKind = Literal["result", "gate", "section", "documentation"]


class Evidence(Doc):
    """One piece of evidence a requirement rests on."""

    kind: EvidenceKind
    ref: str = Field(
        description="The result kind, gate code, report section or documentation field."
    )
    model: str | None = Field(default=None, description="The model, for results and gates.")
    section: str = Field(
        description="Where the report shows it: a result kind (the model's section of that "
        "kind), 'trust' for a gate, or a report-level section (method, changes, signoff, "
        "model-card)."
    )
    sha256: str | None = Field(
        default=None,
        description="Results and gates: sha256 of the canonical JSON of the result it rests on, "
        "less its 'cost' (the run's timings and batching), so the same numbers give the same "
        "hash whatever executor ran them.",
    )
    outcome: str | None = Field(
        default=None, description="Gates: pass, warn, fail or error; results: present."
    )


class RequirementAttestation(Doc):
    """A human attestation of one requirement, as checked when the matrix is shown."""

    reviewer: str
    role: str
    at: str = Field(description="UTC time of the attestation, ISO 8601.")
    fingerprint: str = Field(description="sha256 of the signing public key, hex.")
    comment: str
    trusted: bool = Field(description="Valid, and signed by a trusted reviewer of the version.")
    problem: str | None = Field(default=None, description="Why it does not count, if it does not.")


class TraceRow(Doc):
    """One requirement of one framework and where the report stands on it."""

    framework: str
    id: str
    requirement: str
    source: str = Field(description="The official reference the requirement comes from.")
    criterion: str = Field(description="What the report must show for it to be met.")
    evidence: list[Evidence]
    status: Status
    reason: str = Field(description="Why it has this status, in one sentence.")
    attestations: list[RequirementAttestation] = Field(
        default_factory=list,
        description="Attestations recorded for it (empty in results.json; laid over when shown).",
    )


class Framework(Doc):
    name: str
    title: str
    source: str


class Traceability(Doc):
    """The requirement -> evidence matrix of the frameworks the policy selects."""

    kind: Literal["traceability"] = "traceability"
    frameworks: list[Framework]
    rows: list[TraceRow]
    documentation: list[tuple[str, str]] = Field(
        description="The policy's documentation fields (the model card) as (field name, text), "
        "in the policy schema's order (a list: JSON objects do not keep their order)."
    )

    def tally(self) -> dict[str, int]:
        """How many requirements have each status."""
        found = [row.status for row in self.rows]
        return {status: found.count(status) for status in STATUSES}


def with_attestations(
    traceability: Traceability, attestations: Mapping[str, Sequence[RequirementAttestation]]
) -> Traceability:
    """The matrix with the attestations recorded for each requirement id laid over it: a
    requirement needing attestation is met once a trusted attestation names it."""
    rows = []
    for row in traceability.rows:
        found = list(attestations.get(row.id, ()))
        if not found:
            rows.append(row)
            continue
        update: dict[str, object] = {"attestations": found}
        trusted = [a for a in found if a.trusted]
        if row.status == "needs attestation" and trusted:
            first = trusted[0]
            update |= {
                "status": "met",
                "reason": f"attested by {first.reviewer} ({first.role}) on {first.at[:10]}",
            }
        rows.append(row.model_copy(update=update))
    return traceability.model_copy(update={"rows": rows})
