"""Policy settings of the fair-lending and calibration analyses of a credit decision.

Fair lending compares approval rates across the groups of each sensitive attribute: each
group's adverse impact ratio (AIR: its approval rate over the reference group's) is judged
against the four-fifths rule of the US Uniform Guidelines (29 CFR 1607.4(D)), which regulators
also use as a first screen for disparate impact in lending: an AIR below 0.8 fails. The warning
band (default: below 0.9) flags groups close to that line, where a modest change of data or
cutoff would cross it. Calibration asks whether a score of p means a risk of p, overall and per
group.
"""

from __future__ import annotations

import itertools

from pydantic import Field, field_validator, model_validator

from reportgen.policy.base import Strict

HIGHEST_APPROVAL = "highest_approval_rate"
"""The reference rule: the published group approved most often (the four-fifths rule's own)."""


class FairLendingAttribute(Strict):
    """How one sensitive attribute splits applicants into groups, and which group is the
    reference the others are compared with."""

    attribute: str = Field(description="A sensitive column (data.sensitive).")
    bands: list[float] | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="Numeric attributes such as age: band edges, e.g. [25, 35, 50, 65] gives "
        "<25, 25-35, 35-50, 50-65 and 65+ (lower edges inclusive). A column of labels takes "
        "none: its groups are its values.",
    )
    reference: str = Field(
        default=HIGHEST_APPROVAL,
        description="The group every other group's approval rate is compared with: a band "
        "(e.g. '35-50') or a value of the column, or 'highest_approval_rate' for the published "
        "group approved most often (groups smaller than privacy.min_cohort_size are never the "
        "reference).",
    )
    decompose: list[str] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="The two groups whose gap in mean score is decomposed into feature "
        "contributions, [group, compared with]. Default: the group with the lowest AIR against "
        "the reference.",
    )

    @field_validator("bands")
    @classmethod
    def _bands_increase(cls, bands: list[float] | None) -> list[float] | None:
        """Band edges are strictly increasing."""
        if bands is not None and any(b <= a for a, b in itertools.pairwise(bands)):
            raise ValueError(f"band edges must be strictly increasing, got {bands}")
        return bands

    @field_validator("decompose")
    @classmethod
    def _two_groups(cls, groups: list[str] | None) -> list[str] | None:
        """The decomposed groups are two different groups."""
        if groups is not None and groups[0] == groups[1]:
            raise ValueError(f"the two decomposed groups must differ, got {groups}")
        return groups


class AirBands(Strict):
    """Where an adverse impact ratio passes, warns and fails."""

    fail_below: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="An AIR below this fails (the four-fifths rule: 0.8).",
    )
    warn_below: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="An AIR at or above fail_below but below this warns: close enough to the "
        "four-fifths line that a modest change of data or cutoff would cross it.",
    )

    @model_validator(mode="after")
    def _warn_above_fail(self) -> AirBands:
        """warn_below is at least fail_below."""
        if self.warn_below < self.fail_below:
            raise ValueError(
                f"warn_below ({self.warn_below:g}) must be at least fail_below "
                f"({self.fail_below:g})"
            )
        return self


class FairLendingSpec(Strict):
    """Approval rates, adverse impact ratios and score gaps across the groups of each
    sensitive attribute."""

    attributes: list[FairLendingAttribute] = Field(
        default_factory=list,
        description="The sensitive attributes compared. Empty (the default): every sensitive "
        "attribute, each with the default reference; a numeric one must be listed with its "
        "bands.",
    )
    air: AirBands = Field(
        default_factory=AirBands, description="Pass, warn and fail bands of the AIR gate."
    )
    bootstrap: int = Field(
        default=1000,
        ge=0,
        le=20_000,
        description="Bootstrap resamples behind the 95% intervals, drawn within each group (its "
        "size kept) from the policy seed, one stream per attribute and group; 0: no intervals.",
    )
    decomposition_rows: int = Field(
        default=500,
        ge=11,
        le=100_000,
        description="Most rows of one group explained to decompose a score gap: a group with at "
        "most this many is explained in full, so the decomposed gap is the gap in its mean "
        "score; a larger one through a seeded sample of this many (its global SHAP rows first). "
        "Bounds the work: SHAP values cost model evaluations per row.",
    )

    @model_validator(mode="after")
    def _attributes_unique(self) -> FairLendingSpec:
        """Each attribute is listed once."""
        names = [a.attribute for a in self.attributes]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"each attribute is listed once; repeated: {', '.join(repeated)}")
        return self


class CalibrationSpec(Strict):
    """Whether a score of p means a risk of p: expected calibration error, Brier score and a
    reliability diagram, overall and per group of the fair-lending attributes."""

    bins: int = Field(
        default=10,
        ge=2,
        le=50,
        description="Equal-width bins of the adverse-class probability on [0, 1] for the "
        "expected calibration error and the reliability diagram.",
    )
    bootstrap: int = Field(
        default=1000,
        ge=0,
        le=20_000,
        description="Bootstrap resamples of rows behind the 95% intervals (from the policy "
        "seed); 0: no intervals.",
    )


def assessed(spec: FairLendingSpec, sensitive: list[str]) -> list[FairLendingAttribute]:
    """The attributes fair lending compares: those listed, else every sensitive one with the
    default settings."""
    if spec.attributes:
        return list(spec.attributes)
    return [FairLendingAttribute(attribute=column) for column in sensitive]


__all__ = [
    "HIGHEST_APPROVAL",
    "AirBands",
    "CalibrationSpec",
    "FairLendingAttribute",
    "FairLendingSpec",
    "assessed",
]
