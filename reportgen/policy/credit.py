"""Policy settings of a credit decision: the cutoff that turns a score into a decision.

The credit analyses (reason codes for declined applicants, fair lending, calibration) read the
decision from here: an applicant is declined when the model's probability of the adverse class
is at or above ``cutoff``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reportgen.policy.base import Strict
from reportgen.policy.fair_lending import CalibrationSpec, FairLendingSpec


class RecourseSpec(Strict):
    """Recourse for declined audit cases: the nearest actionable change that flips the
    decision, found by search over a grid of reference values and checked by re-scoring."""

    enabled: bool = Field(default=True, description="Compute recourse for declined cases.")
    immutable: list[str] = Field(
        default_factory=list,
        description="Features an applicant cannot change (history, age-like features); "
        "sensitive attributes are never model inputs, so never changed.",
    )
    monotone: dict[str, Literal["increase", "decrease"]] = Field(
        default_factory=dict,
        description="Numeric features that may only move one way (e.g. credit_amount: "
        "decrease, as an applicant can ask for less but the search should not suggest more).",
    )
    max_changes: int = Field(
        default=2, ge=1, le=3, description="Most features one recourse may change."
    )
    grid: int = Field(
        default=10,
        ge=3,
        le=50,
        description="Candidate values per numeric feature: this many quantiles of the "
        "reference data (categorical features: every level).",
    )


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
    recourse: RecourseSpec = Field(
        default_factory=RecourseSpec,
        description="Recourse for declined audit cases (shown where individual cases are).",
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
