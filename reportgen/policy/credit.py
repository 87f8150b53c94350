"""Policy settings of a credit decision: the cutoff that turns a score into a decision.

The credit analyses (reason codes for declined applicants, fair lending, calibration) read the
decision from here: an applicant is declined when the model's probability of the adverse class
is at or above ``cutoff``.
"""

from __future__ import annotations

from pydantic import Field

from reportgen.policy.base import Strict
from reportgen.policy.fair_lending import CalibrationSpec, FairLendingSpec


class DecisionSpec(Strict):
    """How the model's score becomes a credit decision."""

    adverse_class: str = Field(
        description="The class whose probability leads to a decline (e.g. 'bad'); one of the "
        "model's classes."
    )
    cutoff: float = Field(
        gt=0,
        lt=1,
        description="Applicants whose probability of the adverse class is at or above this are "
        "declined.",
    )
    fair_lending: FairLendingSpec | None = Field(
        default=None,
        description="Compare approval rates across the groups of each sensitive attribute "
        "(adverse impact ratio, four-fifths rule) and decompose a score gap into features.",
    )
    calibration: CalibrationSpec | None = Field(
        default=None,
        description="Measure how well the adverse-class probability matches observed outcomes, "
        "overall and per group.",
    )
