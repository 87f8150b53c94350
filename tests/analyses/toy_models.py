"""Small models with known answers for testing explainers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.models import ModelAdapter, TorchAdapter
from reportgen.inputs.preprocessing import Preprocessing
from reportgen.policy.schema import ModelSpec


class FunctionModel(ModelAdapter):
    """A model given as a Python function of the coded matrix."""

    format = "function"

    def __init__(
        self,
        fn: Callable[[np.ndarray], np.ndarray],
        codec: FeatureCodec,
        classes: list[str] | None = None,
    ) -> None:
        task = "classification" if classes else "regression"
        spec = ModelSpec(name="fn", format="skops", path="-", task=task, classes=classes)
        super().__init__(spec, codec, classes)
        self._fn = fn

    def _predict_batch(self, codes: np.ndarray) -> np.ndarray:
        return np.asarray(self._fn(codes), dtype=np.float64)


def numeric_codec(d: int) -> FeatureCodec:
    return FeatureCodec(tuple(Feature(f"x{j}", "numeric") for j in range(d)))


# -- small torch and scikit-learn models whose explanations are known -------------------------

D = 6
WEIGHTS = np.array([3.0, -2.0, 1.5, -1.0, 0.5, 0.25])  # x0 dominates
OFFSET = -40.0  # a regression output far below zero


def numeric_preprocessing(d: int = D) -> Preprocessing:
    return Preprocessing(numeric_codec(d), centers=(0.0,) * d, scales=(1.0,) * d)


def torch_model(
    net: torch.nn.Module, classes: list[str] | None = None, name: str = "toy"
) -> TorchAdapter:
    """A TorchAdapter around ``net`` (TorchScript-compiled) on D standardised numeric features."""
    task = "classification" if classes else "regression"
    spec = ModelSpec(
        name=name, format="torchscript", path="-", task=task, classes=classes, preprocessing="-"
    )
    return TorchAdapter(spec, torch.jit.script(net.eval()), numeric_preprocessing())


def linear_torch(
    dtype: torch.dtype, weights: np.ndarray = WEIGHTS, bias: float = OFFSET
) -> TorchAdapter:
    """f(x) = weights . x + bias, computed in ``dtype``: exact SHAP is w_j (x_j - mean_j)."""
    layer = torch.nn.Linear(len(weights), 1, dtype=dtype)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weights[None], dtype=dtype))
        layer.bias.fill_(bias)
    return torch_model(layer, name=f"linear-{str(dtype).removeprefix('torch.')}")


def trained_mlp(x: np.ndarray, labels: np.ndarray, classes: list[str], seed: int) -> TorchAdapter:
    """A small tanh MLP classifier fitted to (x, labels) by full-batch Adam (under a second)."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(x.shape[1], 16), torch.nn.Tanh(), torch.nn.Linear(16, len(classes))
    )
    optimiser = torch.optim.Adam(net.parameters(), lr=0.05)
    inputs, targets = torch.tensor(x, dtype=torch.float32), torch.tensor(labels)
    for _ in range(150):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(net(inputs), targets).backward()
        optimiser.step()
    return torch_model(net, classes, name="mlp")
