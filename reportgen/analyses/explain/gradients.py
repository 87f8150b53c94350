"""Gradient attributions of torch models in plain torch: integrated gradients and gradient x
input, reported on raw features.

Both read the gradient of the explained output in the network's encoded space, computed in
float64 on the path and cast to the network's own dtype on the way in (as captum does when its
forward casts). IG integrates that gradient along the straight path from a baseline (the
encoded background mean) to the input with captum's default Gauss-Legendre rule
(:mod:`reportgen.analyses.explain.paths`); gradient x input multiplies the gradient at the input
by the input (captum's ``InputXGradient``). Attributions of an encoded group (one-hot levels) are
summed back to their raw feature, which keeps IG's completeness: they add up to
f(x) - f(baseline).

The path points of many rows go through the network together, ``batch_size`` at a time, each
pass padded to a multiple of ROW_BLOCK rows as every model call is (ModelAdapter._call), so a
row's attributions do not depend on the rows explained with it. Every pass is metered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from reportgen._lazy import require
from reportgen.analyses.explain.attribution import Attribution, completeness_error
from reportgen.analyses.explain.paths import integrated_gradients
from reportgen.errors import AnalysisError
from reportgen.inputs.models import ROW_BLOCK, ModelAdapter, TorchAdapter
from reportgen.inputs.preprocessing import sum_groups

if TYPE_CHECKING:
    from torch import Tensor

PATH_BATCH = 64 * ROW_BLOCK
"""Path points (or rows) per forward and backward pass: a multiple of ROW_BLOCK."""


def torch_model(model: ModelAdapter, method: str) -> TorchAdapter:
    """``model`` as a TorchAdapter; AnalysisError if it is not a torch model."""
    if not isinstance(model, TorchAdapter):
        raise AnalysisError(f"model '{model.name}': {method} need a torch model")
    return model


def explain_ig(
    model: ModelAdapter,
    codes: np.ndarray,
    *,
    target: np.ndarray,
    background: np.ndarray,
    steps: tuple[int, ...] = (64, 256),
    tolerance: float = 0.05,
    batch_size: int = PATH_BATCH,
) -> Attribution:
    """Integrated gradients of output ``target[i]`` for each coded row.

    Args:
        background: (b, d) coded rows; their encoded mean is the baseline.
        steps: integration steps tried in turn; rows whose relative completeness error exceeds
            ``tolerance`` are recomputed with the next number of steps.
        batch_size: path points per pass (a multiple of ROW_BLOCK).

    Returns:
        An Attribution whose ``fit`` is each row's relative completeness error
        |sum(attributions) - (f(x) - f(baseline))| / |f(x) - f(baseline)|, the gap floored at
        the model's rounding (:func:`completeness_error`).
    """
    net = torch_model(model, "integrated gradients")
    if not steps:
        raise AnalysisError("integrated gradients need at least one number of steps")
    torch = require("torch")
    inputs = encoded(net, codes)
    baseline = encoded(net, background).mean(dim=0, keepdim=True)
    labels = torch.from_numpy(np.asarray(target, dtype=np.int64))
    f_x = outputs(net, inputs).gather(1, labels.view(-1, 1)).view(-1).numpy()
    f_0 = outputs(net, baseline)[0, labels].numpy()
    values = np.zeros((len(codes), len(net.preprocessing.groups)))
    error = np.full(len(codes), np.inf)
    todo = np.arange(len(codes))
    for n_steps in steps:
        rows = torch.from_numpy(todo)
        found = integrated_gradients(
            gradient_of(net),
            inputs[rows],
            baseline,
            labels[rows],
            steps=n_steps,
            batch_size=batch_size,
        )
        values[todo] = sum_groups(found.numpy(), net.preprocessing.groups)
        error = completeness_error(values, f_0, f_x, tolerance=tolerance, epsilon=net.epsilon)
        todo = np.flatnonzero(error > tolerance)
        if len(todo) == 0:
            break
    return Attribution(
        values=values,
        base=f_0,
        output=f_x,
        method="ig",
        fit=error,
        details={"baseline": "encoded background mean", "steps": list(steps)},
    )


def explain_gradient_x_input(
    model: ModelAdapter, codes: np.ndarray, *, target: np.ndarray, batch_size: int = PATH_BATCH
) -> Attribution:
    """Gradient x input of output ``target[i]`` for each coded row, summed to raw features.

    Returns:
        An Attribution whose ``base`` is what the attributions leave of f(x)
        (``f(x) - sum(values)``: gradient x input promises no completeness) and whose ``fit``
        is NaN (not measured).
    """
    net = torch_model(model, "gradient x input")
    torch = require("torch")
    inputs = encoded(net, codes)
    labels = torch.from_numpy(np.asarray(target, dtype=np.int64))
    found = inputs * input_gradients(net, inputs, labels, batch_size=batch_size)
    values = sum_groups(found.numpy(), net.preprocessing.groups)
    f_x = outputs(net, inputs).gather(1, labels.view(-1, 1)).view(-1).numpy()
    return Attribution(
        values=values,
        base=f_x - values.sum(axis=1),
        output=f_x,
        method="gradient_x_input",
        fit=np.full(len(codes), np.nan),
        details={"gradient": "at the input, encoded space"},
    )


def encoded(model: TorchAdapter, codes: np.ndarray) -> Tensor:
    """Coded rows -> the network's encoded space in float64 (the dtype gradients are taken in)."""
    torch = require("torch")
    return torch.from_numpy(model.preprocessing.encode(codes, dtype=np.float64))


