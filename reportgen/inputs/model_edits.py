"""Edits of a torch network made for deployment: global magnitude pruning and int8 weights.

Each edit returns a copy of the released adapter around an edited copy of its TorchScript
network (the released network is never touched). The edited layers are found by structure, not
by class name (a scripted module's class may be renamed): pruning edits every parameter named
``weight`` with two or more dimensions (the weight matrices of linear layers and the kernels of
convolutions); int8 quantisation edits the two-dimensional ones (linear layers, what
``torch.ao.quantization.quantize_dynamic`` quantises by default). Biases stay in floating point,
as both torch tools leave them.

Pruning calls torch's own ``prune.global_unstructured`` with ``L1Unstructured`` (then
``prune.remove``) on eager stand-ins holding the same weights: it cannot run on a scripted
module, whose compiled forward ignores the masks' hooks. Quantisation is *weight-only*
fake quantisation: each weight matrix is rounded to int8 exactly as ``quantize_dynamic`` stores
it (per tensor, symmetric: scale = max |w| / 127.5, zero point 0, levels rounded half to even
from w times the float32 inverse scale and clamped to [-128, 127]) and dequantised back into
the network. ``quantize_dynamic`` itself needs an eager module (on a
scripted one it silently returns the network unchanged) and is deprecated in favour of torchao;
it also quantises each layer's input with a scale computed from the whole batch, which would make
a row's output depend on the rows scored with it, so that part is not modelled.
"""

from __future__ import annotations

from typing import Any

from reportgen._lazy import require
from reportgen.inputs.models import TorchAdapter

INT8_LEVELS = 255.0
"""Width of the int8 range, 127 - (-128): a symmetric scale maps max |w| to half of it."""


def weight_tensors(module: Any, *, min_dims: int = 2, max_dims: int | None = None) -> list[Any]:
    """The ``weight`` parameters of ``module``'s layers with between ``min_dims`` and
    ``max_dims`` dimensions, in module order."""
    found = []
    for _, layer in module.named_modules():
        for name, parameter in layer.named_parameters(recurse=False):
            dims = parameter.dim()
            if name == "weight" and dims >= min_dims and (max_dims is None or dims <= max_dims):
                found.append(parameter)
    return found


def prune_weights(module: Any, sparsity: float) -> None:
    """Global L1 magnitude pruning of ``module``'s weights in place: the ``round(sparsity * n)``
    smallest |w| over all its weight tensors (n weights in all) become 0."""
    torch = require("torch")
    prune = require("torch.nn.utils.prune")
    weights = weight_tensors(module)
    holders = []
    for weight in weights:
        holder = torch.nn.Module()
        holder.weight = torch.nn.Parameter(weight.detach().clone(), requires_grad=False)
        holders.append(holder)
    prune.global_unstructured(
        [(holder, "weight") for holder in holders],
        pruning_method=prune.L1Unstructured,
        amount=float(sparsity),
    )
    for holder, weight in zip(holders, weights, strict=True):
        prune.remove(holder, "weight")
        weight.copy_(holder.weight.detach())


def int8_scale(weight: Any) -> float:
    """The per-tensor symmetric int8 scale ``quantize_dynamic`` gives ``weight``: its weight
    observer's max |w| / 127.5, computed in float32, at least float32's epsilon."""
    torch = require("torch")
    largest = weight.detach().abs().max().to(torch.float32)
    return max(float(largest / (INT8_LEVELS / 2)), float(torch.finfo(torch.float32).eps))


def int8_round_trip(weight: Any) -> Any:
    """``weight`` quantised to int8 and back, in float32 as torch's quantiser computes it:
    levels = round-half-even(w * (1 / scale)) clamped to [-128, 127], then levels * scale."""
    torch = require("torch")
    scale = torch.tensor(int8_scale(weight), dtype=torch.float32)
    levels = torch.round(weight.detach().to(torch.float32) * (1.0 / scale)).clamp(-128, 127)
    return levels * scale


def quantize_weights(module: Any) -> None:
    """Weight-only int8 fake quantisation of ``module``'s linear layers in place."""
    for weight in weight_tensors(module, max_dims=2):
        weight.copy_(int8_round_trip(weight).to(weight.dtype))


def pruned(model: TorchAdapter, sparsity: float) -> TorchAdapter:
    return model.edited(lambda module: prune_weights(module, sparsity))


def quantized(model: TorchAdapter) -> TorchAdapter:
    return model.edited(quantize_weights)


__all__ = ["int8_scale", "prune_weights", "pruned", "quantize_weights", "quantized"]
