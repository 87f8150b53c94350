"""Edits of a torch model (issue 13): pruning and int8 weights against torch's own tools, and
the drift metrics against hand computations and scipy."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from reportgen.analyses.context import ModelData
from reportgen.analyses.edits import case_drift, run_edits
from reportgen.conditions_edits import judge_edits
from reportgen.inputs.model_edits import int8_scale, pruned, quantized, weight_tensors
from reportgen.inputs.models import TorchAdapter
from reportgen.policy import load_policy
from reportgen.results.internals import EditsResult
from tests.analyses.toy_models import D, torch_model, trained_mlp
from tests.conftest import ROOT

CREDIT = load_policy(ROOT / "policies" / "credit.yaml").policy
K = 3


def _net(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(D, 24), torch.nn.Tanh(), torch.nn.Linear(24, 8), torch.nn.Linear(8, 2)
    )


def _fitted() -> tuple[TorchAdapter, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(160, D))
    labels = (x[:, 0] - x[:, 1] + 0.5 * rng.normal(size=160) > 0).astype(np.int64)
    return trained_mlp(x, labels, ["good", "bad"], seed=1), x, labels


def _data(model: TorchAdapter, x: np.ndarray, labels: np.ndarray, edits: list, **limits):
    raw = CREDIT.model_dump(by_alias=True)
    raw["explanations"]["shap"].update(background_size=20, global_rows=40, permutations=2)
    raw["explanations"]["local"]["sample_size"] = 8
    raw["checks"]["top_k"] = K
    raw["edits"] = {"assess": edits, "global_rows": 30, **limits}
    policy = type(CREDIT).model_validate(raw)
    return ModelData(
        model=model,
        reference=np.random.default_rng(9).normal(size=(60, D)),
        evaluation=x,
        target=labels,
        ids=np.arange(len(x)).astype(str),
        policy=policy,
        positive_index=1,
    )


def _save(model: TorchAdapter, folder: Path) -> str:
    torch.jit.save(model.network, str(folder / "same.pt"))
    return "same.pt"


def test_an_identity_edit_shows_no_drift_and_no_flip(tmp_path) -> None:
    model, x, labels = _fitted()
    same = _save(model, tmp_path)
    edits = [{"kind": "prune", "sparsity": 0.0}, {"kind": "candidate", "path": same}]
    data = replace(_data(model, x, labels, edits), policy_dir=tmp_path)
    result = run_edits(data)
    for drift in result.edits:
        assert (drift.flipped, drift.first_reason_changed) == (0, 0)
        assert drift.spearman == drift.top_k_overlap_mean == drift.top_k_overlap_min == 1.0
        assert all(m.released == m.edited for m in drift.metrics)
        assert drift.importances == result.released
    assert result.edits[0].weights_changed == 0 and result.edits[1].weights is None
    assert [g.status for g in judge_edits(result, CREDIT.checks)] == ["pass", "pass"]


def _by_hand(result: EditsResult, data: ModelData, edited: TorchAdapter) -> None:
    """Every drift figure of ``result``'s one edit, recomputed from first principles."""
    (drift,) = result.edits
    released = {i.feature: i.value for i in result.released}
    after = {i.feature: i.value for i in drift.importances}
    names = list(released)
    rho = spearmanr([released[n] for n in names], [after[n] for n in names]).statistic
    assert drift.spearman == pytest.approx(rho, abs=1e-12)
    old, new = data.predictions[:, 1] >= 0.5, edited.predict_codes(data.evaluation)[:, 1] >= 0.5
    assert drift.flipped == int((old != new).sum())
    auc = {m.name: m for m in drift.metrics}["roc_auc"]
    assert auc.edited == pytest.approx(
        roc_auc_score(data.target, edited.predict_codes(data.evaluation)[:, 1])
    )
    # the audit cases' top-k sets, by hand, from SHAP values of the edited model on its own
    cases = data.display_rows
    targets = data.targets(cases)
    before = data.shap_of(cases).values[np.arange(len(cases)), :, targets]
    other = replace(data, model=edited, _attributions={}, _row_shap={})
    later = other.shap_of(cases).values[np.arange(len(cases)), :, targets]
    overlaps, changed = [], 0
    for a, b in zip(before, later, strict=True):
        top_a = set(np.argsort(-np.abs(a), kind="stable")[:K])
        top_b = set(np.argsort(-np.abs(b), kind="stable")[:K])
        overlaps.append(len(top_a & top_b) / K)
        changed += int(np.argmax(np.abs(a)) != np.argmax(np.abs(b)))
    assert drift.top_k_overlap_mean == pytest.approx(np.mean(overlaps), abs=1e-12)
    assert drift.top_k_overlap_min == min(overlaps)
    assert drift.first_reason_changed == changed
    assert result.cases == len(cases) and result.global_rows == 30


