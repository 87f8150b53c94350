"""Attention weights (issue 13): a toy transformer whose attention is known in closed form gives
the mean attention and the rollout a hand computation gives; the rank agreement with global SHAP
equals scipy's Spearman; models without declared attention are skipped with the reason; the
numbers do not depend on how the row blocks are cut into shards."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from reportgen.analyses.attention import run_attention
from reportgen.analyses.context import ModelData
from reportgen.analyses.global_importance import run_global_shap
from reportgen.analyses.work import InProcess
from reportgen.engine import plan
from reportgen.errors import AnalysisError
from reportgen.policy import load_policy
from tests.analyses.toy_models import D, FunctionModel, linear_torch, numeric_codec, torch_model
from tests.conftest import ROOT

CREDIT = load_policy(ROOT / "policies" / "credit.yaml").policy
GAINS = (2.0, -1.0)
"""Head h of the first layer scores the CLS token's attention to feature j as GAINS[h] * x_j /
sqrt(2) (2: the head's width), and to itself as 0."""
SPREAD = np.array([0.2, 0.5, 1.0, 1.5, 2.0, 3.0])
"""The features' standard deviations: a wider feature draws more attention on average."""
DIRECT = [8.0, 3.0, 0.0, 0.5, 0.0, 0.1]
"""Weights of a path from the features straight to the output, past the attention, so that the
attention ranking and the SHAP ranking disagree."""
T = D + 1


class ToyTransformer(torch.nn.Module):
    """Tokens of width 4: the CLS token (1, 0, 0, 0), feature j's token (0, x_j, 0, 0). The first
    layer's queries read the token's first entry times the head's gain and its keys the second
    entry, so the CLS token's attention in head h is softmax(0, b_h x_1, ..., b_h x_D) with
    b_h = GAINS[h] / sqrt(2), and a feature token's is uniform (its query is 0). The second
    layer's queries and keys are 0: all its attention is uniform."""

    def __init__(self, scores: bool = False, extra_token: bool = False, outputs: int = 2) -> None:
        super().__init__()
        self.first = torch.nn.MultiheadAttention(4, 2, batch_first=True)
        self.second = torch.nn.MultiheadAttention(4, 2, batch_first=True)
        self.head = torch.nn.Linear(4, outputs)
        self.direct = torch.nn.Linear(D, outputs, bias=False)
        self.scores = scores
        self.extra = 1 if extra_token else 0
        with torch.no_grad():
            w = torch.zeros(12, 4)
            w[0, 0], w[2, 0] = GAINS  # queries: head 0 is rows 0-1, head 1 rows 2-3
            w[4, 1] = w[6, 1] = 1.0  # keys
            w[8:] = torch.eye(4)  # values
            self.first.in_proj_weight.copy_(w)
            w[:8] = 0.0
            self.second.in_proj_weight.copy_(w)
            for layer in (self.first, self.second):
                layer.in_proj_bias.zero_()
                layer.out_proj.weight.copy_(torch.eye(4))
                layer.out_proj.bias.zero_()
            head = [[0.0, -1.0, 0.0, 0.5], [0.0, 1.0, 0.5, 0.0], [0.0, 0.5, -0.5, 0.0]]
            direct = [DIRECT, [0.0] * D, [0.0] * D]
            if outputs == 2:  # the positive class second
                head, direct = head[1::-1], direct[1::-1]
            self.head.weight.copy_(torch.tensor(head[:outputs]))
            self.direct.weight.copy_(torch.tensor(direct[:outputs]))

    def _run(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = x.shape[0]
        cls = torch.zeros(n, 1 + self.extra, 4)
        cls[:, :, 0] = 1.0
        features = torch.zeros(n, x.shape[1], 4)
        features[:, :, 1] = x
        t = torch.cat([cls, features], dim=1)
        h1, w1 = self.first(t, t, t, need_weights=True, average_attn_weights=False)
        h2, w2 = self.second(h1, h1, h1, need_weights=True, average_attn_weights=False)
        assert w1 is not None and w2 is not None
        weights = torch.stack([w1, w2], dim=1)
        return self.head(h2[:, 0]) + self.direct(x), weights * 3.0 if self.scores else weights

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x)[0]

    @torch.jit.export
    def attention(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x)[1]


def _data(model=None, methods=("shap",), rows: int = 150) -> ModelData:
    model = model if model is not None else torch_model(ToyTransformer(), ["good", "bad"])
    raw = CREDIT.model_dump(by_alias=True)
    raw["models"][0]["name"] = model.name
    raw["attention"] = {"enabled": True}
    raw["explanations"]["global"]["methods"] = list(methods)
    raw["explanations"]["shap"]["global_rows"] = 60
    raw["explanations"]["shap"]["background_size"] = 30
    policy = type(CREDIT).model_validate(raw)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(rows, D)) * SPREAD
    return ModelData(
        model=model,
        reference=rng.normal(size=(80, D)) * SPREAD,
        evaluation=x,
        target=(x[:, 0] > 0).astype(np.int64),
        ids=np.arange(len(x)).astype(str),
        policy=policy,
        positive_index=1,
    )


