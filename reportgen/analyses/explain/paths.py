"""Integrated gradients' path integral, shared by the tabular and the image explainers.

Integrated gradients (Sundararajan et al. 2017) attribute ``f(x) - f(x0)`` as
``(x - x0) * integral over a in [0, 1] of grad f(x0 + a (x - x0))``. Like captum's
``IntegratedGradients`` by default (method "gausslegendre"), the integral is the
Gauss-Legendre rule of ``numpy.polynomial.legendre.leggauss(steps)`` moved to [0, 1]. The path
points of many rows go through the model in one pass, ``batch_size`` points at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from reportgen._lazy import require

if TYPE_CHECKING:
    from torch import Tensor

Gradient = Callable[["Tensor", "Tensor"], "Tensor"]
"""``gradient(points, labels)``: d(explained output of each point)/d(point), points' shape."""


def gauss_legendre(steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The nodes ``a_j`` in (0, 1) and weights ``w_j`` (summing to 1) of the ``steps``-point
    Gauss-Legendre rule on [0, 1], as captum's ``approximation_parameters("gausslegendre")``."""
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    return (nodes + 1) / 2, weights / 2


def integrated_gradients(
    gradient: Gradient,
    inputs: Tensor,
    baseline: Tensor,
    labels: Tensor,
    *,
    steps: int,
    batch_size: int,
) -> Tensor:
    """``(x - x0) * sum_j w_j grad f(x0 + a_j (x - x0))`` for each row of ``inputs``.

    Args:
        gradient: the explained output's gradient at a batch of path points, each point with
            the label of its row.
        inputs: (N, ...) the rows x, in the dtype the integral is computed in.
        baseline: x0, (1, ...) shared by every row or (N, ...) one per row.
        labels: (N,) the output explained for each row.
        batch_size: path points per call of ``gradient``.

    Returns:
        (N, ...) attributions. Each row's gradients are added up in step order whatever the
        batches, so a row's sum does not depend on the rows integrated with it.
    """
    torch = require("torch")
    n = len(inputs)
    nodes, weights = gauss_legendre(steps)
    alphas = torch.tensor(nodes, dtype=inputs.dtype, device=inputs.device)
    scale = torch.tensor(weights, dtype=inputs.dtype, device=inputs.device)
    shape = (-1,) + (1,) * (inputs.ndim - 1)
    totals = torch.zeros_like(inputs)
    for start in range(0, n * steps, batch_size):
        k = torch.arange(start, min(n * steps, start + batch_size), device=inputs.device)
        i, j = k // steps, k % steps
        x, b = inputs[i], baseline[i] if len(baseline) == n else baseline[0]
        grads = gradient(b + alphas[j].view(shape) * (x - b), labels[i])
        totals.index_add_(0, i, grads.to(inputs.device) * scale[j].view(shape))
    return totals * (inputs - baseline)
