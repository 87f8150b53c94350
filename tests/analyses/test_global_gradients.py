"""Global gradient attributions against closed forms and the per-row explainers (issue 12)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from reportgen.analyses.context import ModelData
from reportgen.analyses.explain.gradients import explain_gradient_x_input, explain_ig
from reportgen.analyses.global_gradients import run_global_gradients
from reportgen.analyses.work import InProcess
from reportgen.inputs import resolve_inputs
from reportgen.inputs.models import TorchAdapter
from reportgen.policy import load_policy
from reportgen.results.document import GlobalGradientsResult
from tests.analyses.toy_models import WEIGHTS, D, linear_torch, torch_model, trained_mlp
from tests.conftest import ROOT

CREDIT = load_policy(ROOT / "policies" / "credit.yaml").policy


def _policy(steps: int = 16, chunk_rows: int = 8192):
    raw = CREDIT.model_dump(by_alias=True)
    raw["explanations"]["gradients"] = {"steps": steps, "chunk_rows": chunk_rows}
    return type(CREDIT).model_validate(raw)


def _data(model: TorchAdapter, x: np.ndarray, positive: int | None, **settings) -> ModelData:
    reference = np.random.default_rng(9).normal(size=(50, x.shape[1]))
    return ModelData(
        model=model,
        reference=reference,
        evaluation=x,
        target=np.zeros(len(x)),
        ids=np.arange(len(x)).astype(str),
        policy=_policy(**settings),
        positive_index=positive,
    )


def _importance(found: list, names: list[str]) -> np.ndarray:
    by_name = {item.feature: item.value for item in found}
    return np.array([by_name[name] for name in names])


def _both(result: GlobalGradientsResult, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    return (
        _importance(result.gradient_x_input, names),
        _importance(result.integrated_gradients, names),
    )


def test_a_linear_model_gives_mean_weight_times_distance() -> None:
    x = np.random.default_rng(0).normal(size=(300, D)) + 0.5
    data = _data(linear_torch(torch.float64), x, None)
    result = run_global_gradients(data)
    gxi, ig = _both(result, data.model.feature_names)
    np.testing.assert_allclose(gxi, np.abs(WEIGHTS * x).mean(axis=0), rtol=1e-12)
    truth = np.abs(WEIGHTS * (x - data.background.mean(axis=0))).mean(axis=0)
    np.testing.assert_allclose(ig, truth, rtol=1e-12)
    assert result.rows == 300 and result.output == "predicted value"
    assert result.ig_completeness_pass_share == 1.0
    assert result.cost.model_rows == 1 + 300 + 300 + 300 * 16  # f(x0), f(x), gradients, path


def _mlp(classes: int) -> tuple[TorchAdapter, np.ndarray]:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(260, D))
    labels = (x[:, 0] > 0).astype(int) + (classes == 3) * (x[:, 1] > 0.5)
    return trained_mlp(x, labels, [f"c{k}" for k in range(classes)], seed=2), x


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_means_equal_the_row_explainers_averaged_over_the_explained_outputs(kind) -> None:
    if kind == "regression":
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(D, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        model, x, outputs, positive = (
            torch_model(net),
            np.random.default_rng(1).normal(size=(150, D)),
            [0],
            None,
        )
    else:
        model, x = _mlp(2 if kind == "binary" else 3)
        outputs = [1] if kind == "binary" else [0, 1, 2]
        positive = 1 if kind == "binary" else None
    data = _data(model, x, positive)
    gxi, ig = _both(run_global_gradients(data), model.feature_names)
    rows_gxi, rows_ig = np.zeros(D), np.zeros(D)
    for c in outputs:
        target = np.full(len(x), c)
        found = explain_ig(model, x, target=target, background=data.background, steps=(16,))
        rows_ig += np.abs(found.values).mean(axis=0) / len(outputs)
        rows_gxi += np.abs(explain_gradient_x_input(model, x, target=target).values).mean(
            axis=0
        ) / len(outputs)
    np.testing.assert_allclose(gxi, rows_gxi, rtol=1e-12)
    np.testing.assert_allclose(ig, rows_ig, rtol=1e-12)


@pytest.fixture(scope="module")
def credit() -> ModelData:
    inputs = resolve_inputs(load_policy(ROOT / "policies" / "credit.yaml"))
    data = ModelData.build(inputs, inputs.models[0])
    return replace(data, evaluation=data.evaluation[:200], policy=_policy())


def test_one_hot_groups_are_summed_to_raw_features_on_the_credit_model(credit) -> None:
    model = credit.model
    gxi, ig = _both(run_global_gradients(credit), model.feature_names)
    x, target = credit.evaluation, np.full(200, credit.positive_index)
    truth = explain_ig(model, x, target=target, background=credit.background, steps=(16,))
    np.testing.assert_allclose(ig, np.abs(truth.values).mean(axis=0), rtol=1e-12)
    truth = explain_gradient_x_input(model, x, target=target)
    np.testing.assert_allclose(gxi, np.abs(truth.values).mean(axis=0), rtol=1e-12)
    assert len(gxi) == len(model.feature_names) < model.preprocessing.encode(x[:1]).shape[1]


def test_the_result_is_the_same_whatever_the_chunk_size_or_the_shards(credit) -> None:
    one = run_global_gradients(credit)
    for chunk_rows, shards in ((64, 1), (100, 3), (1000, 2)):
        other = replace(
            credit,
            policy=_policy(chunk_rows=chunk_rows),
            runner=InProcess(credit.model, shards=shards),
        )
        found = run_global_gradients(other)
        assert found.gradient_x_input == one.gradient_x_input
        assert found.integrated_gradients == one.integrated_gradients
        assert found.ig_completeness_max_error == one.ig_completeness_max_error
