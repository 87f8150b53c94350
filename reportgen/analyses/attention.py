"""A transformer's attention weights over the evaluation data: model-internal, never reasons.

Applies to a TorchScript model that declares its attention (see
:class:`reportgen.policy.attention.AttentionSpec`): its exported method ``attention(x)`` gives,
for encoded rows ``x``, the weights its forward uses, shaped (rows, layers, heads, tokens,
tokens), token 0 the CLS token and token j + 1 the j-th raw feature.

- Per layer and head, the mean over every evaluation row of the CLS token's attention to itself
  and to each feature's token.
- A ranking of the features by attention rollout (Abnar & Zuidema 2020, "Quantifying Attention
  Flow in Transformers"): per row, each layer's weights averaged over its heads, the residual
  connection accounted for as 0.5 A + 0.5 I, the layers' matrices multiplied from the first to
  the last; a feature's score is its share of the CLS token's row, averaged over the rows.
- The Spearman rank correlation of those scores with mean |SHAP| per feature (the global SHAP
  importances, on the same output), when the policy computes global SHAP.

Attention weights are not explanations (Jain & Wallace 2019; Wiegreffe & Pinter 2019): the report
shows them as what the network does inside, next to their agreement with SHAP, never as reasons.

Units of work are blocks of ROW_BLOCK evaluation rows; each block goes through the model as one
call of exactly ROW_BLOCK rows (the last one padded, as every model call is) and returns its sums
over its own rows, so the result has the same bits however the blocks are cut into shards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from reportgen._lazy import require
from reportgen.analyses.checks.metrics import rank_correlation
from reportgen.analyses.context import Measure, ModelData
from reportgen.analyses.explain.gradients import torch_model
from reportgen.analyses.global_importance import mean_abs_shap, ranked
from reportgen.errors import AnalysisError
from reportgen.inputs.models import ROW_BLOCK, ModelAdapter, TorchAdapter
from reportgen.policy.schema import Policy
from reportgen.results.attention import AttentionResult, HeadAttention

METHOD = "attention weights"
RANKING = (
    "attention rollout (Abnar & Zuidema 2020): per row, each layer's attention averaged over its "
    "heads, the residual connection counted as 0.5 A + 0.5 I, the layers multiplied from the "
    "first to the last; a feature's share of the CLS token's row, averaged over the rows"
)


def wanted(policy: Policy) -> bool:
    return policy.attention is not None and policy.attention.enabled


def declares_attention(model: ModelAdapter) -> bool:
    """A TorchScript model whose module exports a method ``attention``."""
    if not isinstance(model, TorchAdapter) or model.format != "torchscript":
        return False
    method = getattr(model.network, "attention", None)
    return isinstance(method, require("torch").ScriptMethod)


def applies(data: ModelData) -> bool:
    return declares_attention(data.model)


def why_not(data: ModelData) -> str:
    model = data.model
    if not isinstance(model, TorchAdapter) or model.format != "torchscript":
        return (
            "attention weights are read from a TorchScript model's declared attention(x) "
            f"method; model '{model.name}' is of format {model.format}"
        )
    types = {str(getattr(m, "original_name", "")) for m in model.network.modules()}
    if "MultiheadAttention" in types:
        return (
            f"model '{model.name}' has nn.MultiheadAttention layers but declares no attention "
            "output: its module exports no method attention(x) (policy reference: attention)"
        )
    return f"model '{model.name}' has no attention: no nn.MultiheadAttention layer, no attention(x)"


def block_weights(model: TorchAdapter, codes: np.ndarray) -> np.ndarray:
    """The declared attention weights (float64) of at most ROW_BLOCK coded rows, run as one
    padded call of ROW_BLOCK rows and metered.

    Raises:
        AnalysisError: the weights are not (rows, layers, heads, tokens, tokens) with one token
            per feature after the CLS token, or a query's weights are not a distribution.
    """
    torch = require("torch")
    padded = np.concatenate([codes, np.repeat(codes[-1:], ROW_BLOCK - len(codes), axis=0)])
    with model.meter.counting(len(codes)), torch.inference_mode():
        found = model.network.attention(model.encode(padded))
    weights = found[: len(codes)].to(torch.float64).numpy()
    tokens = len(model.feature_names) + 1
    if weights.ndim != 5 or weights.shape[3:] != (tokens, tokens):
        raise AnalysisError(
            f"model '{model.name}': attention(x) returned weights of shape "
            f"{tuple(found.shape)}; expected (rows, layers, heads, {tokens}, {tokens}): a CLS "
            f"token and one token per feature"
        )
    tolerance = float(np.sqrt(model.epsilon))
    if not np.isfinite(weights).all() or (weights < -tolerance).any():
        raise AnalysisError(
            f"model '{model.name}': attention(x) returned negative or non-finite weights"
        )
    if np.abs(weights.sum(axis=-1) - 1.0).max() > tolerance:
        raise AnalysisError(
            f"model '{model.name}': attention(x) returned weights whose rows do not sum to 1 "
            "(softmax weights are expected, not scores)"
        )
    return weights


def rollout(weights: np.ndarray) -> np.ndarray:
    """Attention rollout of each row's weights (rows, layers, heads, t, t) -> (rows, t, t)."""
    mixed = 0.5 * weights.mean(axis=2) + 0.5 * np.eye(weights.shape[-1])
    flow = mixed[:, 0]
    for layer in range(1, mixed.shape[1]):
        flow = mixed[:, layer] @ flow
    return flow


