"""Measure how far exact SHAP misses completeness through rounding alone (C1's precision floor).

Run:  .venv/bin/python bench/completeness_precision.py [--rows N]

SHAP values add up to f(x) - E[f] exactly in exact arithmetic. What is left is rounding: the
model's outputs differ by a few units in the last place between calls that batch the same row
differently, and shap sums its 2^d coalition values in float64. For float32 and float64 torch
models (the two example networks, linear regressors with and without a large offset, MLP
regressors, a multiclass softmax MLP, and exact SHAP forced over 16 features), each at two
batch sizes, this prints the residual |sum(e) - (f(x) - base)| in units of
eps * max(|f(x)|, |base|), eps being the model's machine epsilon. C1's precision floor
(PRECISION_ULPS) must lie above the largest value printed.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from reportgen.analyses.context import ModelData
from reportgen.analyses.explain import explain_shap
from reportgen.analyses.explain.attribution import PRECISION_ULPS
from reportgen.inputs import resolve_inputs
from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.models import ModelAdapter, TorchAdapter
from reportgen.inputs.preprocessing import Preprocessing
from reportgen.policy import load_policy
from reportgen.policy.schema import ModelSpec

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    name: str
    model: ModelAdapter
    rows: np.ndarray
    background: np.ndarray
    estimator: str = "auto"


def _adapter(net: torch.nn.Module, classes: list[str] | None, d: int) -> TorchAdapter:
    codec = FeatureCodec(tuple(Feature(f"x{j}", "numeric") for j in range(d)))
    pre = Preprocessing(codec, centers=(0.0,) * d, scales=(1.0,) * d)
    task = "classification" if classes else "regression"
    spec = ModelSpec(
        name="m", format="torchscript", path="-", task=task, classes=classes, preprocessing="-"
    )
    return TorchAdapter(spec, torch.jit.script(net.eval()), pre)


def _linear(dtype: torch.dtype, weights: np.ndarray, bias: float) -> TorchAdapter:
    layer = torch.nn.Linear(len(weights), 1, dtype=dtype)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weights[None], dtype=dtype))
        layer.bias.fill_(bias)
    return _adapter(layer, None, len(weights))


def _mlp(dtype: torch.dtype, d: int, outputs: int, offset: float, width: int) -> TorchAdapter:
    torch.manual_seed(outputs)
    net = torch.nn.Sequential(
        torch.nn.Linear(d, width),
        torch.nn.Tanh(),
        torch.nn.Linear(width, width),
        torch.nn.Tanh(),
        torch.nn.Linear(width, outputs),
    ).to(dtype)
    with torch.no_grad():
        net[-1].bias.add_(offset)
    return _adapter(net, None if outputs == 1 else [f"c{i}" for i in range(outputs)], d)


def synthetic(rows: int) -> Iterator[Case]:
    rng = np.random.default_rng(0)
    xs, background = rng.normal(size=(rows, 6)), rng.normal(size=(50, 6))
    weights = np.array([3.0, -2.0, 1.5, -1.0, 0.5, 0.25])
    wide = rng.normal(size=16)
    wide_xs, wide_background = rng.normal(size=(max(2, rows // 4), 16)), rng.normal(size=(50, 16))
    for dtype in (torch.float32, torch.float64):
        name = str(dtype).removeprefix("torch.")
        for bias in (0.0, 7.0, 1000.0):
            model = _linear(dtype, weights, bias)
            yield Case(f"linear regression, bias {bias:g}, {name}", model, xs, background)
        for offset in (0.0, 50.0):
            model = _mlp(dtype, 6, 1, offset, 64)
            yield Case(f"MLP regression, offset {offset:g}, {name}", model, xs, background)
        yield Case(
            f"MLP regression, width 256, {name}", _mlp(dtype, 6, 1, 3.0, 256), xs, background
        )
        yield Case(f"softmax MLP, 4 classes, {name}", _mlp(dtype, 6, 4, 0.0, 64), xs, background)
        model = _linear(dtype, wide, 3.0)
        yield Case(f"linear, 16 features, exact, {name}", model, wide_xs, wide_background, "exact")


def examples(rows: int) -> Iterator[Case]:
    for name in ("credit", "medical"):
        inputs = resolve_inputs(load_policy(ROOT / "policies" / f"{name}.yaml"))
        data = ModelData.build(inputs, inputs.models[0])
        yield Case(f"{name} example MLP", data.model, data.evaluation[:rows], data.background)


def residual_ulps(case: Case) -> np.ndarray:
    """|sum(e) - (f(x) - base)| / (eps * max(|f(x)|, |base|)) for every row and output."""
    values = explain_shap(
        case.model,
        case.rows,
        background=case.background,
        seeds=np.arange(len(case.rows)) + 0,
        estimator=case.estimator,
    )
    gap = values.output - values.base
    residual = np.abs(values.values.sum(axis=1) - gap)
    scale = np.maximum(np.abs(values.output), np.abs(values.base))
    return (residual / (case.model.epsilon * scale)).ravel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=40, help="explained rows per model")
    args = parser.parse_args()
    print(f"{'model':<44} {'batch':>6} {'eps':>9} {'median':>8} {'p99':>8} {'max':>8}  (ulps)")
    worst: dict[str, float] = {}
    for case in [*synthetic(args.rows), *examples(args.rows)]:
        for batch in (8192, 97):
            case.model.batch_size = batch
            ulps = residual_ulps(case)
            dtype = case.model.dtype
            worst[dtype] = max(worst.get(dtype, 0.0), float(ulps.max()))
            q50, q99 = np.percentile(ulps, [50, 99])
            print(
                f"{case.name:<44} {batch:>6} {case.model.epsilon:9.2e} {q50:8.2f} {q99:8.2f} "
                f"{ulps.max():8.2f}"
            )
    for dtype, value in sorted(worst.items()):
        print(f"largest residual, {dtype} models: {value:.2f} ulps")
    print(f"C1's precision floor: {PRECISION_ULPS:g} ulps")


if __name__ == "__main__":
    main()
