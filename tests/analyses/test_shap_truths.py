"""SHAP against known truths: closed form for linear models, brute-force Shapley values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from reportgen.analyses.explain import explain_shap
from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.models import TorchAdapter
from reportgen.inputs.preprocessing import Preprocessing, sum_groups
from reportgen.policy.schema import ModelSpec
from tests.analyses.toy_models import FunctionModel, numeric_codec


def brute_force_shapley(fn, x: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Interventional Shapley values by enumerating every coalition."""
    d = len(x)

    def value(coalition: tuple[int, ...]) -> float:
        rows = background.copy()
        rows[:, list(coalition)] = x[list(coalition)]
        return float(np.mean(fn(rows)))

    phi = np.zeros(d)
    for i in range(d):
        others = [j for j in range(d) if j != i]
        for size in range(d):
            weight = math.factorial(size) * math.factorial(d - size - 1) / math.factorial(d)
            for coalition in itertools.combinations(others, size):
                phi[i] += weight * (value((*coalition, i)) - value(coalition))
    return phi


def interacting(codes: np.ndarray) -> np.ndarray:
    x = codes
    return x[:, 0] * x[:, 1] + np.sin(x[:, 2]) + x[:, 3] ** 2 * x[:, 0] - 0.5 * x[:, 1] * x[:, 3]


@pytest.mark.parametrize("estimator", ["exact", "permutation"])
def test_shap_matches_brute_force_shapley_on_an_interacting_model(rng, estimator):
    model = FunctionModel(interacting, numeric_codec(4))
    background = rng.normal(size=(6, 4))
    rows = rng.normal(size=(3, 4))
    values = explain_shap(
        model,
        rows,
        background=background,
        seeds=np.arange(len(rows)) + 1,
        estimator=estimator,
        permutations=60,
    )
    truth = np.stack([brute_force_shapley(interacting, x, background) for x in rows])
    if estimator == "exact":
        np.testing.assert_allclose(values.values[:, :, 0], truth, atol=1e-10)
        assert np.all(values.standard_error == 0)
    else:
        error = np.abs(values.values[:, :, 0] - truth)
        assert error.max() < 0.05 * np.abs(truth).max()
        # The stated sampling error is honest: the true error stays within 5 standard errors.
        assert np.all(error <= 5 * values.standard_error[:, :, 0] + 1e-9)


@pytest.mark.parametrize("estimator", ["exact", "permutation"])
def test_shap_values_add_up_to_prediction_minus_expectation(rng, estimator):
    model = FunctionModel(interacting, numeric_codec(4))
    background = rng.normal(size=(20, 4))
    rows = rng.normal(size=(10, 4))
    values = explain_shap(
        model,
        rows,
        background=background,
        seeds=np.arange(len(rows)) + 3,
        estimator=estimator,
        permutations=3,
    )
    expected = interacting(background).mean()
    np.testing.assert_allclose(values.base, [expected], atol=1e-12)
    np.testing.assert_allclose(
        values.values.sum(axis=1)[:, 0] + expected, interacting(rows), atol=1e-9
    )
    assert values.additivity_error.max() < 1e-9


def _linear_torch_model(
    preprocessing: Preprocessing, weights: np.ndarray, bias: float
) -> TorchAdapter:
    layer = torch.nn.Linear(len(weights), 1, dtype=torch.float32)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weights[None, :], dtype=torch.float32))
        layer.bias.fill_(bias)
    spec = ModelSpec(
        name="linear", format="torchscript", path="-", task="regression", preprocessing="-"
    )
    return TorchAdapter(spec, torch.jit.script(layer.eval()), preprocessing)


@pytest.mark.parametrize("estimator", ["exact", "permutation"])
def test_linear_model_shap_is_closed_form_and_groups_sum_their_encoded_columns(rng, estimator):
    codec = FeatureCodec(
        (
            Feature("income", "numeric"),
            Feature("purpose", "categorical", ("car", "education", "house")),
            Feature("age", "numeric"),
            Feature("housing", "categorical", ("own", "rent")),
        )
    )
    pre = Preprocessing(codec, centers=(50.0, 0.0, 40.0, 0.0), scales=(10.0, 1.0, 12.0, 1.0))
    weights = rng.normal(size=pre.encoded_width)
    model = _linear_torch_model(pre, weights, bias=0.3)

    def draw(n: int) -> np.ndarray:
        return np.column_stack(
            [
                rng.normal(50, 10, n),
                rng.integers(0, 3, n),
                rng.normal(40, 12, n),
                rng.integers(0, 2, n),
            ]
        ).astype(np.float64)

    background, rows = draw(40), draw(8)
    values = explain_shap(
        model,
        rows,
        background=background,
        seeds=np.arange(len(rows)) + 0,
        estimator=estimator,
        permutations=2,
    )
    encoded_rows = pre.encode(rows).astype(np.float64)
    encoded_mean = pre.encode(background).astype(np.float64).mean(axis=0)
    per_column = weights * (encoded_rows - encoded_mean)  # closed form, encoded columns
    # float32 network arithmetic bounds the agreement
    np.testing.assert_allclose(
        values.values[:, :, 0], sum_groups(per_column, pre.groups), atol=2e-5
    )


def test_sum_groups_adds_exactly_the_columns_of_each_feature():
    codec = FeatureCodec((Feature("a", "numeric"), Feature("b", "categorical", ("x", "y", "z"))))
    pre = Preprocessing(codec, centers=(0.0, 0.0), scales=(1.0, 1.0))
    encoded = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, -1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(sum_groups(encoded, pre.groups), [[1.0, 9.0], [0.5, 0.0]])


def test_permutation_shap_is_reproducible_with_its_seed(rng):
    model = FunctionModel(interacting, numeric_codec(4))
    background, rows = rng.normal(size=(10, 4)), rng.normal(size=(3, 4))
    first = explain_shap(
        model,
        rows,
        background=background,
        seeds=np.arange(len(rows)) + 11,
        estimator="permutation",
        permutations=2,
    )
    again = explain_shap(
        model,
        rows,
        background=background,
        seeds=np.arange(len(rows)) + 11,
        estimator="permutation",
        permutations=2,
    )
    other = explain_shap(
        model,
        rows,
        background=background,
        seeds=np.arange(len(rows)) + 12,
        estimator="permutation",
        permutations=2,
    )
    np.testing.assert_array_equal(first.values, again.values)
    assert not np.array_equal(first.values, other.values)


def test_multiclass_values_are_additive_for_every_class(rng):
    def softmax_model(codes: np.ndarray) -> np.ndarray:
        logits = np.column_stack(
            [codes[:, 0] * codes[:, 1], np.tanh(codes[:, 2]), codes[:, 3] ** 2]
        )
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    model = FunctionModel(softmax_model, numeric_codec(4), classes=["a", "b", "c"])
    background, rows = rng.normal(size=(15, 4)), rng.normal(size=(5, 4))
    values = explain_shap(
        model, rows, background=background, seeds=np.arange(len(rows)) + 0, estimator="exact"
    )
    assert values.values.shape == (5, 4, 3)
    assert values.additivity_error.max() < 1e-12
    picked = values.select(np.array([0, 1, 2, 1, 0]))
    np.testing.assert_allclose(picked.values.sum(axis=1) + picked.base, picked.output, atol=1e-12)