def _by_hand(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CLS token's attention per layer, head and token (2, 2, T), and its rollout row (T),
    both averaged over the rows of ``x``, from the closed form."""
    cls = np.zeros((len(x), 2, 2, T))
    for h, gain in enumerate(GAINS):
        e = np.exp(np.concatenate([np.zeros((len(x), 1)), x * gain / math.sqrt(2)], axis=1))
        cls[:, 0, h] = e / e.sum(axis=1, keepdims=True)
    cls[:, 1] = 1.0 / T
    # Rollout of two layers: A1 has the CLS row a (the mean of its heads) and uniform rows for
    # the features; A2 is uniform. With B = 0.5 A + 0.5 I, the CLS row of B2 B1 is
    # 0.5 * (column means of B1) + 0.5 * (CLS row of B1).
    a = cls[:, 0].mean(axis=1)
    column_mean_a1 = (a + (T - 1) / T) / T
    column_mean_b1 = 0.5 * column_mean_a1 + 0.5 / T
    cls_row_b1 = 0.5 * a + 0.5 * np.eye(T)[0]
    flow = 0.5 * column_mean_b1 + 0.5 * cls_row_b1
    return cls.mean(axis=0), flow.mean(axis=0)


def test_mean_attention_and_rollout_equal_the_closed_form() -> None:
    data = _data(methods=("permutation",))
    result = run_attention(data)
    cls, flow = _by_hand(data.evaluation)
    assert (result.layers, result.heads, result.rows) == (2, 2, 150)
    assert result.features == [f"x{j}" for j in range(D)]
    for head in result.heads_attention:
        expected = cls[head.layer - 1, head.head - 1]
        assert head.to_cls == pytest.approx(expected[0], abs=1e-6)
        assert head.to_features == pytest.approx(expected[1:], abs=1e-6)
    by_feature = {item.feature: item.value for item in result.ranking}
    assert [by_feature[f"x{j}"] for j in range(D)] == pytest.approx(flow[1:], abs=1e-6)
    values = [item.value for item in result.ranking]
    assert values == sorted(values, reverse=True)
    assert result.cost.model_rows == 150 and result.cost.model_calls == 3  # 64 + 64 + 22 rows


@pytest.mark.parametrize(
    ("outputs", "classes"), [(2, ["good", "bad"]), (3, ["a", "b", "c"]), (1, None)]
)
def test_the_agreement_with_global_shap_is_scipys_spearman(outputs, classes) -> None:
    """Binary, three classes and regression: the attention does not depend on the output head,
    and the agreement is measured against whatever output global SHAP explains."""
    data = _data(model=torch_model(ToyTransformer(outputs=outputs), classes))
    x = data.evaluation
    if classes is None:
        target = x[:, 0] + x[:, 1]
    else:
        target = np.digitize(x[:, 0], [0.0, 1.0][: outputs - 1])
    data = replace(data, positive_index=1 if outputs == 2 else None, target=target)
    result = run_attention(data)
    _, flow = _by_hand(data.evaluation)
    by_feature = {item.feature: item.value for item in result.ranking}
    assert [by_feature[f"x{j}"] for j in range(D)] == pytest.approx(flow[1:], abs=1e-6)
    shap = {item.feature: item.value for item in run_global_shap(data).importances}
    attention = {item.feature: item.value for item in result.ranking}
    names = data.model.feature_names
    expected = spearmanr([attention[f] for f in names], [shap[f] for f in names]).statistic
    assert result.shap_spearman == pytest.approx(expected, abs=1e-12)
    if outputs != 3:  # the direct path (on the explained output): the rankings differ
        assert abs(result.shap_spearman) < 0.9


def test_without_global_shap_the_agreement_is_not_measured() -> None:
    data = _data(methods=("permutation",))
    result = run_attention(data)
    assert result.shap_spearman is None and result.shap_output is None
    assert "global_shap" not in data.__dict__  # no SHAP was computed for it


def test_cutting_the_blocks_into_shards_changes_no_number() -> None:
    data = _data(methods=("permutation",), rows=300)
    one = run_attention(data).model_dump(exclude={"cost"})
    for shards in (2, 5):
        cut = replace(data, runner=InProcess(data.model, shards=shards))
        assert run_attention(cut).model_dump(exclude={"cost"}) == one, shards


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        (
            linear_torch(torch.float32),
            "model 'linear-float32' has no attention: no nn.MultiheadAttention layer, no "
            "attention(x)",
        ),
        (
            FunctionModel(lambda c: c[:, 0], numeric_codec(D)),
            "attention weights are read from a TorchScript model's declared attention(x) method; "
            "model 'fn' is of format function",
        ),
    ],
)
def test_a_model_without_declared_attention_is_skipped_with_the_reason(model, reason) -> None:
    data = _data(model)
    steps, skipped = plan(data.policy, model.name, data)
    assert "attention" not in [kind.name for kind in steps]
    assert [(s.analysis, s.reason) for s in skipped if s.analysis == "attention"] == [
        ("attention", reason)
    ]


class Undeclared(torch.nn.Module):
    """A network that holds an attention layer but declares no attention(x)."""

    def __init__(self) -> None:
        super().__init__()
        self.attend = torch.nn.MultiheadAttention(4, 2, batch_first=True)
        self.linear = torch.nn.Linear(D, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def test_attention_layers_without_a_declared_output_are_named_in_the_reason() -> None:
    data = _data(torch_model(Undeclared(), ["good", "bad"]))
    (skipped,) = [s for s in plan(data.policy, "toy", data)[1] if s.analysis == "attention"]
    assert skipped.reason == (
        "model 'toy' has nn.MultiheadAttention layers but declares no attention output: its "
        "module exports no method attention(x) (policy reference: attention)"
    )


@pytest.mark.parametrize(
    ("net", "words"),
    [
        (ToyTransformer(scores=True), "rows do not sum to 1"),
        (ToyTransformer(extra_token=True), "expected (rows, layers, heads, 7, 7)"),
    ],
)
def test_declared_weights_that_are_not_attention_are_refused(net, words) -> None:
    with pytest.raises(AnalysisError, match=words.replace("(", r"\(").replace(")", r"\)")):
        run_attention(_data(torch_model(net, ["good", "bad"])))
