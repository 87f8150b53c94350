"""Results about a network's internals: what edits made for deployment change."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reportgen.results.base import Cost, FeatureImportance
from reportgen.results.base import Doc as _Doc


class MetricChange(_Doc):
    """One performance score of the released and the edited model on the evaluation rows."""

    name: str
    released: float
    edited: float


class EditDrift(_Doc):
    """What one edit changes: scores, decisions and explanations (aggregates only)."""

    edit: Literal["prune", "quantize_int8", "candidate"]
    label: str = Field(description="The edit in words, e.g. '80% pruning'.")
    sparsity: float | None = Field(default=None, description="Pruning: share of weights zeroed.")
    path: str | None = Field(default=None, description="Candidate: its file, as the policy says.")
    weights: int | None = Field(default=None, description="Weights the edit applies to.")
    weights_changed: int | None = Field(
        default=None, description="Of those, the weights whose value the edit changed."
    )
    metrics: list[MetricChange]
    flipped: int = Field(description="Evaluation rows whose decision changes.")
    flip_share: float = Field(description="flipped over the evaluation rows.")
    spearman: float = Field(
        description="Spearman correlation of the released and edited global importances."
    )
    top_k_overlap_mean: float = Field(
        description="Mean over the audit cases of |top-k(released) & top-k(edited)| / k."
    )
    top_k_overlap_min: float = Field(description="The lowest audit case's top-k overlap.")
    first_reason_changed: int = Field(
        description="Audit cases whose largest |SHAP| feature changes."
    )
    importances: list[FeatureImportance] = Field(
        description="The edited model's global importances (mean |SHAP|)."
    )


class EditsResult(_Doc):
    """Edits of a torch model assessed against the released model, with the policy's limits."""

    kind: Literal["edits"] = "edits"
    model: str
    output: str = Field(description="The output whose SHAP values are compared, in words.")
    decision: str = Field(description="How a decision is read from the outputs, in words.")
    rows: int = Field(description="Evaluation rows scored by both models.")
    global_rows: int = Field(description="Evaluation rows behind the global importances.")
    cases: int = Field(description="Audit cases whose top-k reasons are compared.")
    k: int
    spearman_min: float
    top_k_overlap_min: float
    flip_share_max: float
    released: list[FeatureImportance] = Field(
        description="The released model's global importances (mean |SHAP|)."
    )
    edits: list[EditDrift]
    cost: Cost
