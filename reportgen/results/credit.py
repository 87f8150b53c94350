"""Results of a credit decision: reason codes, recourse, fair lending and calibration."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reportgen.results.base import Cost, MetricWithInterval
from reportgen.results.base import Doc as _Doc


class RecourseChange(_Doc):
    """One feature the recourse changes, its values as displayed (generalised at the gate)."""

    feature: str
    current: str
    suggested: str
    direction: Literal["lower", "higher", "another level"]


class RecourseCase(_Doc):
    """A declined audit case and the nearest actionable change that flips its decision."""

    case_id: str
    adverse_probability: float = Field(description="The model's probability of decline now.")
    found: bool = Field(description="Whether a change of at most max_changes features flips it.")
    changes: list[RecourseChange] = Field(default_factory=list)
    new_probability: float | None = Field(
        default=None, description="Re-scored probability of the adverse class after the change."
    )
    distance: float | None = Field(
        default=None,
        description="Size of the change: numeric steps in median absolute deviations of the "
        "reference data, 1 per changed category.",
    )


class RecourseResult(_Doc):
    """Recourse for the declined audit cases (shown where individual cases are)."""

    kind: Literal["recourse"] = "recourse"
    model: str
    adverse_class: str
    cutoff: float
    max_changes: int
    grid: int
    immutable: list[str]
    monotone: dict[str, str]
    cases: list[RecourseCase]
    cost: Cost


class FairLendingGroup(_Doc):
    """One group of a sensitive attribute as published: a suppressed group carries only its
    label and the reason."""

    label: str
    size: int | None = Field(description="Applicants in the group; None if suppressed.")
    suppressed: str | None = Field(default=None, description="Why nothing else is shown.")
    reference: bool = Field(
        default=False, description="Whether this is the group the others are compared with."
    )
    approval_rate: MetricWithInterval | None = Field(
        default=None, description="Share of the group approved (score below the cutoff)."
    )
    adverse_impact_ratio: MetricWithInterval | None = Field(
        default=None,
        description="The group's approval rate over the reference group's; None for the "
        "reference itself or where undefined.",
    )
    mean_score: float | None = Field(
        default=None, description="Mean probability of the adverse class over the group."
    )
    standardized_mean_difference: MetricWithInterval | None = Field(
        default=None,
        description="(mean score of the group - mean score of the reference) / pooled standard "
        "deviation; positive: the group is scored as riskier.",
    )


class FeatureContribution(_Doc):
    """One feature's share of a gap in mean score between two groups."""

    feature: str
    contribution: float = Field(
        description="Group-mean SHAP value of the group minus that of the group it is compared "
        "with; positive: the feature raises the group's score relative to the other's."
    )
    rank: int = Field(description="1: the largest contribution in absolute value.")


class GapDecomposition(_Doc):
    """The gap in mean score between two groups, split into feature contributions.

    With interventional SHAP against one shared background, every row's values sum to its score
    minus the same base value, so the difference of the two groups' mean SHAP values sums to the
    difference of their mean scores exactly; ``residual`` records what floating point left.
    """

    group: str
    compared_with: str
    rows: Literal["all", "sample"] = Field(
        description="all: every evaluation row of both groups is explained; sample: a group "
        "larger than the policy's decomposition_rows is explained through a seeded sample of "
        "that many rows (its global SHAP rows first)."
    )
    group_rows: int = Field(description="Explained rows of the group.")
    compared_rows: int = Field(description="Explained rows of the group it is compared with.")
    gap: float = Field(
        description="Mean score of the group minus that of the other, over the explained rows."
    )
    gap_all_rows: float = Field(description="The same gap over every row of the two groups.")
    residual: float = Field(description="gap minus the sum of the contributions.")
    contributions: list[FeatureContribution]


class AttributeFairness(_Doc):
    """Approval rates and their ratios across the groups of one sensitive attribute."""

    attribute: str
    bands: list[float] | None = Field(description="Band edges of a numeric attribute.")
    reference: str | None = Field(description="The reference group; None when none qualified.")
    reference_rule: Literal["policy", "highest_approval_rate"]
    groups: list[FairLendingGroup]
    decomposition: GapDecomposition | None = None
    notes: list[str] = Field(
        default_factory=list, description="What could not be shown, and why, in words."
    )


class FairLendingResult(_Doc):
    """Fair lending: approval rates, adverse impact ratios and score gaps across groups."""

    kind: Literal["fair_lending"] = "fair_lending"
    model: str
    adverse_class: str
    cutoff: float = Field(description="Approved when the score is below this.")
    score: str = Field(description="The score, in words (the adverse-class probability).")
    rows: int = Field(description="Evaluation rows.")
    air_fail_below: float
    air_warn_below: float
    bootstrap: int = Field(description="Bootstrap resamples behind the intervals (0: none).")
    attributes: list[AttributeFairness]
    cost: Cost


class ReliabilityBin(_Doc):
    """One bin of the reliability diagram: mean score against the observed adverse rate."""

    low: float
    high: float
    count: int | None = Field(description="Rows in the bin; None if suppressed.")
    mean_predicted: float | None = None
    observed_rate: float | None = None
    suppressed: str | None = None