def attention_task(
    model: ModelAdapter, shared: Mapping[str, Any], rows: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Per block of ROW_BLOCK evaluation rows (``rows["block"]``; ``shared["codes"]`` the coded
    rows): the sums over its rows of the CLS token's attention (layers, heads, tokens) and of
    the CLS token's rollout row (tokens)."""
    net = torch_model(model, METHOD)
    codes = shared["codes"]
    cls, flow = [], []
    for block in rows["block"]:
        weights = block_weights(net, codes[block * ROW_BLOCK : (block + 1) * ROW_BLOCK])
        cls.append(weights[:, :, :, 0, :].sum(axis=0))
        flow.append(rollout(weights)[:, 0, :].sum(axis=0))
    return {"cls": np.stack(cls), "rollout": np.stack(flow)}


def shap_agreement(data: ModelData, scores: np.ndarray) -> tuple[float | None, str | None]:
    """Spearman of ``scores`` with mean |SHAP| per feature and the output SHAP explains; None
    and None where the policy computes no global SHAP (it is not computed for this)."""
    if "shap" not in data.settings.global_.methods:
        return None, None
    k, importance = mean_abs_shap(data, data.global_shap.values)
    return float(rank_correlation(scores, importance)), data.output_name(k)


def run_attention(data: ModelData) -> AttentionResult:
    """Mean attention per layer and head, the rollout ranking and its agreement with SHAP."""
    model = torch_model(data.model, METHOD)
    n = len(data.evaluation)
    blocks = np.arange(-(-n // ROW_BLOCK))
    with Measure(model) as measure:
        found = data.work.map(attention_task, {"codes": data.evaluation}, {"block": blocks})
    cls = found["cls"].sum(axis=0) / n
    scores = found["rollout"].sum(axis=0)[1:] / n
    spearman, output = shap_agreement(data, scores)
    layers, heads = cls.shape[:2]
    return AttentionResult(
        model=model.name,
        rows=n,
        layers=layers,
        heads=heads,
        features=list(model.feature_names),
        heads_attention=[
            HeadAttention(
                layer=layer + 1,
                head=head + 1,
                to_cls=float(cls[layer, head, 0]),
                to_features=[float(v) for v in cls[layer, head, 1:]],
            )
            for layer in range(layers)
            for head in range(heads)
        ],
        ranking_method=RANKING,
        ranking=ranked(model.feature_names, scores),
        shap_spearman=spearman,
        shap_output=output,
        cost=measure.cost,
    )


__all__ = ["METHOD", "applies", "declares_attention", "run_attention", "wanted", "why_not"]