def test_drift_metrics_equal_hand_computations_on_a_pruned_toy() -> None:
    model, x, labels = _fitted()
    result = run_edits(_data(model, x, labels, [{"kind": "prune", "sparsity": 0.7}]))
    assert result.edits[0].spearman < 1.0  # the edit changes something to measure
    _by_hand(result, _data(model, x, labels, [{"kind": "quantize_int8"}]), pruned(model, 0.7))


def test_case_drift_counts_shared_top_features_and_leading_changes() -> None:
    released = np.array([[5.0, -4.0, 3.0, 0.1], [1.0, 2.0, 3.0, 4.0]])
    edited = np.array([[-4.5, 5.0, 0.2, 3.0], [0.0, 2.0, 3.0, 4.0]])
    overlap, first = case_drift(released, edited, 2)
    assert overlap.tolist() == [1.0, 1.0]  # {0, 1} both times; {3, 2} both times
    assert first.tolist() == [True, False]
    overlap, _ = case_drift(released, edited, 3)
    assert overlap.tolist() == [2 / 3, 1.0]


@pytest.mark.parametrize("sparsity", [0.0, 0.25, 0.5, 0.8, 0.95])
def test_pruning_zeroes_exactly_the_smallest_share_of_the_weights(sparsity: float) -> None:
    model = torch_model(_net(2), ["good", "bad"])
    before = torch.cat([w.detach().flatten() for w in weight_tensors(model.network)])
    edited = pruned(model, sparsity)
    after = torch.cat([w.detach().flatten() for w in weight_tensors(edited.network)])
    assert int((before == 0).sum()) == 0
    zeroed = after == 0
    assert int(zeroed.sum()) == round(sparsity * len(before))
    if sparsity > 0:
        assert before[zeroed].abs().max() <= before[~zeroed].abs().min()
    assert torch.equal(after[~zeroed], before[~zeroed])
    biases = [p for n, p in model.network.named_parameters() if n.endswith("bias")]
    kept = [p for n, p in edited.network.named_parameters() if n.endswith("bias")]
    assert all(torch.equal(a, b) for a, b in zip(biases, kept, strict=True))


def test_int8_weights_are_within_half_a_step_and_equal_torchs_dynamic_quantisation() -> None:
    net = _net(5)
    model = torch_model(net, ["good", "bad"])
    edited = quantized(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated: here, the oracle
        oracle = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)
        packed = [oracle[0].weight(), oracle[2].weight(), oracle[3].weight()]
    pairs = zip(weight_tensors(model.network), weight_tensors(edited.network), packed, strict=True)
    for before, after, stored in ((a.detach(), b.detach(), c) for a, b, c in pairs):
        scale = int8_scale(before)
        assert scale == pytest.approx(stored.q_scale(), rel=1e-7)
        assert float((after - before).abs().max()) <= scale / 2 * (1 + 1e-6)
        assert torch.equal(after, stored.dequantize())
        assert len(torch.unique(after)) <= 256