class CalibrationFigures(_Doc):
    """Calibration of all rows or of one group; a suppressed group shows only its label."""

    label: str
    size: int | None
    suppressed: str | None = None
    expected_calibration_error: MetricWithInterval | None = None
    brier_score: MetricWithInterval | None = None


class CalibrationGroups(_Doc):
    """Calibration per group of one sensitive attribute."""

    attribute: str
    bands: list[float] | None = Field(description="Band edges of a numeric attribute.")
    groups: list[CalibrationFigures]


class CalibrationResult(_Doc):
    """Does a score of p mean a risk of p? Overall and per group of each fair-lending attribute."""

    kind: Literal["calibration"] = "calibration"
    model: str
    adverse_class: str
    score: str = Field(description="The score, in words (the adverse-class probability).")
    rows: int
    bins: int = Field(description="Equal-width bins of the score behind the ECE.")
    thresholds: list[float] = Field(
        description="Scores at which other published counts split the rows (the decision cutoff; "
        "0.5, where the predicted class changes): the reliability diagram's bins also break "
        "there, and are suppressed within each segment between them."
    )
    bootstrap: int
    overall: CalibrationFigures
    reliability: list[ReliabilityBin] = Field(description="The reliability diagram, all rows.")
    attributes: list[CalibrationGroups]
    cost: Cost


class StatedReason(_Doc):
    """One principal reason of one declined applicant."""

    reason: str = Field(description="The reason code: the name of the reason family.")
    statement: str = Field(description="The family's statement, as a notice gives it.")
    contribution: float = Field(
        description="How much the family raises P(adverse) above the reference applicants' "
        "mean: its features' summed SHAP values."
    )


class ReasonCase(_Doc):
    """A displayed audit case the model declines, with its principal reasons."""

    case_id: str
    probability: float = Field(description="The model's probability of the adverse class.")
    reasons: list[StatedReason] = Field(description="Largest contribution first.")


class ReasonCount(_Doc):
    """How often one reason is given to declined applicants; counts None when suppressed."""

    reason: str = Field(description="The reason code (family name).")
    statement: str
    principal: int | None = Field(
        description="Declined applicants whose first (largest) reason it is."
    )
    stated: int | None = Field(
        description="Declined applicants among whose principal reasons it is."
    )
    rank: int | None = Field(
        description="1 for the most frequent first reason among the published counts; None "
        "when suppressed or never first."
    )
    suppressed: str | None = Field(default=None, description="Why the counts are withheld.")


class ReasonFamilyInfo(_Doc):
    """One reason family as the policy declares it."""

    name: str
    statement: str
    features: list[str]


class ProxyFinding(_Doc):
    """One feature's association with one sensitive attribute (the proxy screen)."""

    feature: str
    sensitive: str
    association: float = Field(description="The screen's measure, in [0, 1].")
    flagged: bool = Field(description="At or above the policy's threshold: a possible proxy.")


class ReasonCodesResult(_Doc):
    """Adverse-action reason codes of the declined evaluation applicants (issue #11)."""

    kind: Literal["reason_codes"] = "reason_codes"
    model: str
    adverse_class: str
    cutoff: float = Field(description="Declined when P(adverse) is at or above this.")
    max_reasons: int
    reference: Literal["all_applicants", "near_cutoff"]
    band: float | None = Field(description="near_cutoff: the score band below the cutoff.")
    reference_rows: int = Field(
        description="Reference applicants that qualified as the reference (all, or those "
        "within the band)."
    )
    background_rows: int = Field(description="The seeded sample of them SHAP averages over.")
    reference_score: float = Field(
        description="Mean P(adverse) over the background: what contributions are measured from."
    )
    estimator: Literal["exact", "permutation"]
    evals_per_row: int
    additivity_max_error: float = Field(
        description="max |sum(SHAP) + E[f] - f(x)| over the declined applicants."
    )
    applicants: int = Field(description="Evaluation applicants scored.")
    declined: int | None = Field(description="Of them declined; None when suppressed.")
    without_reason: int | None = Field(
        default=None,
        description="Declined applicants with no family raising P(adverse) (possible when "
        "proxies are excluded); None when suppressed.",
    )
    reasons: list[ReasonCount] = Field(
        description="Per family: the reason mix over the declined applicants."
    )
    families: list[ReasonFamilyInfo]
    excluded: list[str] = Field(
        default_factory=list,
        description="Features flagged as possible proxies whose contributions no reason states "
        "(decision.reasons.exclude_proxies).",
    )
    proxy_measure: Literal["cramers_v", "mutual_information"]
    proxy_flag_at: float
    proxy_bins: int
    proxies: list[ProxyFinding] = Field(
        description="Every (feature, sensitive attribute) pair, measured on the reference data."
    )
    cases: list[ReasonCase] = Field(
        default_factory=list, description="Displayed audit cases that are declined."
    )
    cases_withheld: bool = Field(
        default=False, description="True when the policy shows no individual cases."
    )
    cost: Cost
