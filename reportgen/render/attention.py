"""The attention section of a transformer: where its CLS token's attention goes per layer and head,
the features ranked by attention rollout, and how that ranking agrees with global SHAP, with the
published caveat that attention is not explanation. Model-internal: never shown as reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reportgen.render.format import fmt_fixed, fmt_int, plural
from reportgen.render.views import Fact
from reportgen.results.attention import AttentionResult
from reportgen.results.document import GlobalShapResult

CAVEAT = (
    "Attention is not explanation. Jain & Wallace (2019, \u201cAttention is not "
    "Explanation\u201d) found that attention weights often disagree with gradient and "
    "leave-one-out measures of importance, and that very different attention can give the same "
    "prediction; Wiegreffe & Pinter (2019, \u201cAttention is not not Explanation\u201d) showed "
    "that whether attention explains a given model has to be tested, not assumed. These weights "
    "are therefore shown as part of what the network computes, never as reasons for a decision: "
    "the reasons in this report come from the attributions."
)
AGREEMENT_WORDS = ((0.7, "strong"), (0.4, "moderate"), (0.0, "weak"))
"""|Spearman rho| from which the agreement is called strong, moderate or weak."""


@dataclass(frozen=True)
class AttentionLine:
    feature: str
    rollout: str
    rank: str
    shap_rank: str
    heads: tuple[str, ...]
    """Mean attention of the CLS token to the feature, per layer and head."""


@dataclass(frozen=True)
class AttentionView:
    kind: Literal["attention"]
    template: str
    heading: str
    intro: str
    caveat: str
    facts: tuple[Fact, ...]
    agreement: str
    head_labels: tuple[str, ...]
    lines: tuple[AttentionLine, ...]
    to_cls: tuple[str, ...]
    """Mean attention of the CLS token to itself, per layer and head."""


def agreement_sentence(result: AttentionResult) -> str:
    """The Spearman with global SHAP in words, or why it was not measured."""
    if result.shap_spearman is None:
        return (
            "Its rank agreement with global SHAP is not measured: the policy's global "
            "explanations do not include SHAP."
        )
    rho = result.shap_spearman
    words = next(w for bound, w in AGREEMENT_WORDS if abs(rho) >= bound)
    return (
        f"The attention rollout ranking and the global SHAP ranking (mean |SHAP| of the "
        f"{result.shap_output}) agree with a Spearman rank correlation of {fmt_fixed(rho, 2)} "
        f"over {plural(len(result.features), 'feature')}: {words} agreement. Agreement would "
        "not make attention an explanation, nor disagreement make SHAP wrong: they measure "
        "different things."
    )


def build_attention(
    result: AttentionResult, shap: GlobalShapResult | None, *, heading: str, template: str
) -> AttentionView:
    """The section of one model's attention; ``shap`` is the model's global SHAP result, whose
    ranks are printed next to the attention ranking (None: not computed)."""
    shap_ranks = {f.feature: f.rank for f in shap.importances} if shap is not None else {}
    position = {name: j for j, name in enumerate(result.features)}
    return AttentionView(
        kind="attention",
        template=template,
        heading=heading,
        intro=(
            "What the network does inside, not why it decides: the model declares the attention "
            "weights of its forward, one token per feature after a CLS token whose output the "
            f"head reads. Over {plural(result.rows, 'evaluation row')}, the table gives each "
            "layer and head's mean attention from the CLS token to each feature, and the "
            f"features ranked by {result.ranking_method}."
        ),
        caveat=CAVEAT,
        facts=(
            Fact("Layers", fmt_int(result.layers)),
            Fact("Heads per layer", fmt_int(result.heads)),
            Fact("Evaluation rows", fmt_int(result.rows)),
            Fact(
                "Spearman with global SHAP",
                "not measured"
                if result.shap_spearman is None
                else fmt_fixed(result.shap_spearman, 2),
            ),
        ),
        agreement=agreement_sentence(result),
        head_labels=tuple(f"L{h.layer} H{h.head}" for h in result.heads_attention),
        lines=tuple(
            AttentionLine(
                feature=item.feature,
                rollout=fmt_fixed(item.value),
                rank=str(item.rank),
                shap_rank=str(shap_ranks[item.feature]) if shap_ranks else "n/a",
                heads=tuple(
                    fmt_fixed(h.to_features[position[item.feature]]) for h in result.heads_attention
                ),
            )
            for item in result.ranking
        ),
        to_cls=tuple(fmt_fixed(h.to_cls) for h in result.heads_attention),
    )


def attention_text(result: AttentionResult, seed: int) -> str:
    """The method appendix's paragraph (no random draw: the seed plays no part)."""
    return (
        "Read from the model's exported attention(x) method, which returns the weights its "
        f"forward uses, over every one of the {plural(result.rows, 'evaluation row')} in padded "
        f"calls of 64 rows. The ranking is {result.ranking_method}. The Spearman rank "
        "correlation (average ranks for ties) compares the rollout scores with mean |SHAP| per "
        "feature from the global SHAP section. Only means over the rows are published."
    )


__all__ = ["CAVEAT", "AttentionView", "agreement_sentence", "attention_text", "build_attention"]
