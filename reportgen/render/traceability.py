"""The 'Regulatory traceability' section and the model card, as views: the matrix of the
frameworks the policy selects, each requirement with its evidence (linked to its section of the
report, with the hash of the result it rests on), its status and who attested it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reportgen.render.views import Fact, ModelView
from reportgen.results.traceability import Evidence, RequirementAttestation, Traceability

TRACE_ANCHOR = "traceability"
MODEL_CARD_ANCHOR = "model-card"
TRACE_HEADING = "Regulatory traceability"
MODEL_CARD_HEADING = "Model card"
_TONES = {"met": "pass", "not met": "fail", "needs attestation": "warn", "not applicable": "na"}
_REPORT_SECTIONS = {
    "method": "method",
    "changes": "changes",
    "signoff": "signoff",
    "model-card": MODEL_CARD_ANCHOR,
}
SHORT_HASH = 12
"""Hex digits of a result's sha256 the matrix prints: enough to tell results apart."""


@dataclass(frozen=True)
class EvidenceLink:
    label: str
    anchor: str | None
    """Where the report shows it; None when that section is not on the page."""
    sha256: str | None

    @property
    def short_sha256(self) -> str | None:
        """The hash's first digits, as the matrix prints them; results.json has it in full."""
        return None if self.sha256 is None else f"{self.sha256[:SHORT_HASH]}\u2026"


@dataclass(frozen=True)
class TraceRowView:
    id: str
    requirement: str
    source: str
    criterion: str
    evidence: tuple[EvidenceLink, ...]
    status: str
    tone: str
    reason: str
    attested: tuple[str, ...]
    """Each attestation: name, role, date and key fingerprint, and whether it counts."""


@dataclass(frozen=True)
class FrameworkView:
    title: str
    source: str
    tally: str
    rows: tuple[TraceRowView, ...]


@dataclass(frozen=True)
class TraceabilityView:
    heading: str
    intro: str
    frameworks: tuple[FrameworkView, ...]
    card: tuple[Fact, ...]


def build_traceability(
    matrix: Traceability | None, models: Sequence[ModelView], anchors: Sequence[str]
) -> TraceabilityView | None:
    """The section's view; None when the policy selected no framework. ``anchors`` are the
    report-level sections on the page."""
    if matrix is None:
        return None
    on_page = {f"{m.anchor}-{s.kind}" for m in models for s in m.sections} | set(anchors)
    model_anchor = {m.name: m.anchor for m in models}
    frameworks = []
    for framework in matrix.frameworks:
        rows = [r for r in matrix.rows if r.framework == framework.name]
        counts = {s: sum(r.status == s for r in rows) for s in _TONES}
        tally = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        views = tuple(
            TraceRowView(
                id=r.id,
                requirement=r.requirement,
                source=r.source,
                criterion=r.criterion,
                evidence=tuple(_link(e, model_anchor, on_page) for e in r.evidence),
                status=r.status,
                tone=_TONES[r.status],
                reason=r.reason,
                attested=tuple(_attested(a) for a in r.attestations),
            )
            for r in rows
        )
        frameworks.append(FrameworkView(framework.title, framework.source, tally, views))
    return TraceabilityView(
        heading=TRACE_HEADING,
        intro=(
            "Each requirement of the frameworks this policy selects, the evidence in this report "
            "it rests on (with the first digits of the sha256 of the result's canonical JSON, "
            "less its cost; results.json has it in full), and its status. A requirement that "
            "needs a person's judgement is met only once a trusted, named reviewer attests it "
            "with a signed attestation (reportgen review VERSION --attest ID)."
        ),
        frameworks=tuple(frameworks),
        card=tuple(_card(matrix.documentation)),
    )


def _link(evidence: Evidence, model_anchor: Mapping[str, str], on_page: set[str]) -> EvidenceLink:
    section = "trust" if evidence.section == "check" else evidence.section
    if evidence.model is not None:
        anchor = f"{model_anchor.get(evidence.model, '')}-{section}"
    else:
        anchor = _REPORT_SECTIONS.get(section, section)
    who = f" ({evidence.model})" if evidence.model else ""
    outcome = f": {evidence.outcome}" if evidence.outcome else ""
    label = f"{evidence.kind} {evidence.ref}{who}{outcome}"
    return EvidenceLink(label, anchor if anchor in on_page else None, evidence.sha256)


def _attested(attestation: RequirementAttestation) -> str:
    who = f"{attestation.reviewer} ({attestation.role}), {attestation.at[:10]}"
    key = f"key {attestation.fingerprint[:16]}\u2026"
    if attestation.trusted:
        return f"{who}, {key}"
    return f"UNTRUSTED, not counted: {who}, {key}: {attestation.problem}"


def _card(documentation: Sequence[tuple[str, str]]) -> list[Fact]:
    return [
        Fact(name.replace("_", " ").capitalize(), value.strip() or "not stated")
        for name, value in documentation
    ]
