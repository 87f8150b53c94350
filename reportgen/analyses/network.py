"""Inside a torch network: its layers, its hidden layers' activations and its loss gradients.

- Structure: the layers the network's forward runs (:mod:`reportgen.analyses.network_layers`),
  each with its output's shape for one row, its parameters and its floating-point operations for
  one row as ``torch.utils.flop_counter.FlopCounterMode`` counts them (which works on TorchScript
  modules: it counts at the dispatcher, below the compiled graph).
- Activations: each hidden layer's outputs on up to ``internals.activation_rows`` reference and
  evaluation rows (a seeded subsample of a dataset that holds more), summarised by the rules of
  :mod:`reportgen.analyses.network_stats`. Rows go through the layers ROW_BLOCK at a time (the
  last block padded, as every model call is), so a row's activations do not depend on the other
  rows' values; the sample, sorted, fixes each row's place in its block, hence the bits.
- Gradients: for up to ``internals.gradient_rows`` evaluation rows, one row at a time, the
  gradient of that row's loss (classification: -log of the true class's probability; regression:
  the squared error) with respect to each layer's trainable parameters; per layer, the mean and
  the 95% quantile over the rows of its L2 norm (no one row's figure). Mean |gradient x input| per
  feature is the global gradient attributions section's
  (:mod:`reportgen.analyses.global_gradients`), not computed again here.

Only aggregates over rows leave the analysis.
"""

from __future__ import annotations

import time

import numpy as np

from reportgen._lazy import require
from reportgen.analyses.context import Measure, ModelData
from reportgen.analyses.explain.gradients import torch_model
from reportgen.analyses.network_layers import Layer, flops, layers, run_layers
from reportgen.analyses.network_stats import (
    QUANTILES,
    dead_units,
    layer_psi,
    quantiles,
    saturated_units,
    unit_values,
)
from reportgen.errors import AnalysisError
from reportgen.inputs.models import ROW_BLOCK, TorchAdapter
from reportgen.policy.internals import InternalsSpec
from reportgen.results.network import (
    LayerActivations,
    LayerGradient,
    LayerRow,
    NetworkResult,
)

METHOD = "network internals"
SALT_ACTIVATIONS, SALT_GRADIENTS = 60, 61
"""Salts of the activation and gradient row subsamples (see context.SALT_EDITS and the rest)."""
BLOCK_ROWS = ROW_BLOCK
"""Rows per pass of the activations: every pass has the same shape, so the linear algebra
rounds a row the same way whatever the other rows of its pass hold."""


def sample(data: ModelData, n: int, size: int, salt: int) -> np.ndarray:
    """Every row of ``n``, or a seeded sorted subsample of ``size`` of them."""
    if size >= n:
        return np.arange(n)
    return np.sort(data.rng(salt).choice(n, size=size, replace=False))


def layer_table(model: TorchAdapter, chained: list[Layer], codes: np.ndarray) -> list[LayerRow]:
    """Each layer's row, its shape and FLOPs measured on the first of ``codes``."""
    torch = require("torch")
    with torch.no_grad():
        current = model.encode(codes[:1])
        rows = []
        for layer in chained:
            count = flops(layer.module, current)
            current = layer.module(current)
            rows.append(
                LayerRow(
                    name=layer.name,
                    type=layer.type,
                    output_shape=list(current.shape[1:]),
                    parameters=layer.parameters,
                    trainable=layer.trainable,
                    flops=count,
                )
            )
    return rows


def activations(model: TorchAdapter, chained: list[Layer], codes: np.ndarray) -> list[np.ndarray]:
    """Each layer's outputs (float64) on ``codes``, in padded blocks, each pass metered."""
    torch = require("torch")
    parts: list[list[np.ndarray]] = [[] for _ in chained]
    with torch.inference_mode():
        for start in range(0, len(codes), BLOCK_ROWS):
            began = time.perf_counter()
            chunk = codes[start : start + BLOCK_ROWS]
            pad = -len(chunk) % ROW_BLOCK
            padded = np.concatenate([chunk, np.repeat(chunk[-1:], pad, axis=0)])
            found = run_layers(model.network, chained, model.encode(padded), model.name)
            for part, out in zip(parts, found, strict=True):
                part.append(out[: len(chunk)].to(torch.float64).numpy())
            model.meter.rows += len(chunk)
            model.meter.calls += 1
            model.meter.seconds += time.perf_counter() - began
    return [np.concatenate(part) for part in parts]


def summarise(layer: Layer, reference: np.ndarray, evaluation: np.ndarray) -> LayerActivations:
    """One hidden layer's activation aggregates (see :mod:`network_stats`)."""
    ref, ev = unit_values(reference), unit_values(evaluation)
    drift = layer_psi(ref, ev)
    return LayerActivations(
        name=layer.name,
        type=layer.type,
        units=ref.shape[1],
        reference=quantiles(ref),
        evaluation=quantiles(ev),
        dead=dead_units(layer.type, reference),
        saturated=saturated_units(layer.type, reference),
        psi_mean=float(drift.mean()),
        psi_max=float(drift.max()),
    )


