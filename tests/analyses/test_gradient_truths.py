"""Integrated gradients and gradient x input against captum and closed forms (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import InputXGradient, IntegratedGradients

from reportgen.analyses.context import ModelData
from reportgen.analyses.explain.gradients import (
    encoded,
    explain_gradient_x_input,
    explain_ig,
)
from reportgen.errors import AnalysisError
from reportgen.inputs import resolve_inputs
from reportgen.inputs.models import TorchAdapter
from reportgen.inputs.preprocessing import sum_groups
from reportgen.policy import load_policy
from tests.analyses.toy_models import (
    OFFSET,
    WEIGHTS,
    D,
    FunctionModel,
    linear_torch,
    numeric_codec,
    torch_model,
    trained_mlp,
)
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def credit() -> ModelData:
    inputs = resolve_inputs(load_policy(ROOT / "policies" / "credit.yaml"))
    return ModelData.build(inputs, inputs.models[0])


def _toy(kind: str) -> tuple[TorchAdapter, np.ndarray, np.ndarray, np.ndarray]:
    """A toy model, 5 rows to explain, a background of 30 and each row's explained output."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, D))
    if kind == "regression":
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(D, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        model = torch_model(net)
        target = np.zeros(5, dtype=np.int64)
    else:
        classes = ["a", "b"] if kind == "binary" else ["a", "b", "c"]
        labels = (x[:, 0] > 0).astype(int) + (kind == "multiclass") * (x[:, 1] > 0.5)
        model = trained_mlp(x, labels, classes, seed=1)
        target = np.arange(5) % len(classes)
    return model, x[:5], x[100:130], target


def _forward(model: TorchAdapter):
    def forward(inputs: torch.Tensor) -> torch.Tensor:
        out = model.outputs(inputs.to(model.torch_dtype)).to(torch.float64)
        return out if out.ndim == 2 else out.reshape(-1, 1)

    return forward


def _captum_ig(model: TorchAdapter, codes, background, target, steps: int) -> np.ndarray:
    inputs, baseline = encoded(model, codes), encoded(model, background).mean(0, keepdim=True)
    found = IntegratedGradients(_forward(model)).attribute(
        inputs, baselines=baseline, target=torch.from_numpy(target), n_steps=steps
    )
    return sum_groups(found.detach().numpy(), model.preprocessing.groups)


def _captum_gxi(model: TorchAdapter, codes, target) -> np.ndarray:
    inputs = encoded(model, codes).requires_grad_(True)
    found = InputXGradient(_forward(model)).attribute(inputs, target=torch.from_numpy(target))
    return sum_groups(found.detach().numpy(), model.preprocessing.groups)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_ig_and_gradient_x_input_equal_captum_on_toy_models(kind: str) -> None:
    model, codes, background, target = _toy(kind)
    ours = explain_ig(model, codes, target=target, background=background, steps=(16,))
    np.testing.assert_allclose(
        ours.values, _captum_ig(model, codes, background, target, 16), rtol=0, atol=1e-6
    )
    gxi = explain_gradient_x_input(model, codes, target=target)
    np.testing.assert_allclose(gxi.values, _captum_gxi(model, codes, target), rtol=0, atol=1e-6)
    np.testing.assert_allclose(gxi.base + gxi.values.sum(axis=1), gxi.output, atol=1e-12)


def test_ig_equals_captum_on_the_credit_model_with_one_hot_groups(credit: ModelData) -> None:
    model = credit.model
    assert isinstance(model, TorchAdapter)
    rows = credit.check_rows[:8]
    codes, target = credit.evaluation[rows], credit.targets(rows)
    ours = explain_ig(model, codes, target=target, background=credit.background, steps=(64,))
    truth = _captum_ig(model, codes, credit.background, target, 64)
    np.testing.assert_allclose(ours.values, truth, rtol=0, atol=1e-6)
    assert ours.values.shape == (8, len(model.feature_names))  # groups summed to raw features
    assert (ours.fit <= 0.05).all()  # completeness
    gxi = explain_gradient_x_input(model, codes, target=target)
    np.testing.assert_allclose(gxi.values, _captum_gxi(model, codes, target), rtol=0, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ig_on_a_linear_model_is_weight_times_distance_to_the_baseline(dtype) -> None:
    model = linear_torch(dtype)
    rng = np.random.default_rng(0)
    codes, background = rng.normal(size=(7, D)), rng.normal(size=(40, D))
    found = explain_ig(model, codes, target=np.zeros(7, dtype=np.int64), background=background)
    truth = WEIGHTS * (codes - background.mean(axis=0))
    np.testing.assert_allclose(found.values, truth, rtol=0, atol=1e-5)
    np.testing.assert_allclose(found.output, codes @ WEIGHTS + OFFSET, rtol=1e-6)
    assert (found.fit <= 0.05).all()
    gxi = explain_gradient_x_input(model, codes, target=np.zeros(7, dtype=np.int64))
    np.testing.assert_allclose(gxi.values, WEIGHTS * codes, rtol=0, atol=1e-5)


def test_rows_that_miss_the_tolerance_are_redone_with_more_steps() -> None:
    model, codes, background, target = _toy("binary")
    coarse = explain_ig(
        model, codes, target=target, background=background, steps=(2,), tolerance=1e-4
    )
    assert (coarse.fit > 1e-4).any()  # two nodes do not integrate the MLP to 1e-4
    redone = explain_ig(
        model, codes, target=target, background=background, steps=(2, 32), tolerance=1e-4
    )
    missed = coarse.fit > 1e-4
    fine = explain_ig(
        model, codes, target=target, background=background, steps=(32,), tolerance=1e-4
    )
    assert np.array_equal(redone.values[missed], fine.values[missed])
    assert np.array_equal(redone.values[~missed], coarse.values[~missed])
    np.testing.assert_array_equal(redone.fit, np.where(missed, fine.fit, coarse.fit))
    assert (redone.fit[missed] < coarse.fit[missed]).all()


def test_ig_is_counted_by_the_meter() -> None:
    model, codes, background, target = _toy("binary")
    before = model.meter.snapshot()
    explain_ig(model, codes, target=target, background=background, steps=(16,))
    used = model.meter.since(before)
    assert used.rows == 5 + 1 + 5 * 16  # f(x), f(baseline), the path points
    assert used.calls == 3


def test_gradient_methods_refuse_a_model_that_is_not_torch() -> None:
    model = FunctionModel(lambda x: x.sum(axis=1), numeric_codec(2))
    with pytest.raises(AnalysisError, match="integrated gradients need a torch model"):
        explain_ig(model, np.zeros((1, 2)), target=np.zeros(1, int), background=np.zeros((1, 2)))
    with pytest.raises(AnalysisError, match="gradient x input need a torch model"):
        explain_gradient_x_input(model, np.zeros((1, 2)), target=np.zeros(1, int))
