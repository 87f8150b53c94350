"""Whom a declined applicant is compared with: the SHAP background of the reason codes.

Regulation B commentary 9(b)(2)-5 lets a creditor rank reasons against the average of all
applicants or of applicants at or just above the approval cutoff. For SHAP that is the choice
of background: the values explain P(adverse) of the applicant minus its mean over the
background, so each reason says how much a family raises the applicant's score above the
reference applicants'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.errors import AnalysisError
from reportgen.inputs.models import ModelAdapter
from reportgen.policy.credit import ReasonsSpec

MIN_REFERENCE = 10
"""Fewest reference applicants a background may hold (as explanations.shap.background_size)."""


@dataclass(frozen=True, eq=False)
class Reference:
    """The reference applicants a reason is measured against.

    ``eligible`` reference rows qualified (all of them, or those within the band below the
    cutoff); ``background`` (b, d) is the seeded sample of them SHAP averages over; ``score`` is
    the mean P(adverse) over the background (SHAP's base value).
    """

    kind: str
    band: float | None
    eligible: int
    background: np.ndarray
    score: float


def reason_reference(
    model: ModelAdapter,
    reference: np.ndarray,
    *,
    spec: ReasonsSpec,
    cutoff: float,
    adverse: int,
    size: int,
    rng: np.random.Generator,
    minimum: int = MIN_REFERENCE,
) -> Reference:
    """The background of ``spec.reference`` drawn from the coded ``reference`` rows.

    ``all_applicants`` samples ``size`` of all rows; ``near_cutoff`` samples ``size`` of the rows
    whose P(adverse) lies in ``[cutoff - band, cutoff)``: approved, at most ``band`` below the
    cutoff. ``rng`` draws the sample (rows kept in file order).

    Raises:
        AnalysisError: fewer than ``minimum`` reference applicants qualify.
    """
    scores = model.predict_codes(reference)[:, adverse]
    if spec.reference == "near_cutoff" and spec.band is not None:
        low = cutoff - spec.band
        eligible = np.flatnonzero((scores >= low) & (scores < cutoff))
        where = f"with P(adverse) from {low:g} up to the cutoff {cutoff:g}"
    else:
        eligible = np.arange(len(reference))
        where = "in the reference data"
    if len(eligible) < minimum:
        raise AnalysisError(
            f"reason codes: only {len(eligible)} reference applicant(s) {where}, fewer than the "
            f"{minimum} a reference needs; widen decision.reasons.band or use reference: "
            "all_applicants"
        )
    chosen = rng.choice(len(eligible), size=min(size, len(eligible)), replace=False)
    rows = eligible[np.sort(chosen)]
    return Reference(
        kind=spec.reference,
        band=spec.band if spec.reference == "near_cutoff" else None,
        eligible=len(eligible),
        background=reference[rows],
        score=float(scores[rows].mean()),
    )
