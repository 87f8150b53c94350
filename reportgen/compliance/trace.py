"""The traceability matrix of a run: each requirement of the policy's frameworks against the
evidence in the results document, computed after the gates.

A requirement is, in this order:

- *not applicable* when its conditions (tabular or image data, a decision) do not hold;
- *not met* when a gate it rests on failed or could not be evaluated, or a documentation field
  it needs is empty;
- *needs attestation* when it asks for a person's attestation, or when none of its automatic
  evidence is in this run;
- *met* otherwise.

A trusted attestation recorded later turns *needs attestation* into *met*
(:func:`reportgen.results.traceability.with_attestations`); nothing turns *not met* into
*met* but a new run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from reportgen.compliance.packs import Requirement, load_pack
from reportgen.policy.schema import Policy
from reportgen.results.document import GateOutcome, Result, ResultDocument
from reportgen.results.io import canonical_json
from reportgen.results.traceability import (
    Evidence,
    Framework,
    Status,
    Traceability,
    TraceRow,
)

GATE_RESULT_KIND = {"adverse_impact": "fair_lending", "edit_drift": "edits"}
"""The result kind a non-check gate judges (check gates judge the check result of their name)."""


def trace(policy: Policy, document: ResultDocument) -> Traceability | None:
    """The matrix of the frameworks ``policy`` selects over ``document``; None when it selects
    none."""
    names = policy.compliance.frameworks
    if not names:
        return None
    conditions = {policy.data.kind} | ({"decision"} if policy.decision is not None else set())
    documentation = policy.documentation.model_dump()
    rows: list[TraceRow] = []
    frameworks: list[Framework] = []
    for name in names:
        pack = load_pack(name)
        frameworks.append(Framework(name=pack.name, title=pack.title, source=pack.source))
        rows += [_row(name, r, document, documentation, conditions) for r in pack.requirements]
    return Traceability(frameworks=frameworks, rows=rows, documentation=list(documentation.items()))


def result_sha256(result: Result) -> str:
    """sha256 of a result's canonical JSON less its ``cost`` (timings and batching)."""
    plain = result.model_dump(mode="json", by_alias=True)
    plain.pop("cost", None)
    return hashlib.sha256(canonical_json(plain)).hexdigest()


def _row(
    framework: str,
    requirement: Requirement,
    document: ResultDocument,
    documentation: Mapping[str, str],
    conditions: set[str],
) -> TraceRow:
    spec = requirement.evidence
    evidence = [
        *_results(spec.results, document.results),
        *_gates(spec.gates, document),
        *(Evidence(kind="section", ref=s, section=s) for s in spec.sections),
        *(
            Evidence(
                kind="documentation", ref=f, section="model-card", outcome=_filled(f, documentation)
            )
            for f in spec.documentation
        ),
    ]
    status, reason = _status(requirement, evidence, conditions)
    return TraceRow(
        framework=framework,
        id=requirement.id,
        requirement=requirement.requirement,
        source=requirement.source,
        criterion=requirement.criterion,
        evidence=evidence,
        status=status,
        reason=reason,
    )


def _filled(field: str, documentation: Mapping[str, str]) -> str:
    return "filled" if documentation.get(field, "").strip() else "empty"


def _results(kinds: Sequence[str], results: Sequence[Result]) -> list[Evidence]:
    return [
        Evidence(
            kind="result",
            ref=r.kind,
            model=r.model,
            section=r.kind,
            sha256=result_sha256(r),
            outcome="present",
        )
        for r in results
        if r.kind in kinds
    ]


def _gates(codes: Sequence[str], document: ResultDocument) -> list[Evidence]:
    found = []
    for gate in document.gates:
        if gate.code not in codes:
            continue
        judged = _judged(gate, document.results)
        found.append(
            Evidence(
                kind="gate",
                ref=gate.code,
                model=gate.model,
                section=judged.kind if judged is not None else "check",
                sha256=result_sha256(judged) if judged is not None else None,
                outcome=gate.status,
            )
        )
    return found


def _judged(gate: GateOutcome, results: Sequence[Result]) -> Result | None:
    """The result a gate judged: the check of its name, or its kind's result, for its model."""
    kind = GATE_RESULT_KIND.get(gate.check, "check")
    return next(
        (
            r
            for r in results
            if r.model == gate.model
            and r.kind == kind
            and (kind != "check" or getattr(r, "check", None) == gate.check)
        ),
        None,
    )


def _status(
    requirement: Requirement, evidence: Sequence[Evidence], conditions: set[str]
) -> tuple[Status, str]:
    spec = requirement.evidence
    missing = [c for c in requirement.applies_to if c not in conditions]
    if requirement.applies_to and len(missing) == len(requirement.applies_to):
        return "not applicable", f"applies only to {' or '.join(requirement.applies_to)} policies"
    failed = [e for e in evidence if e.kind == "gate" and e.outcome in ("fail", "error")]
    if failed:
        which = ", ".join(sorted({f"{e.ref} ({e.model}: {e.outcome})" for e in failed}))
        return "not met", f"gate {which} did not pass"
    empty = [e.ref for e in evidence if e.kind == "documentation" and e.outcome == "empty"]
    if empty:
        return "not met", f"the policy's documentation leaves {', '.join(empty)} empty"
    if spec.attestation:
        return "needs attestation", "it needs a trusted reviewer's attestation"
    if not evidence:
        return "needs attestation", "none of its automatic evidence is in this run"
    return "met", "its evidence is in this report"


__all__ = ["result_sha256", "trace"]
