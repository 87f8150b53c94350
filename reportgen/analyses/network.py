"""Inside a torch network: its layers, its hidden layers' activations and its loss gradients.

- Structure: the layers the network's forward runs (:mod:`reportgen.analyses.network_layers`
  for TorchScript, :mod:`reportgen.analyses.network_graph` for torch.export programs), each
  with its output's shape for one row, its parameters and its floating-point operations for one
  row as ``torch.utils.flop_counter.FlopCounterMode`` counts them (it counts at the dispatcher,
  below a compiled or exported graph).
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

A row is a tabular model's row or an image model's image (:class:`Subject` is what the analysis
reads of either; :mod:`reportgen.analyses.network_images` adds a CNN's per-class channel maps).
Only aggregates over rows leave the analysis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from reportgen._lazy import require
from reportgen.analyses.context import Measure, ModelData
from reportgen.analyses.explain.gradients import torch_model
from reportgen.analyses.network_graph import read_layers
from reportgen.analyses.network_layers import Layer, LayerReader, flops
from reportgen.analyses.network_stats import (
    QUANTILES,
    dead_units,
    layer_psi,
    quantiles,
    saturated_units,
    unit_values,
)
from reportgen.errors import AnalysisError
from reportgen.inputs.models import ROW_BLOCK, Meter, TorchAdapter
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


@dataclass
class Subject:
    """What the analysis reads of a model: its network, how rows become the network's input,
    and its differentiable outputs (class probabilities (n, k), or values (n,))."""

    name: str
    network: Any
    meter: Meter
    encode: Callable[[np.ndarray], Any]
    outputs: Callable[[Any], Any]
    classification: bool

    @classmethod
    def tabular(cls, model: TorchAdapter) -> Subject:
        return cls(
            model.name, model.network, model.meter, model.encode, model.outputs, bool(model.classes)
        )


def sample(data: Any, n: int, size: int, salt: int) -> np.ndarray:
    """Every row of ``n``, or a seeded sorted subsample of ``size`` of them (``data.rng``)."""
    if size >= n:
        return np.arange(n)
    return np.sort(data.rng(salt).choice(n, size=size, replace=False))


def layer_table(model: Subject, reader: LayerReader, rows: np.ndarray) -> list[LayerRow]:
    """Each layer's row, its shape and FLOPs measured on the first of ``rows`` (metered: the
    layers and the network to check them, then the layers once more counting operations)."""
    with require("torch").no_grad():
        x = model.encode(rows[:1])
        with model.meter.counting(2, calls=2):
            outs = reader.outputs(x)
        with model.meter.counting(1):
            counts = reader.flops(x)
    return [
        LayerRow(
            name=layer.name,
            type=layer.type,
            output_shape=list(out.shape[1:]),
            parameters=layer.parameters,
            trainable=layer.trainable,
            flops=count,
        )
        for layer, out, count in zip(reader.layers, outs, counts, strict=True)
    ]


def activations(
    model: Subject, reader: LayerReader, rows: np.ndarray, keep: list[int]
) -> list[np.ndarray]:
    """The outputs (float64) of the layers at ``keep`` on ``rows``, in padded blocks, each pass
    metered."""
    torch = require("torch")
    parts: list[list[np.ndarray]] = [[] for _ in keep]
    with torch.inference_mode():
        for start in range(0, len(rows), BLOCK_ROWS):
            chunk = rows[start : start + BLOCK_ROWS]
            pad = -len(chunk) % ROW_BLOCK
            padded = np.concatenate([chunk, np.repeat(chunk[-1:], pad, axis=0)])
            # two passes: the layers one after the other, then the network to check them
            with model.meter.counting(2 * len(chunk), calls=2):
                found = reader.outputs(model.encode(padded))
            for part, i in zip(parts, keep, strict=True):
                part.append(found[i][: len(chunk)].to(torch.float64).numpy())
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


def loss_words(model: Subject) -> str:
    if model.classification:
        return "cross-entropy: -log of the probability of the row's true class"
    return "squared error of the predicted value"


def layer_gradients(
    model: Subject, chained: list[Layer], rows: np.ndarray, target: np.ndarray
) -> tuple[list[LayerGradient], int]:
    """Per layer with trainable parameters, the mean and 95% quantile over rows of the L2 norm
    of the gradient of each row's own loss with respect to them (one row per pass), and the
    number of rows they summarise: a row whose gradient is not finite (the model gives its true
    class a probability of 0, or one so small that 1/p overflows, in its precision: extreme
    inputs) is left out."""
    torch = require("torch")
    owners = [layer for layer in chained if layer.trainable]
    params = [[p for p in layer.params if p.requires_grad] for layer in owners]
    flat = [p for group in params for p in group]
    norms = np.zeros((len(rows), len(owners)))
    for i in range(len(rows)):
        with model.meter.counting(1), torch.enable_grad():
            out = model.outputs(model.encode(rows[i : i + 1])).to(torch.float64)
            if model.classification:
                loss = -torch.log(out[0, int(target[i])])
            else:
                loss = (out[0] - float(target[i])) ** 2
            grads = torch.autograd.grad(loss, flat, allow_unused=True)
        at = 0
        for j, group in enumerate(params):
            part = [g for g in grads[at : at + len(group)] if g is not None]
            norms[i, j] = float(sum(float((g.to(torch.float64) ** 2).sum()) for g in part)) ** 0.5
            at += len(group)
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
    """A tabular torch model's network: its structure, activations and gradients."""
    spec = data.policy.internals
    if spec is None:  # the kind is planned only for a policy with an internals section
        raise ValueError("run_network needs a policy with internals")
    model = torch_model(data.model, METHOD)
    found, _ = internals(
        Subject.tabular(model),
        read_layers(model.network, model.name),
        data,
        spec,
        (data.reference, data.evaluation, data.target),
        gradient_x_input="gradients" in data.settings.global_.methods,
    )
    return found