def input_gradients(
    model: TorchAdapter, inputs: Tensor, labels: Tensor, *, batch_size: int = PATH_BATCH
) -> Tensor:
    """d f_label(x) / dx for each encoded row, ``batch_size`` rows per pass."""
    torch = require("torch")
    gradient = gradient_of(model)
    parts = [
        gradient(inputs[i : i + batch_size], labels[i : i + batch_size])
        for i in range(0, len(inputs), batch_size)
    ]
    return torch.cat(parts) if parts else torch.zeros_like(inputs)


def gradient_of(model: TorchAdapter) -> Any:
    """The :data:`~reportgen.analyses.explain.paths.Gradient` of the model's explained output:
    float64 points in, float64 gradients out, each pass padded and metered."""
    torch = require("torch")

    def gradient(points: Tensor, labels: Tensor) -> Tensor:
        n = len(points)
        with model.meter.counting(n), torch.enable_grad():
            x = _pad(points).detach().requires_grad_(True)
            out = _two_d(model.outputs(x.to(model.torch_dtype)).to(torch.float64))
            chosen = out[:n].gather(1, labels.view(-1, 1)).sum()
            (grads,) = torch.autograd.grad(chosen, x)
        return grads[:n]

    return gradient


def outputs(model: TorchAdapter, inputs: Tensor) -> Tensor:
    """The network's outputs (n, k) in float64 on encoded float64 rows, under inference mode,
    ``PATH_BATCH`` rows per pass, padded and metered."""
    torch = require("torch")
    parts = []
    with torch.inference_mode():
        for i in range(0, len(inputs), PATH_BATCH):
            chunk = inputs[i : i + PATH_BATCH]
            with model.meter.counting(len(chunk)):
                out = model.outputs(_pad(chunk).to(model.torch_dtype)).to(torch.float64)
            parts.append(_two_d(out)[: len(chunk)])
    return torch.cat(parts) if parts else torch.zeros((0, model.n_outputs), dtype=torch.float64)


def _pad(rows: Tensor) -> Tensor:
    """``rows`` padded with copies of the last to a multiple of ROW_BLOCK (ModelAdapter._call)."""
    torch = require("torch")
    pad = -len(rows) % ROW_BLOCK
    return torch.cat([rows, rows[-1:].expand(pad, *rows.shape[1:])]) if pad else rows


def _two_d(out: Tensor) -> Tensor:
    return out if out.ndim == 2 else out.reshape(-1, 1)
