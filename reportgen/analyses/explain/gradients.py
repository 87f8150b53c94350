"""Integrated gradients (captum) for torch models, reported on raw features.

IG integrates the gradient of the explained probability along the straight path from a
baseline to the input in the network's encoded space; the baseline is the encoded background
mean. Attributions of an encoded group (one-hot levels) are summed back to their raw feature,
which keeps completeness: they add up to f(x) - f(baseline).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from reportgen._lazy import require
from reportgen.analyses.explain.attribution import Attribution, completeness_error
from reportgen.errors import AnalysisError
from reportgen.inputs.models import ROW_BLOCK, ModelAdapter, TorchAdapter
from reportgen.inputs.preprocessing import sum_groups


def explain_ig(
    model: ModelAdapter,
    codes: np.ndarray,
    *,
    target: np.ndarray,
    background: np.ndarray,
    steps: tuple[int, ...] = (64, 256),
    tolerance: float = 0.05,
) -> Attribution:
    """Integrated gradients of output ``target[i]`` for each coded row.

    Args:
        background: (b, d) coded rows; their encoded mean is the baseline.
        steps: integration steps tried in turn; rows whose relative completeness error exceeds
            ``tolerance`` are recomputed with the next number of steps.

    Returns:
        An Attribution whose ``fit`` is each row's relative completeness error
        |sum(attributions) - (f(x) - f(baseline))| / |f(x) - f(baseline)|, the gap floored at
        the model's rounding (:func:`completeness_error`).
    """
    if not isinstance(model, TorchAdapter):
        raise AnalysisError(f"model '{model.name}': integrated gradients need a torch model")
    torch = require("torch")
    attr_module = require("captum.attr")
    pre = model.preprocessing
    inputs = model.encode(codes).to(torch.float64)
    baseline = model.encode(background).to(torch.float64).mean(dim=0, keepdim=True)
    labels = torch.from_numpy(np.asarray(target, dtype=np.int64))

    def forward(encoded: Any) -> Any:
        """The explained outputs (the network fed its own dtype), metered like every model call."""
        started = time.perf_counter()
        out = model.outputs(encoded.to(model.torch_dtype)).to(torch.float64)
        model.meter.rows += int(encoded.shape[0])
        model.meter.calls += 1
        model.meter.seconds += time.perf_counter() - started
        return out if out.ndim == 2 else out.reshape(-1, 1)

    ig = attr_module.IntegratedGradients(forward)
    with torch.no_grad():
        f_x = _padded(model, forward, inputs).gather(1, labels.view(-1, 1)).view(-1)
        f_0 = (
            _padded(model, forward, baseline.expand_as(inputs))
            .gather(1, labels.view(-1, 1))
            .view(-1)
        )
    encoded = np.zeros(tuple(inputs.shape))
    error = np.full(len(codes), np.inf)
    todo = np.arange(len(codes))
    for n_steps in steps:
        for i in todo:  # one row at a time: a row's attributions never depend on its batch
            found = ig.attribute(
                inputs[i : i + 1], baselines=baseline, target=labels[i : i + 1], n_steps=n_steps
            )
            encoded[i] = found.detach().numpy()[0]
        error = completeness_error(
            encoded, f_0.numpy(), f_x.numpy(), tolerance=tolerance, epsilon=model.epsilon
        )
        todo = np.flatnonzero(error > tolerance)
        if len(todo) == 0:
            break
    if not steps:
        raise AnalysisError("integrated gradients need at least one number of steps")
    return Attribution(
        values=sum_groups(encoded, pre.groups),
        base=f_0.numpy(),
        output=f_x.numpy(),
        method="ig",
        fit=error,
        details={"baseline": "encoded background mean", "steps": list(steps)},
    )


def _padded(model: ModelAdapter, forward: Any, encoded: Any) -> Any:
    """``forward`` on ``encoded`` padded to a multiple of ROW_BLOCK rows (as every model call
    is, see ModelAdapter._call), so each row's output does not depend on how many came along."""
    torch = require("torch")
    pad = -len(encoded) % ROW_BLOCK
    padded = torch.cat([encoded, encoded[-1:].expand(pad, -1)]) if pad else encoded
    out = forward(padded)[: len(encoded)]
    model.meter.rows -= pad  # the meter counts the rows asked for, as predict_codes does
    return out
