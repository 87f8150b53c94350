"""The base of every results type: frozen, no unknown keys, and the cost of an analysis."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cost(Doc):
    """What an analysis cost: rows pushed through the model, calls, and time."""

    model_rows: int = Field(description="Rows evaluated by the model.")
    model_calls: int = Field(
        description="Batched model calls; depends on how the work was split (the executor)."
    )
    wall_seconds: float = Field(description="Wall time of the whole analysis.")
    model_seconds: float = Field(description="Wall time spent inside the model.")


class FeatureImportance(Doc):
    """One feature's global importance; ``rank`` 1 is the most important."""

    feature: str
    value: float
    spread: float | None = Field(default=None, description="Standard deviation across repeats.")
    rank: int


class MetricWithInterval(Doc):
    """A cohort's score with its 95% interval (None where it cannot be computed or is noised)."""

    name: str
    value: float | None
    low: float | None = None
    high: float | None = None


class SkippedAnalysis(Doc):
    """An analysis the policy asks for that does not apply to a model, and why."""

    model: str
    analysis: str = Field(description="The kind of analysis (or the check's name).")
    label: str = Field(description="The analysis in words.")
    reason: str = Field(description="Why it did not run, in one sentence.")
