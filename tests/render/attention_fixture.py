"""An attention result for the render tests (module name unique to this folder, as
render_fixture's): a two-layer, two-head transformer over the fixture's six features."""

from __future__ import annotations

from render_fixture import MODEL, SHAP_VALUES

from reportgen.results.attention import AttentionResult, HeadAttention
from reportgen.results.base import FeatureImportance
from reportgen.results.document import Cost

FEATURES = list(SHAP_VALUES)  # age, income, housing, debt_ratio, purpose, credit_history_months
ROLLOUT = [0.10, 0.05, 0.20, 0.15, 0.08, 0.12]  # housing first: SHAP ranks it last


def make_attention(spearman: float | None = -0.2) -> AttentionResult:
    order = sorted(range(len(FEATURES)), key=lambda j: -ROLLOUT[j])
    return AttentionResult(
        model=MODEL,
        rows=300,
        layers=2,
        heads=2,
        features=FEATURES,
        heads_attention=[
            HeadAttention(
                layer=layer,
                head=head,
                to_cls=0.1 * layer,
                to_features=[
                    (0.9 if layer == 1 else 0.8) / 6 + 0.01 * head * (j - 2.5) for j in range(6)
                ],
            )
            for layer in (1, 2)
            for head in (1, 2)
        ],
        ranking_method="attention rollout (Abnar & Zuidema 2020)",
        ranking=[
            FeatureImportance(feature=FEATURES[j], value=ROLLOUT[j], rank=rank)
            for rank, j in enumerate(order, start=1)
        ],
        shap_spearman=spearman,
        shap_output=None if spearman is None else "probability of class 'default'",
        cost=Cost(model_rows=300, model_calls=5, wall_seconds=0.08, model_seconds=0.07),
    )
