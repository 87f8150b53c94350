"""A model computes in its own dtype: adapters say which and feed it that (issue #8).

A float64 TorchScript network used to be fed float32 and raised a dtype error; a float32 one is
only as precise as float32, which the completeness check has to know.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import LinearRegression

from reportgen.analyses.explain.gradients import explain_ig
from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.models import SklearnAdapter, TorchAdapter
from reportgen.inputs.preprocessing import Preprocessing
from reportgen.policy.schema import ModelSpec

CODEC = FeatureCodec(tuple(Feature(f"x{j}", "numeric") for j in range(3)))
PRE = Preprocessing(CODEC, centers=(1.0, -2.0, 0.5), scales=(3.0, 0.7, 1.3))
W = np.array([0.3, -1.7, 2.9])
BIAS = 11.25


def linear_torch(dtype: torch.dtype) -> TorchAdapter:
    layer = torch.nn.Linear(3, 1, dtype=dtype)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(W[None], dtype=dtype))
        layer.bias.fill_(BIAS)
    spec = ModelSpec(
        name="lin", format="torchscript", path="-", task="regression", preprocessing="-"
    )
    return TorchAdapter(spec, torch.jit.script(layer.eval()), PRE)


def closed_form(codes: np.ndarray) -> np.ndarray:
    return PRE.encode(codes, dtype=np.float64) @ W + BIAS


@pytest.mark.parametrize(
    "dtype, name, epsilon",
    [(torch.float32, "float32", 2.0**-23), (torch.float64, "float64", 2.0**-52)],
)
def test_torch_adapter_reports_the_dtype_of_its_parameters(dtype, name, epsilon) -> None:
    adapter = linear_torch(dtype)
    assert (adapter.dtype, adapter.epsilon, adapter.torch_dtype) == (name, epsilon, dtype)
    assert adapter.encode(np.zeros((2, 3))).dtype == dtype


def test_sklearn_adapter_computes_in_float64() -> None:
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(20, 3))
    estimator = LinearRegression().fit(CODEC.to_frame(codes), codes @ W)
    spec = ModelSpec(name="sk", format="skops", path="-", task="regression")
    adapter = SklearnAdapter(spec, estimator, CODEC)
    assert (adapter.dtype, adapter.epsilon) == ("float64", 2.0**-52)


def test_a_float64_network_is_fed_float64_and_keeps_float64_precision() -> None:
    codes = np.random.default_rng(1).normal(size=(50, 3)) * np.pi
    truth = closed_form(codes)
    wide = linear_torch(torch.float64).predict_codes(codes)
    np.testing.assert_allclose(wide, truth, rtol=0, atol=1e-13)
    narrow = linear_torch(torch.float32).predict_codes(codes)
    np.testing.assert_allclose(narrow, truth, rtol=0, atol=1e-5)
    assert np.abs(narrow - truth).max() > 1e3 * np.abs(wide - truth).max()  # float32 is coarser


def test_integrated_gradients_and_randomisation_run_a_float64_network() -> None:
    rng = np.random.default_rng(2)
    codes, background = rng.normal(size=(8, 3)), rng.normal(size=(30, 3))
    model = linear_torch(torch.float64)
    ig = explain_ig(model, codes, target=np.zeros(8, dtype=np.int64), background=background)
    encoded = PRE.encode(codes, dtype=np.float64)
    baseline = PRE.encode(background, dtype=np.float64).mean(axis=0)
    # captum holds its quadrature weights in float32, which bounds IG's precision
    np.testing.assert_allclose(ig.values, W * (encoded - baseline), rtol=1e-6)
    assert ig.fit.max() < 1e-6
    shuffled = model.randomised(5)  # C5 redraws the weights in the network's own dtype
    assert shuffled.torch_dtype == torch.float64
    assert not np.allclose(shuffled.predict_codes(codes), model.predict_codes(codes))
    redrawn = explain_ig(shuffled, codes, target=np.zeros(8, dtype=np.int64), background=background)
    assert redrawn.fit.max() < 1e-6
