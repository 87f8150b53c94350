"""Individual images with their heat-maps, for policies that opt in (privacy.image_cases).

A patient image is personal data: this kind runs only when the policy asks for it, and the
privacy gate refuses its result otherwise. Cases are drawn by predicted class (seeded), their
ids become pseudonyms at the gate.
"""

from __future__ import annotations

import numpy as np

from reportgen.analyses.context import Measure
from reportgen.analyses.imaging.context import ImageData
from reportgen.analyses.imaging.localisation import relevance_mass
from reportgen.analyses.imaging.mean_maps import unit_scaled
from reportgen.analyses.sampling import stratified_sample
from reportgen.inputs.images import denormalise
from reportgen.results.imaging import ImageCase, ImageCasesResult

SALT_CASES = 23


def run_image_cases(data: ImageData) -> ImageCasesResult:
    """``privacy.image_cases`` images, stratified by predicted class, with every method's map."""
    classes = np.asarray(data.model.classes, dtype=object)
    pool = data.explained_rows
    chosen = stratified_sample(
        classes[data.predicted[pool]], data.policy.privacy.image_cases, data.rng(SALT_CASES)
    )
    rows = np.sort(pool[chosen])
    ids = data.frame[data.policy.data.id_column].to_numpy(dtype=str)
    with Measure(data.model) as measure:
        maps = {m: unit_scaled(data.maps(m, rows)) for m in data.settings.methods}
    pixels = denormalise(data.images[rows], data.policy.data.image).mean(axis=3)
    cases = []
    for i, row in enumerate(rows):
        mass = {}
        if data.has_mask[row]:
            masks = data.masks[row][None]
            mass = {m: float(relevance_mass(maps[m][i][None], masks)[0]) for m in maps}
        predicted = int(data.predicted[row])
        cases.append(
            ImageCase(
                case_id=str(ids[row]),
                label=str(classes[data.target[row]]),
                predicted=str(classes[predicted]),
                probability=round(float(data.predictions[row, predicted]), 4),
                pixels=_rounded(pixels[i]),
                maps={m: _rounded(maps[m][i]) for m in maps},
                relevance_mass={m: round(v, 4) for m, v in mass.items()},
            )
        )
    return ImageCasesResult(model=data.model.name, cases=cases, cost=measure.cost)


def _rounded(values: np.ndarray) -> list[list[float]]:
    return [[round(float(v), 3) for v in row] for row in values]
