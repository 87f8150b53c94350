"""Inside an image classifier's network: the network section on images, and a CNN's mean
channel activation maps per predicted class.

The structure, activations (per channel: a channel's value on an image is its mean over
positions, and a channel is dead when it is never above 0 at any position of any reference
image) and gradients are :func:`reportgen.analyses.network.internals`'s, with images as rows:
the reference images, and the evaluation images with their true classes for the loss.

The channel maps read the *last convolution's activations*: the output of the network's last
``Conv*`` layer, or of the activation function right after it (ReLU, Tanh, Sigmoid) when there
is one. For each class the model predicts on the sampled evaluation images, the map is the mean
over that class's images of the layer's output averaged over its channels, in the layer's own
units, mean-pooled to at most 32 x 32. The maps are split by *predicted* class (what the model
responds to, as the mean heat-maps are); the privacy gate publishes a class's map only where it
holds at least the minimum cohort size (:func:`reportgen.privacy.image_maps.publish_channel_maps`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reportgen._lazy import require
from reportgen.analyses.context import Measure
from reportgen.analyses.imaging.context import ImageData
from reportgen.analyses.imaging.mean_maps import pooled
from reportgen.analyses.network import Subject, internals
from reportgen.analyses.network_graph import read_layers
from reportgen.analyses.network_layers import Layer
from reportgen.analyses.network_stats import DEAD_TYPES, SATURATING
from reportgen.policy.privacy import PREDICTED_CLASS
from reportgen.results.network import ChannelMap, ChannelMaps, NetworkResult

ACTIVATIONS = DEAD_TYPES | set(SATURATING)
"""Layer types taken as the activation function of the convolution before them."""


def map_layer(layers: list[Layer]) -> int | None:
    """The position of the last convolution's activations (see the module's rule); None for a
    network without a convolution."""
    convolutions = [i for i, layer in enumerate(layers) if layer.type.startswith("Conv")]
    if not convolutions:
        return None
    last = convolutions[-1]
    after = last + 1
    return after if after < len(layers) and layers[after].type in ACTIVATIONS else last


def class_maps(outputs: np.ndarray, predicted: np.ndarray, classes: list[str]) -> list[ChannelMap]:
    """Each class's mean over its images of the channel-mean map of ``outputs`` (n, c, h, w)."""
    channel_mean = outputs.mean(axis=1)
    found = []
    for i, label in enumerate(classes):
        members = predicted == i
        count = int(members.sum())
        values = None
        if count:
            mean = pooled(channel_mean[members].mean(axis=0))
            values = [[float(v) for v in row] for row in mean]
        found.append(ChannelMap(group=label, images=count, values=values))
    return found


def image_subject(data: ImageData) -> Subject:
    """The image model as the network analysis reads it: images are its input, softmax (or its
    declared probabilities) its output."""
    model = data.model
    torch = require("torch")

    def encode(rows: np.ndarray) -> Any:
        return torch.from_numpy(np.ascontiguousarray(rows))

    def outputs(x: Any) -> Any:
        return model.probabilities(model.network(x))

    return Subject(model.name, model.network, model.meter, encode, outputs, classification=True)


def run_image_network(data: ImageData) -> NetworkResult:
    """An image model's network: structure, activations, gradients and channel maps."""
    spec = data.policy.internals
    if spec is None:  # the kind is planned only for a policy with an internals section
        raise ValueError("run_image_network needs a policy with internals")
    subject = image_subject(data)
    reader = read_layers(subject.network, subject.name)
    at = map_layer(reader.layers)
    with Measure(data.model) as measure:
        result, recorded = internals(
            subject,
            reader,
            data,
            spec,
            (data.reference, data.images, data.target),
            gradient_x_input=False,
            also=() if at is None else (at,),
        )
        maps = None
        if at is not None:
            outputs = recorded.outputs[at]
            maps = ChannelMaps(
                layer=reader.layers[at].name,
                by=PREDICTED_CLASS,
                channels=outputs.shape[1],
                images=len(outputs),
                groups=class_maps(outputs, data.predicted[recorded.rows], data.model.classes),
            )
    return result.model_copy(update={"data": "images", "channel_maps": maps, "cost": measure.cost})


__all__ = ["class_maps", "image_subject", "map_layer", "run_image_network"]
