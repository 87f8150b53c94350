"""The reason codes analysis: every declined evaluation applicant's principal reasons, as a
reason mix, the reference used, the proxy screen and the displayed audit cases' reasons.

The result holds raw counts and record ids: the privacy gate suppresses small counts and
replaces the ids with pseudonyms (or withholds the cases) before anything is published.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analyses.context import Measure, ModelData
from reportgen.analyses.reasons.codes import (
    Reasons,
    ReasonSetup,
    applicant_seeds,
    explain_reasons,
    reason_setup,
)
from reportgen.analyses.reasons.families import NO_REASON
from reportgen.results.credit import (
    ProxyFinding,
    ReasonCase,
    ReasonCodesResult,
    ReasonCount,
    ReasonFamilyInfo,
    StatedReason,
)

_PRIMARY = "reason_codes"
"""The name under which the declined applicants' reasons are shared with check C9."""


@dataclass(frozen=True, eq=False)
class Primary:
    """The reasons of every declined evaluation applicant (``declined``: row indices)."""

    setup: ReasonSetup
    declined: np.ndarray
    reasons: Reasons


def primary_reasons(data: ModelData) -> Primary:
    """The declined evaluation applicants' reasons, computed once per model and shared."""
    cached = data.shared.get(_PRIMARY)
    if isinstance(cached, Primary):
        return cached
    setup = reason_setup(data.policy, data.model, data.reference, data.reference_frame)
    probability = data.predictions[:, setup.adverse]
    declined = np.flatnonzero(probability >= setup.cutoff)
    seeds = applicant_seeds(data.seed, data.ids[declined])
    reasons = explain_reasons(data.work, setup, data.evaluation[declined], seeds)
    primary = Primary(setup, declined, reasons)
    data.shared[_PRIMARY] = primary
    return primary


def run_reason_codes(data: ModelData) -> ReasonCodesResult:
    """The reason codes of ``data``'s declined evaluation applicants (raw: for the gate only)."""
    with Measure(data.model) as measure:
        primary = primary_reasons(data)
    setup, reasons = primary.setup, primary.reasons
    d = data.evaluation.shape[1]
    reference = setup.reference
    principal, stated = _counts(reasons.ranked, len(setup.families.names))
    return ReasonCodesResult(
        model=data.model.name,
        adverse_class=setup.adverse_class,
        cutoff=setup.cutoff,
        max_reasons=setup.max_reasons,
        reference=setup.spec.reference,
        band=reference.band,
        reference_rows=reference.eligible,
        background_rows=len(reference.background),
        reference_score=reference.score,
        estimator=setup.chosen_estimator(d),
        evals_per_row=setup.evals_per_row(d),
        additivity_max_error=float(reasons.additivity_error.max(initial=0.0)),
        applicants=len(data.evaluation),
        declined=len(primary.declined),
        without_reason=int((reasons.ranked[:, 0] == NO_REASON).sum()) if len(reasons.ranked) else 0,
        reasons=_mix(setup, principal, stated),
        families=[
            ReasonFamilyInfo(name=name, statement=statement, features=list(features))
            for name, statement, features in zip(
                setup.families.names,
                setup.families.statements,
                setup.families.features,
                strict=True,
            )
        ],
        excluded=list(setup.families.excluded),
        proxy_measure=setup.spec.proxy_screen.measure,
        proxy_flag_at=setup.spec.proxy_screen.flag_at,
        proxy_bins=setup.spec.proxy_screen.bins,
        proxies=[
            ProxyFinding(
                feature=p.feature,
                sensitive=p.sensitive,
                association=round(p.association, 6),
                flagged=p.flagged,
            )
            for p in setup.proxies
        ],
        cases=_cases(data, primary),
        cost=measure.cost,
    )


def _counts(ranked: np.ndarray, families: int) -> tuple[np.ndarray, np.ndarray]:
    """Per family: how many rows give it first, and how many give it at all."""
    principal = np.array([(ranked[:, :1] == f).sum() for f in range(families)], dtype=np.int64)
    stated = np.array([(ranked == f).any(axis=1).sum() for f in range(families)], dtype=np.int64)
    return principal, stated


def _mix(setup: ReasonSetup, principal: np.ndarray, stated: np.ndarray) -> list[ReasonCount]:
    """The reason mix ranked by first-reason count, then by count at any rank, then name."""
    names, statements = setup.families.names, setup.families.statements
    order = sorted(range(len(names)), key=lambda f: (-principal[f], -stated[f], names[f]))
    return [
        ReasonCount(
            reason=names[f],
            statement=statements[f],
            principal=int(principal[f]),
            stated=int(stated[f]),
            rank=rank,
        )
        for rank, f in enumerate(order, start=1)
    ]


def _cases(data: ModelData, primary: Primary) -> list[ReasonCase]:
    """The displayed audit cases that are declined, with their reasons (record ids: the gate
    pseudonymises them)."""
    position = {int(row): i for i, row in enumerate(primary.declined)}
    families, reasons = primary.setup.families, primary.reasons
    cases = []
    for row in data.display_rows:
        i = position.get(int(row))
        if i is None:
            continue
        stated = [
            StatedReason(
                reason=families.names[f],
                statement=families.statements[f],
                contribution=float(reasons.totals[i, f]),
            )
            for f in reasons.ranked[i]
            if f != NO_REASON
        ]
        cases.append(
            ReasonCase(
                case_id=str(data.ids[row]),
                probability=float(reasons.probability[i]),
                reasons=stated,
            )
        )
    return cases
