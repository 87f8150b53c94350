"""Policy settings of a credit decision: the cutoff that turns a score into a decision, and how
the principal reasons for a decline are found and worded.

The credit analyses (reason codes for declined applicants, fair lending, calibration) read the
decision from here: an applicant is declined when the model's probability of the adverse class
is at or above ``cutoff``.

Reasons (ECOA / Regulation B, 12 CFR 1002.9(b)(2)) are *families* of features, each with the
statement a notice gives. Every model feature belongs to exactly one family: a notice must never
fall back on a column name, so a feature that is a reason on its own is a family of one. Checks
that span keys (a family naming an unknown or sensitive column, a feature in two families, a
band that does not fit the cutoff) are in :mod:`reportgen.policy.consistency`.
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


ReasonReference = Literal["all_applicants", "near_cutoff"]
ProxyMeasure = Literal["cramers_v", "mutual_information"]
REASON_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
MAX_REASONS = 4
"""Regulation B commentary 9(b)(2)-1: more than four reasons is unlikely to help the applicant."""


class ReasonFamily(Strict):
    """Features whose contributions add up to one stated reason."""

    name: str = Field(
        pattern=REASON_NAME_PATTERN,
        description="The reason code (a lowercase slug, e.g. 'credit_requested'), written in "
        "`reportgen reasons` output and the report.",
    )
    statement: str = Field(
        min_length=1,
        max_length=200,
        description="The reason as a notice states it, in the style of Regulation B's sample "
        "forms, e.g. 'Amount or length of credit requested'. It names the factor that counts "
        "against the applicant (the one direction a reason is given in).",
    )
    features: list[str] = Field(
        min_length=1,
        description="Model features (data.features) in this family; each feature belongs to "
        "exactly one family, and a sensitive column to none.",
    )


class ProxyScreenSpec(Strict):
    """How strongly each feature is associated with each sensitive attribute."""

    measure: ProxyMeasure = Field(
        default="cramers_v",
        description="cramers_v: Cramer's V of the contingency table (scipy); "
        "mutual_information: normalised mutual information, arithmetic mean (scikit-learn). "
        "Both lie in [0, 1]; numeric columns are cut into quantile bins first.",
    )
    flag_at: float = Field(
        default=0.3,
        gt=0,
        le=1,
        description="A feature whose association with a sensitive attribute is at or above "
        "this is listed as a possible proxy for it.",
    )
    bins: int = Field(
        default=5,
        ge=2,
        le=20,
        description="Quantile bins a numeric column is cut into (fewer when it has fewer "
        "distinct values).",
    )


class ReasonsSpec(Strict):
    """Adverse-action reasons for declined applicants: reference, families, proxy screen."""

    max_reasons: int = Field(
        default=MAX_REASONS,
        ge=1,
        le=MAX_REASONS,
        description="Principal reasons stated per declined applicant, at most four "
        "(Regulation B commentary 9(b)(2)-1; FCRA key factors).",
    )
    reference: ReasonReference = Field(
        description="Whom a declined applicant is compared with (Regulation B commentary "
        "9(b)(2)-5), i.e. the SHAP background: all_applicants, a seeded sample of all reference "
        "applicants; near_cutoff, reference applicants whose probability of the adverse class "
        "lies within `band` below the cutoff (approved at or just above the cutoff)."
    )
    band: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="near_cutoff only: the width of the score band below the cutoff, e.g. "
        "0.1 with a cutoff of 0.5 compares with applicants scored from 0.4 up to 0.5.",
    )
    families: list[ReasonFamily] = Field(
        min_length=1,
        description="Reason families covering every model feature exactly once; a family's "
        "contribution is the sum of its features' SHAP values (exact by additivity).",
    )
    permutations: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Feature orders per declined applicant when SHAP samples (as "
        "explanations.shap.permutations, which applies when this is omitted). Reasons go on "
        "notices and only their order matters, so they may need a larger budget than global "
        "importance: check C9 says whether it suffices.",
    )
    proxy_screen: ProxyScreenSpec = Field(
        default_factory=ProxyScreenSpec,
        description="The screen of features for possible proxies of sensitive attributes "
        "(measured on the reference data).",
    )
    exclude_proxies: bool = Field(
        default=False,
        description="Leave the contributions of flagged possible proxies out of every reason; "
        "the report says which were left out. Off by default: a reason must be a factor "
        "actually scored, and leaving one out can misstate why an applicant was declined.",
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
    reasons: ReasonsSpec | None = Field(
        default=None,
        description="Principal reasons for declined applicants (the reason codes section and "
        "`reportgen reasons`); none when omitted.",
    )