Rows = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Reference rows, evaluation rows and the evaluation rows' targets."""


@dataclass(frozen=True)
class Recorded:
    """The evaluation rows whose activations were taken, and chosen layers' activations there."""

    rows: np.ndarray
    outputs: dict[int, np.ndarray]


def internals(
    model: Subject,
    reader: LayerReader,
    data: Any,
    spec: InternalsSpec,
    rows: Rows,
    *,
    gradient_x_input: bool,
    also: tuple[int, ...] = (),
) -> tuple[NetworkResult, Recorded]:
    """The network's structure, activations and gradients on ``rows`` (``data.rng`` draws the
    samples), and the evaluation sample with the activations there of the layers at ``also``."""
    reference, evaluation, target = rows
    chained = reader.layers
    summarised = watched(chained, spec, model.name)
    keep = [*summarised, *(i for i in also if i not in summarised)]
    with Measure(model) as measure:
        table = layer_table(model, reader, evaluation)
        with require("torch").no_grad():
            x = model.encode(evaluation[:1])
            with model.meter.counting(1):
                total = flops(model.network, x)
        ref_rows = sample(data, len(reference), spec.activation_rows, SALT_ACTIVATIONS)
        ev_rows = sample(data, len(evaluation), spec.activation_rows, SALT_ACTIVATIONS + 2)
        on_ref = activations(model, reader, reference[ref_rows], keep)
        on_ev = activations(model, reader, evaluation[ev_rows], keep)
        summaries = [summarise(chained[i], on_ref[j], on_ev[j]) for j, i in enumerate(summarised)]
        grad_rows = sample(data, len(evaluation), spec.gradient_rows, SALT_GRADIENTS)
        gradients, gradient_rows = layer_gradients(
            model, chained, evaluation[grad_rows], target[grad_rows]
        )
    every = list(model.network.parameters())
    result = NetworkResult(
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
        gradient_x_input=gradient_x_input,
        cost=measure.cost,
    )
    return result, Recorded(ev_rows, {i: on_ev[keep.index(i)] for i in also})


def wanted(spec: InternalsSpec | None) -> bool:
    return spec is not None and spec.enabled


def unreadable(data: ModelData) -> str | None:
    """Why the layers of ``data``'s tabular model cannot be read, or None when they can: the
    kind is then skipped with this reason instead of failing the run."""
    model = data.model
    if not isinstance(model, TorchAdapter):
        return (
            "network internals read a torch network's layers (torchscript or torch_export); "
            f"model '{model.name}' is of format {model.format}"
        )
    try:
        read_layers(model.network, model.name)
    except AnalysisError as exc:
        return str(exc)
    return None


__all__ = ["METHOD", "Subject", "internals", "run_network", "unreadable", "wanted"]