def watched(chained: list[Layer], spec: InternalsSpec, model: str) -> list[int]:
    """Positions of the layers whose activations are summarised."""
    if spec.layers is None:
        return list(range(len(chained) - 1))
    names = [layer.name for layer in chained]
    for name in spec.layers:
        if name not in names:
            raise AnalysisError(
                f"internals.layers names '{name}', which is not a layer of model '{model}' "
                f"(its layers: {', '.join(names)})"
            )
    return [names.index(name) for name in spec.layers]


def loss_words(model: TorchAdapter) -> str:
    if model.classes:
        return "cross-entropy: -log of the probability of the row's true class"
    return "squared error of the predicted value"


def layer_gradients(
    model: TorchAdapter, chained: list[Layer], codes: np.ndarray, target: np.ndarray
) -> tuple[list[LayerGradient], int]:
    """Per layer with trainable parameters, the mean and 95% quantile over rows of the L2 norm
    of the gradient of each row's own loss with respect to them (one row per pass), and the
    number of rows they summarise: a row whose gradient is not finite (the model gives its true
    class a probability of 0, or one so small that 1/p overflows, in its precision: extreme
    inputs) is left out."""
    torch = require("torch")
    owners = [layer for layer in chained if layer.trainable]
    params = [[p for p in layer.module.parameters() if p.requires_grad] for layer in owners]
    flat = [p for group in params for p in group]
    norms = np.zeros((len(codes), len(owners)))
    for i in range(len(codes)):
        began = time.perf_counter()
        with torch.enable_grad():
            out = model.outputs(model.encode(codes[i : i + 1])).to(torch.float64)
            if model.classes:
                loss = -torch.log(out[0, int(target[i])])
            else:
                loss = (out[0] - float(target[i])) ** 2
            grads = torch.autograd.grad(loss, flat, allow_unused=True)
        at = 0
        for j, group in enumerate(params):
            part = [g for g in grads[at : at + len(group)] if g is not None]
            norms[i, j] = float(sum(float((g.to(torch.float64) ** 2).sum()) for g in part)) ** 0.5
            at += len(group)
        model.meter.rows += 1
        model.meter.calls += 1
        model.meter.seconds += time.perf_counter() - began
    norms = norms[np.isfinite(norms).all(axis=1)]
    found = [
        LayerGradient(
            name=layer.name,
            mean_norm=float(norms[:, j].mean()) if len(norms) else 0.0,
            p95_norm=float(np.quantile(norms[:, j], 0.95)) if len(norms) else 0.0,
        )
        for j, layer in enumerate(owners)
    ]
    return found, len(norms)


def run_network(data: ModelData) -> NetworkResult:
    """The network's structure, activations and gradients."""
    spec = data.policy.internals
    if spec is None:  # the kind is planned only for a policy with an internals section
        raise ValueError("run_network needs a policy with internals")
    model = torch_model(data.model, METHOD)
    chained = layers(model.network, model.name)
    with Measure(model) as measure:
        table = layer_table(model, chained, data.evaluation)
        with require("torch").no_grad():
            x = model.encode(data.evaluation[:1])
            total = flops(model.network, x)
        ref_rows = sample(data, len(data.reference), spec.activation_rows, SALT_ACTIVATIONS)
        ev_rows = sample(data, len(data.evaluation), spec.activation_rows, SALT_ACTIVATIONS + 2)
        on_ref = activations(model, chained, data.reference[ref_rows])
        on_ev = activations(model, chained, data.evaluation[ev_rows])
        summaries = [
            summarise(chained[i], on_ref[i], on_ev[i]) for i in watched(chained, spec, model.name)
        ]
        grad_rows = sample(data, len(data.evaluation), spec.gradient_rows, SALT_GRADIENTS)
        gradients, gradient_rows = layer_gradients(
            model, chained, data.evaluation[grad_rows], data.target[grad_rows]
        )
    every = list(model.network.parameters())
    return NetworkResult(
        model=model.name,
        input_shape=list(x.shape[1:]),
        layers=table,
        parameters=sum(int(p.numel()) for p in every),
        trainable=sum(int(p.numel()) for p in every if p.requires_grad),
        flops=total,
        quantiles=list(QUANTILES),
        reference_rows=len(ref_rows),
        evaluation_rows=len(ev_rows),
        activations=summaries,
        psi_warn=spec.psi_warn,
        loss=loss_words(model),
        gradient_rows=gradient_rows,
        gradients=gradients,
        gradient_x_input="gradients" in data.settings.global_.methods,
        cost=measure.cost,
    )


def wanted(spec: InternalsSpec | None) -> bool:
    return spec is not None and spec.enabled


__all__ = ["METHOD", "run_network", "wanted"]
