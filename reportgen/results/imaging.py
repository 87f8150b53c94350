"""Results of image models: mean heat-maps and, by policy opt-in only, individual images."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reportgen.results.base import Cost
from reportgen.results.base import Doc as _Doc


class MeanMap(_Doc):
    """The mean heat-map of one group of images, or why it is withheld."""

    group: str
    images: int | None = Field(description="Images averaged; None when suppressed.")
    values: list[list[float]] | None = Field(
        default=None,
        description="Rows of the mean map, each image's positive relevance scaled to [0, 1] by "
        "its maximum, then averaged (mean-pooled to at most 32 x 32); None when suppressed.",
    )
    suppressed: str | None = Field(default=None, description="Why the map is withheld.")


class MapFamily(_Doc):
    """Mean maps of the groups of one split of the images (predicted class, a cohort column)."""

    name: str
    by: str
    groups: list[MeanMap]


class MethodMaps(_Doc):
    """One heat-map method's settings and mean maps."""

    method: Literal["gradcam", "ig", "occlusion"]
    settings: dict[str, str] = Field(description="Layer, steps, baseline, window... in words.")
    families: list[MapFamily]
    completeness: float | None = Field(
        default=None,
        description="Integrated gradients: median relative gap between the attributions' sum "
        "and f(x) - f(baseline).",
    )
    seconds: float


class ImageMapsResult(_Doc):
    """Mean heat-maps of an image model over the evaluation images: no patient's image."""

    kind: Literal["image_maps"] = "image_maps"
    model: str
    images: int = Field(description="Evaluation images explained.")
    height: int = Field(description="Image height in pixels.")
    width: int = Field(description="Image width in pixels.")
    layer: str | None = Field(description="Grad-CAM's layer.")
    explained: str = Field(description="The output the maps explain, in words.")
    methods: list[MethodMaps]
    cost: Cost


class ImageCase(_Doc):
    """One evaluation image with its heat-maps: personal data, shown only when the policy opts
    in (privacy.image_cases), under a pseudonymous id."""

    case_id: str
    label: str = Field(description="The true class.")
    predicted: str
    probability: float = Field(description="The model's probability of the predicted class.")
    pixels: list[list[float]] = Field(
        description="The image's grey levels in [0, 1] (channels averaged), rows of pixels."
    )
    maps: dict[str, list[list[float]]] = Field(
        description="Per method, the map explaining the predicted class: positive relevance "
        "scaled to [0, 1] by its maximum."
    )
    relevance_mass: dict[str, float] = Field(
        default_factory=dict,
        description="Per method, the share of positive relevance inside the annotated mask "
        "(only for images with a mask).",
    )


class ImageCasesResult(_Doc):
    """Individual images with their maps (policy opt-in only)."""

    kind: Literal["image_cases"] = "image_cases"
    model: str
    cases: list[ImageCase]
    cost: Cost
