"""Privacy rules of a policy: cohorts, minimum sizes, generalisation, differential privacy."""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import Field, field_validator, model_validator

from reportgen.policy.base import Strict

PREDICTED_CLASS = "predicted_class"
"""The ``by`` of a cohort family split by the model's predicted class."""


class CohortSpec(Strict):
    """One way of splitting the evaluation rows into cohorts."""

    name: str = Field(description="Label of the cohort family, e.g. 'age band'.")
    by: str = Field(
        description="A column (sensitive attribute or feature) or 'predicted_class'.",
    )
    bands: list[float] | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="Numeric columns: band edges, e.g. [25, 35, 50, 65] gives <25, 25-35, ... 65+.",
    )

    @field_validator("bands")
    @classmethod
    def _bands_increase(cls, bands: list[float] | None) -> list[float] | None:
        """Band edges are strictly increasing."""
        if bands is not None and any(b <= a for a, b in itertools.pairwise(bands)):
            raise ValueError(f"band edges must be strictly increasing, got {bands}")
        return bands


class DifferentialPrivacySpec(Strict):
    """Calibrated noise (OpenDP, Laplace mechanism) on published cohort aggregates."""

    enabled: bool = Field(default=False, description="Add noise to cohort counts and means.")
    epsilon: float = Field(
        default=1.0, gt=0, le=100, description="Total privacy budget of one report."
    )
    delta: float = Field(default=0.0, ge=0, lt=1, description="Delta (0 for pure epsilon-DP).")
    unit: str = Field(
        default="one person's row in the evaluation data",
        description="The unit of privacy: what the guarantee protects.",
    )


class PrivacySpec(Strict):
    """What may reach the report about individuals, and how it is protected."""

    min_cohort_size: int = Field(
        default=11,
        ge=2,
        le=10_000,
        description="Cohorts smaller than this are suppressed (health practice: 11).",
    )
    local_cases: bool | None = Field(
        default=None,
        description="Show individual audit cases. Default: on for credit, off for medical.",
    )
    top_code_quantile: float = Field(
        default=0.98,
        gt=0.5,
        lt=1,
        description="Numeric values above this quantile of the reference data are shown as 'q+'.",
    )
    top_code_ages_at: float = Field(
        default=90,
        gt=0,
        le=150,
        description="Age columns are top-coded at this age (HIPAA Safe Harbor: 90+).",
    )
    image_cases: int = Field(
        default=0,
        ge=0,
        le=50,
        description="Imaging policies: individual images shown with their heat-map overlay "
        "(pseudonymous ids). 0, the default, publishes no patient image: only mean maps over "
        "at least min_cohort_size images and score distributions.",
    )
    cohorts: list[CohortSpec] = Field(default_factory=list, description="Cohort families reported.")
    differential_privacy: DifferentialPrivacySpec = Field(
        default_factory=DifferentialPrivacySpec, description="Optional differential privacy."
    )
    pseudonym_key_env: str = Field(
        default="REPORTGEN_PSEUDONYM_KEY",
        description="Environment variable holding the key of pseudonymous case ids; without it a "
        "key is created once in <out>/.reportgen/pseudonym.key (never published).",
    )

    @model_validator(mode="after")
    def _cohort_names_unique(self) -> PrivacySpec:
        names = [c.name for c in self.cohorts]
        if len(names) != len(set(names)):
            raise ValueError("cohort names must be unique")
        return self


Kind = Literal["credit", "medical"]


def local_cases_enabled(spec: PrivacySpec, domain: Kind) -> bool:
    """Whether individual cases appear: the policy's choice, else on for credit, off for medical."""
    return spec.local_cases if spec.local_cases is not None else domain == "credit"
