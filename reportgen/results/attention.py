"""Results about a transformer's attention: the mean attention from its CLS token to each feature
per layer and head, a ranking of the features by attention rollout, and how that ranking agrees
with global SHAP (aggregates over the evaluation rows only; model-internal, never reasons)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reportgen.results.base import Cost, FeatureImportance
from reportgen.results.base import Doc as _Doc


class HeadAttention(_Doc):
    """One head of one layer: where its CLS token's attention goes, on average over the rows."""

    layer: int = Field(description="The layer, 1 first.")
    head: int = Field(description="The head within its layer, 1 first.")
    to_cls: float = Field(description="Mean attention of the CLS token to itself.")
    to_features: list[float] = Field(
        description="Mean attention of the CLS token to each feature's token, in feature order."
    )


class AttentionResult(_Doc):
    """A model's declared attention weights over the evaluation rows."""

    kind: Literal["attention"] = "attention"
    model: str
    rows: int = Field(description="Evaluation rows the means are over (every one).")
    layers: int
    heads: int = Field(description="Heads per layer.")
    features: list[str] = Field(description="The feature of each token after the CLS token.")
    heads_attention: list[HeadAttention] = Field(description="Per layer, then per head.")
    ranking_method: str = Field(description="How the attention ranking is computed, in words.")
    ranking: list[FeatureImportance] = Field(
        description="Features by mean attention rollout from the CLS token, largest first."
    )
    shap_spearman: float | None = Field(
        description="Spearman rank correlation of the attention ranking's values and mean "
        "|SHAP| per feature; None where the policy computes no global SHAP."
    )
    shap_output: str | None = Field(
        description="The output the global SHAP importances explain (None: not compared)."
    )
    cost: Cost
