"""A hand-built result of individual images of the imaging fixture's model (#10).

Two 64 x 64 cases with closed-form content, so a test knows each pixel's grey level and map
value: the image is a seeded smooth texture; each map is a Gaussian bump that is exactly 1 at
:data:`PEAK` and exactly 0 over the top rows (:data:`ZERO`). The first case is a lesion with an
outlined finding (relevance mass per method), the second a misclassified healthy image with no
outline. Maps are stored in the order canonical JSON gives them back (sorted by name).
"""

from __future__ import annotations

import math

import numpy as np
from imaging_fixture import MODEL

from reportgen.results.document import Cost
from reportgen.results.imaging import ImageCase, ImageCasesResult

SIZE = 64
PEAK = (40, 20)
"""(row, column) where every map is exactly 1."""
ZERO = (2, 50)
"""(row, column) inside the rows where every map is exactly 0."""
HALF = (5, 5)
"""(row, column) where the first case's Grad-CAM map is set to exactly 0.5."""
MASSES = {"gradcam": 0.6213, "ig": 0.4087, "occlusion": 0.0815}
LESION_ID = "pz-3f9a1c2e"
HEALTHY_ID = "pz-b70d44e1"
METHODS = ("gradcam", "ig", "occlusion")


def texture(seed: int) -> list[list[float]]:
    """A smooth grey texture in [0.15, 0.85], rounded as the analysis stores it."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((8, 8))
    smooth = np.kron(coarse, np.ones((8, 8)))
    grey = 0.15 + 0.7 * (0.7 * smooth + 0.3 * rng.random((SIZE, SIZE)))
    return [[round(float(v), 3) for v in row] for row in grey]


def bump(width: float) -> list[list[float]]:
    """1 at :data:`PEAK`, falling off with ``width``; 0 on the top 10 rows."""
    row0, column0 = PEAK
    return [
        [
            0.0
            if r < 10
            else round(math.exp(-((r - row0) ** 2 + (c - column0) ** 2) / (2 * width**2)), 3)
            for c in range(SIZE)
        ]
        for r in range(SIZE)
    ]


def _maps(with_half: bool) -> dict[str, list[list[float]]]:
    maps = {method: bump(width) for method, width in zip(METHODS, (6.0, 4.0, 9.0), strict=True)}
    if with_half:
        maps["gradcam"][HALF[0]][HALF[1]] = 0.5
    return maps


def make_image_cases() -> ImageCasesResult:
    return ImageCasesResult(
        model=MODEL,
        cases=[
            ImageCase(
                case_id=LESION_ID,
                label="lesion",
                predicted="lesion",
                probability=0.9312,
                pixels=texture(1),
                maps=_maps(with_half=True),
                relevance_mass=dict(MASSES),
            ),
            ImageCase(
                case_id=HEALTHY_ID,
                label="healthy",
                predicted="lesion",
                probability=0.5812,
                pixels=texture(2),
                maps=_maps(with_half=False),
            ),
        ],
        cost=Cost(model_rows=2, model_calls=3, wall_seconds=0.4, model_seconds=0.2),
    )
