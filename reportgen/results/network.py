"""Results about a torch network's insides: its layers, its hidden layers' activations on the
reference and the evaluation data, and its per-layer loss gradients (aggregates only)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reportgen.results.base import Cost
from reportgen.results.base import Doc as _Doc


class LayerRow(_Doc):
    """One layer the network's forward runs, in order."""

    name: str = Field(description="The layer's dotted name in the module tree.")
    type: str = Field(description="Its class, e.g. Linear or ReLU.")
    output_shape: list[int] = Field(description="Its output's shape for one row (no batch axis).")
    parameters: int
    trainable: int = Field(description="Of its parameters, those that require gradients.")
    flops: int = Field(description="Floating-point operations for one row (FlopCounterMode).")


class LayerActivations(_Doc):
    """A hidden layer's activations: quantiles of all its units' values on each dataset, its
    dead and saturated units and its drift from the reference to the evaluation data."""

    name: str
    type: str
    units: int
    reference: list[float] = Field(description="Quantiles on the reference rows.")
    evaluation: list[float] = Field(description="Quantiles on the evaluation rows.")
    dead: list[int] | None = Field(
        default=None, description="Units never > 0 on the reference rows (ReLU-like layers)."
    )
    saturated: list[int] | None = Field(
        default=None, description="Units saturated on > 99% of reference rows (Tanh, Sigmoid)."
    )
    psi_mean: float = Field(description="Mean population stability index of its units.")
    psi_max: float = Field(description="The largest unit's population stability index.")


class LayerGradient(_Doc):
    """A layer's parameter gradient of the loss, over the evaluation rows."""

    name: str
    mean_norm: float = Field(description="Mean over rows of the L2 norm of dLoss_i/dparameters.")
    p95_norm: float = Field(description="The 95% quantile of the rows' norms.")


class ChannelMap(_Doc):
    """One class's mean channel activation map, or why it is withheld."""

    group: str = Field(description="The class.")
    images: int | None = Field(description="Evaluation images of the class; None when withheld.")
    values: list[list[float]] | None = Field(
        default=None,
        description="Rows of the mean over the class's images of the layer's output averaged "
        "over its channels, in the layer's own units (mean-pooled to at most 32 x 32); None "
        "when withheld.",
    )
    suppressed: str | None = Field(default=None, description="Why the map is withheld.")


class ChannelMaps(_Doc):
    """A CNN's mean channel activation maps per class, over the evaluation images: only classes
    of at least the minimum cohort size are published."""

    layer: str = Field(
        description="The layer mapped: the last convolution, after the activation function "
        "that directly follows it."
    )
    by: str = Field(description="What splits the images: the predicted class.")
    channels: int
    images: int = Field(description="Evaluation images the classes split.")
    groups: list[ChannelMap]


class NetworkResult(_Doc):
    """A torch network: structure, activations and gradients."""

    kind: Literal["network"] = "network"
    model: str
    data: Literal["tabular", "images"] = Field(
        default="tabular", description="What a row is: a row of features, or an image."
    )
    input_shape: list[int] = Field(
        description="The network's input for one row (encoded) or one image."
    )
    layers: list[LayerRow]
    parameters: int = Field(description="Every parameter of the network.")
    trainable: int
    flops: int = Field(description="Floating-point operations of the whole network for one row.")
    quantiles: list[float] = Field(description="The quantile levels of the activation summaries.")
    reference_rows: int
    evaluation_rows: int
    activations: list[LayerActivations]
    psi_warn: float
    loss: str = Field(description="The loss whose gradients are taken, in words.")
    gradient_rows: int
    gradients: list[LayerGradient]
    gradient_x_input: bool = Field(
        description="Whether the global gradient attributions section (mean |gradient x input| "
        "per feature) runs for this model."
    )
    channel_maps: ChannelMaps | None = Field(
        default=None, description="An image model with convolutions: its mean channel maps."
    )
    cost: Cost
