"""The network section of a torch model: its architecture diagram and layer table, its hidden
layers' activations on the reference and evaluation data (dead and saturated units, drift), and
its per-layer loss gradients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup

from reportgen.render.format import fmt_fixed, fmt_int, fmt_num, plural
from reportgen.render.network_maps import ChannelMapsView, channel_maps_view
from reportgen.render.network_svg import architecture_svg, shape_text
from reportgen.render.views import Fact
from reportgen.results.network import LayerActivations, NetworkResult

PSI_MODERATE = 0.1
"""PSI from which drift is called moderate (the usual reading: < 0.1 small)."""


@dataclass(frozen=True)
class LayerLine:
    name: str
    type: str
    shape: str
    parameters: str
    trainable: str
    flops: str


@dataclass(frozen=True)
class ActivationLine:
    name: str
    units: str
    reference: str
    evaluation: str
    dead: str
    saturated: str
    psi: str
    drift: str


@dataclass(frozen=True)
class GradientLine:
    name: str
    mean: str
    p95: str


@dataclass(frozen=True)
class NetworkView:
    kind: Literal["network"]
    template: str
    heading: str
    row: str
    """What one row of the data is: ``row`` or ``image``."""
    intro: str
    facts: tuple[Fact, ...]
    diagram: Markup
    layers: tuple[LayerLine, ...]
    activations_intro: str
    quantile_labels: str
    activations: tuple[ActivationLine, ...]
    gradients_intro: str
    gradients: tuple[GradientLine, ...]
    gradient_x_input: str
    channel_maps: ChannelMapsView | None


def _row(result: NetworkResult) -> str:
    """What one row of the data is, in words."""
    return "image" if result.data == "images" else "row"


def build_network(result: NetworkResult, *, heading: str, template: str) -> NetworkView:
    """The section of one model's network."""
    row = _row(result)
    return NetworkView(
        kind="network",
        template=template,
        heading=heading,
        row=row,
        intro=(
            "The network's layers in the order it runs them, read from the model file itself: "
            f"each layer's output for one {row}, its parameters, and the floating-point "
            f"operations it performs for one {row} (torch's FlopCounterMode: a multiply-add "
            "counts 2)."
        ),
        facts=(
            Fact("Layers", fmt_int(len(result.layers))),
            Fact("Parameters", fmt_int(result.parameters)),
            Fact("Trainable parameters", fmt_int(result.trainable)),
            Fact(f"Operations per {row}", fmt_int(result.flops)),
        ),
        diagram=architecture_svg(result.input_shape, result.layers),
        layers=tuple(
            LayerLine(
                name=layer.name,
                type=layer.type,
                shape=shape_text(layer.output_shape),
                parameters=fmt_int(layer.parameters),
                trainable=fmt_int(layer.trainable),
                flops=fmt_int(layer.flops),
            )
            for layer in result.layers
        ),
        activations_intro=(
            f"Each hidden layer's outputs on {plural(result.reference_rows, 'reference ' + row)} "
            f"and {plural(result.evaluation_rows, 'evaluation ' + row)}: quantiles of all its "
            "units' values (a channel's value is its mean over positions); units of a ReLU "
            f"layer never above 0 on the reference {row}s (dead; a channel at no position); "
            "units of a Tanh or Sigmoid layer within 0.01 of a bound on more than 99% of the "
            f"reference {row}s (saturated); and the drift from reference to evaluation data, the "
            "population stability index (PSI) of each unit over its reference deciles, "
            f"averaged over the units (largest in brackets). A mean PSI of "
            f"{fmt_fixed(result.psi_warn, 2)} or more is called large, "
            f"{fmt_fixed(PSI_MODERATE, 2)} or more moderate."
        ),
        quantile_labels=" / ".join(f"{q:.0%}" for q in result.quantiles),
        activations=tuple(_activation(result, a) for a in result.activations),
        gradients_intro=(
            f"The gradient of each {row}'s loss ({result.loss}) with respect to each layer's "
            f"parameters, on {plural(result.gradient_rows, 'evaluation ' + row)} taken one at a "
            f"time: the mean and the 95% quantile over the {row}s of its length (L2 norm). A layer "
            "whose gradients are near zero no longer learns from these data."
        ),
        gradients=tuple(
            GradientLine(g.name, fmt_num(g.mean_norm), fmt_num(g.p95_norm))
            for g in result.gradients
        ),
        gradient_x_input=_gradient_x_input(result),
        channel_maps=None
        if result.channel_maps is None
        else channel_maps_view(result.channel_maps),
    )


def _gradient_x_input(result: NetworkResult) -> str:
    if result.data == "images":
        return (
            "Gradients with respect to the pixels are the heat-maps section's (integrated "
            "gradients, Grad-CAM)."
        )
    if result.gradient_x_input:
        return (
            "The mean |gradient x input| per feature is in the global gradient attributions "
            "section."
        )
    return (
        "The mean |gradient x input| per feature is not computed: the policy's global "
        "explanations do not include gradients."
    )


def _units(found: list[int] | None) -> str:
    if found is None:
        return "n/a"
    if not found:
        return "none"
    return f"{len(found)} ({', '.join(str(u) for u in found[:8])}{'…' if len(found) > 8 else ''})"


def _quantiles(values: list[float]) -> str:
    """``-3.13 / -1.05 / 0.120``, a line of a narrow cell breaking only after a slash."""
    return "\u00a0/ ".join(fmt_num(v) for v in values)


def _activation(result: NetworkResult, layer: LayerActivations) -> ActivationLine:
    drift = (
        "large"
        if layer.psi_mean >= result.psi_warn
        else "moderate"
        if layer.psi_mean >= PSI_MODERATE
        else "small"
    )
    return ActivationLine(
        name=f"{layer.name} · {layer.type}",
        units=fmt_int(layer.units),
        reference=_quantiles(layer.reference),
        evaluation=_quantiles(layer.evaluation),
        dead=_units(layer.dead),
        saturated=_units(layer.saturated),
        psi=f"{fmt_fixed(layer.psi_mean)} ({fmt_fixed(layer.psi_max)})",
        drift=drift,
    )


def network_text(result: NetworkResult, seed: int) -> str:
    """The method appendix's paragraph."""
    row = _row(result)
    maps = (
        ""
        if result.channel_maps is None
        else " A class's channel map is the mean, over the evaluation images the model assigns "
        "to it, of the last convolution's activations averaged over its channels, mean-pooled "
        "to at most 32 x 32; classes below the minimum cohort size are withheld."
    )
    return (
        "The layers are read from the model file: the modules a TorchScript network's compiled "
        "forward calls one after the other, or the torch.nn modules and operations of a "
        "torch.export program's graph; running them is checked to give the network's own "
        "output bit for bit. "
        f"Activations are computed on seeded subsamples (policy seed {seed}) of at most "
        f"{plural(result.reference_rows, 'reference ' + row)} and "
        f"{plural(result.evaluation_rows, 'evaluation ' + row)}; a channel's value on a {row} "
        "is its mean over positions. PSI bins are cut at the unit's reference deciles "
        "(duplicates dropped), each share floored at 0.0001. Only aggregates over "
        f"{row}s are published.{maps}"
    )


__all__ = ["NetworkView", "build_network", "network_text"]
