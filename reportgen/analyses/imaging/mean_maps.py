"""Mean heat-maps per predicted class and per cohort: what a reviewer sees of the maps.

No patient's image or map leaves this module on its own: each group's map is the mean of its
images' maps (each image's positive relevance scaled to [0, 1] by its maximum, so every image
weighs the same), and the privacy gate then withholds the maps of groups smaller than the
minimum cohort size (and of groups that would let one be derived).
"""

from __future__ import annotations

import numpy as np

from reportgen.analyses.cohorts import by_band, by_level
from reportgen.analyses.context import Measure
from reportgen.analyses.imaging.context import ImageData
from reportgen.errors import AnalysisError
from reportgen.inputs.columns import numeric_values
from reportgen.policy.privacy import PREDICTED_CLASS, CohortSpec
from reportgen.results.imaging import ImageMapsResult, MapFamily, MeanMap, MethodMaps

STORED_SIZE = 32
"""Mean maps are stored mean-pooled to at most this many pixels a side."""
METHOD_WORDS = {"gradcam": "Grad-CAM", "ig": "integrated gradients", "occlusion": "occlusion"}


def run_image_maps(data: ImageData) -> ImageMapsResult:
    """Each method's mean maps over the explained images, per predicted class and cohort."""
    rows = data.explained_rows
    methods = []
    with Measure(data.model) as measure:
        families = _families(data, rows)
        for method in data.settings.methods:
            scaled = unit_scaled(data.maps(method, rows))
            methods.append(
                MethodMaps(
                    method=method,
                    settings=_settings(data, method),
                    families=[
                        MapFamily(name=name, by=by, groups=_groups(scaled, labels, index))
                        for name, by, labels, index in families
                    ],
                    completeness=_completeness(data, method),
                    seconds=round(data.seconds(method), 3),
                )
            )
    image = data.policy.data.image
    return ImageMapsResult(
        model=data.model.name,
        images=len(rows),
        height=image.height,
        width=image.width,
        layer=data.model.layer_name,
        explained="the logit of each image's predicted class"
        if data.model.output == "logits"
        else "the probability of each image's predicted class",
        methods=methods,
        cost=measure.cost,
    )


def unit_scaled(maps: np.ndarray) -> np.ndarray:
    """Each map's positive part divided by its maximum (an all-non-positive map stays 0)."""
    positive = np.clip(maps, 0.0, None)
    top = positive.reshape(len(maps), -1).max(axis=1)
    return np.asarray(positive / np.where(top > 0, top, 1.0)[:, None, None])


def pooled(mean: np.ndarray) -> np.ndarray:
    """Mean-pool a map to at most :data:`STORED_SIZE` pixels a side (whole blocks)."""
    h, w = mean.shape
    fy, fx = max(1, -(-h // STORED_SIZE)), max(1, -(-w // STORED_SIZE))
    h2, w2 = h // fy, w // fx
    return np.asarray(mean[: h2 * fy, : w2 * fx].reshape(h2, fy, w2, fx).mean(axis=(1, 3)))


def _groups(scaled: np.ndarray, labels: list[str], index: np.ndarray) -> list[MeanMap]:
    groups = []
    for i, label in enumerate(labels):
        members = index == i
        count = int(members.sum())
        values = None
        if count:
            mean = pooled(scaled[members].mean(axis=0))
            values = [[round(float(v), 4) for v in row] for row in mean]
        groups.append(MeanMap(group=label, images=count, values=values))
    return groups


Family = tuple[str, str, list[str], np.ndarray]


def _families(data: ImageData, rows: np.ndarray) -> list[Family]:
    """(name, by, labels, each row's label index): predicted class, then the policy's cohorts."""
    found: list[Family] = [
        ("predicted class", PREDICTED_CLASS, list(data.model.classes), data.predicted[rows])
    ]
    for spec in data.policy.privacy.cohorts:
        if spec.by != PREDICTED_CLASS:
            labels, index = _split(data, spec, rows)
            found.append((spec.name, spec.by, labels, index))
    return found


def _split(data: ImageData, spec: CohortSpec, rows: np.ndarray) -> tuple[list[str], np.ndarray]:
    if spec.by not in data.frame.columns:
        raise AnalysisError(f"cohort '{spec.name}': column '{spec.by}' is not in the index")
    column = data.frame[spec.by].iloc[rows].replace("", np.nan)
    numbers = numeric_values(column)
    if numbers is not None and spec.bands:
        return by_band(numbers, spec.bands)
    return by_level(column, None)


def _completeness(data: ImageData, method: str) -> float | None:
    """Integrated gradients: the median relative completeness gap of the mapped images."""
    if method != "ig" or data.ig_gaps is None:
        return None
    return round(float(np.median(data.ig_gaps)), 6)


def _settings(data: ImageData, method: str) -> dict[str, str]:
    settings = data.settings
    if method == "gradcam":
        return {"layer": str(data.model.layer_name), "upsampling": "bilinear"}
    if method == "ig":
        baseline = {
            "zeros": "the normalised zero image",
            "blur": "the image blurred (Gaussian, sigma a tenth of the width)",
        }[settings.ig.baseline]
        return {"steps": str(settings.ig.steps), "rule": "Gauss-Legendre", "baseline": baseline}
    window, stride = settings.occlusion.window, settings.occlusion.stride
    return {"window": f"{window} x {window} px", "stride": f"{stride} px", "fill": "0 (normalised)"}
