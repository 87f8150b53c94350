"""A hand-built results document of an image model: performance, mean heat-maps, check C8 (#10).

No analysis runs: the maps are closed-form grids (a Gaussian blob at a known place), so a test
knows where each map is bright and which colour each value must get. Every map holds the value
0.5 at its top-left pixel, so the shared colour scale can be checked map by map. One cohort is
withheld by the privacy gate, and a group label carries ``<b>`` to prove the report escapes it.
"""

from __future__ import annotations

import math

from render_fixture import make_document

from reportgen.results.document import (
    CheckMetric,
    CheckResult,
    Cost,
    DatasetInfo,
    GateOutcome,
    Metric,
    ModelInfo,
    PerformanceResult,
    PrivacyReport,
    ResultDocument,
    Suppressed,
)
from reportgen.results.imaging import ImageMapsResult, MapFamily, MeanMap, MethodMaps

MODEL = "lesion_cnn"
CLASSES = ["healthy", "lesion"]
IMAGES = 392
SIZE = 64
STORED = 32
MIN_GROUP = 20
ESCAPED_SITE = "site <b>B</b>"
WITHHELD_REASON = "fewer than 20 people, or suppressed so that such a cohort cannot be derived"
MARKED = 0.5
"""The value every map holds at its top-left pixel."""
CHANCE = 0.04
C8_IMAGES = 120
LAYER = "features.3"


def _cost(rows: int = 0) -> Cost:
    return Cost(model_rows=rows, model_calls=1, wall_seconds=1.0, model_seconds=0.5)


def blob(
    row: float, column: float, *, peak: float, width: float = 4.0, rows: int = STORED
) -> list[list[float]]:
    """A Gaussian blob of height ``peak`` centred at (row, column), 0.5 at the top-left pixel."""
    grid = [
        [
            round(peak * math.exp(-((r - row) ** 2 + (c - column) ** 2) / (2 * width**2)), 4)
            for c in range(STORED)
        ]
        for r in range(rows)
    ]
    grid[0][0] = MARKED
    return grid


def _families(scale: float) -> list[MapFamily]:
    centre = STORED / 2
    return [
        MapFamily(
            name="predicted class",
            by="predicted_class",
            groups=[
                MeanMap(group="healthy", images=180, values=blob(3, 3, peak=0.8 * scale)),
                MeanMap(group="lesion", images=212, values=blob(centre, centre, peak=scale)),
            ],
        ),
        MapFamily(
            name="site",
            by="site",
            groups=[
                MeanMap(group="site A", images=151, values=blob(centre, 8, peak=0.6 * scale)),
                MeanMap(
                    group=ESCAPED_SITE,
                    images=240,
                    values=blob(8, centre, peak=0.7 * scale, rows=24),
                ),
                MeanMap(group="site C", images=None, suppressed=WITHHELD_REASON),
            ],
        ),
    ]


def make_image_maps() -> ImageMapsResult:
    """Grad-CAM, integrated gradients and occlusion, each with different peaks (so a map
    scaled to its own maximum would colour 0.5 differently)."""
    return ImageMapsResult(
        model=MODEL,
        images=IMAGES,
        height=SIZE,
        width=SIZE,
        layer=LAYER,
        explained="the logit of each image's predicted class",
        methods=[
            MethodMaps(
                method="gradcam",
                settings={"layer": LAYER, "upsampling": "bilinear"},
                families=_families(1.0),
                seconds=1.2,
            ),
            MethodMaps(
                method="ig",
                settings={
                    "steps": "32",
                    "rule": "Gauss-Legendre",
                    "baseline": "the normalised zero image",
                },
                families=_families(0.7),
                completeness=0.0021,
                seconds=4.5,
            ),
            MethodMaps(
                method="occlusion",
                settings={"window": "8 x 8 px", "stride": "4 px", "fill": "0 (normalised)"},
                families=_families(0.55),
                seconds=9.0,
            ),
        ],
        cost=_cost(IMAGES * 40),
    )


def _c8_metrics(method: str, hit: float, mass: float, rank: float, auc: float) -> list[CheckMetric]:
    def metric(name: str, centre: float, chance: float) -> CheckMetric:
        values = [
            round(min(1.0, max(0.0, centre + (i % 7 - 3) * 0.03)), 4) for i in range(C8_IMAGES)
        ]
        return CheckMetric(
            method=method,
            metric=name,
            median=centre,
            tail=round(max(0.0, centre - 0.09), 4),
            chance=chance,
            values=values,
        )

    hits = [1.0 if i < round(hit * C8_IMAGES) else 0.0 for i in range(C8_IMAGES)]
    return [
        CheckMetric(
            method=method,
            metric="pointing_game",
            median=hit,
            tail=0.0,
            chance=CHANCE,
            values=hits,
        ),
        metric("relevance_mass", mass, CHANCE),
        metric("relevance_rank", rank, CHANCE),
        metric("auc", auc, 0.5),
    ]


def make_localisation() -> CheckResult:
    """C8 with Grad-CAM on the finding, occlusion on a shortcut, and the random control."""
    return CheckResult(
        check="localisation",
        code="C8",
        model=MODEL,
        instances=C8_IMAGES,
        k=0,
        metrics=[
            *_c8_metrics("gradcam", 0.9083, 0.41, 0.52, 0.93),
            *_c8_metrics("occlusion", 0.1333, 0.06, 0.05, 0.55),
            *_c8_metrics("random", 0.0417, 0.041, 0.039, 0.5),
        ],
        notes=[
            "Checked on 120 correctly classified evaluation images with a mask; the pointing "
            "game counts a hit when the map's peak lies within 15 px of the mask."
        ],
        cost=_cost(),
    )


def c8_gate(method: str, status: str) -> GateOutcome:
    return GateOutcome(
        code="C8",
        check="localisation",
        model=MODEL,
        method=method,
        status=status,  # type: ignore[arg-type]  # one of the four statuses
        actual=f"pointing game for {method}",
        expected="pointing game >= 70 %",
        meaning=f"C8 {status} for {method}.",
    )


def make_imaging_document(*, with_c8: bool = True) -> ResultDocument:
    """The image model's document; ``with_c8=False`` leaves check C8 and its gates out."""
    base = make_document()
    model = ModelInfo(
        name=MODEL,
        format="torch_export",
        path="models/lesion_cnn.pt2",
        sha256="f" * 64,
        preprocessing_sha256=None,
        task="binary_classification",
        classes=CLASSES,
        features=[],
        trusted=False,
    )
    performance = PerformanceResult(
        model=MODEL,
        rows=IMAGES,
        metrics=[Metric(name="roc_auc", value=0.9412), Metric(name="accuracy", value=0.8852)],
        class_counts={"healthy": 180, "lesion": 212},
        cost=_cost(IMAGES),
    )
    results: list[object] = [performance, make_image_maps()]
    gates = []
    if with_c8:
        results.append(make_localisation())
        gates = [c8_gate("gradcam", "pass"), c8_gate("occlusion", "fail")]
    privacy = PrivacyReport(
        min_cohort_size=MIN_GROUP,
        rules=["No patient image or individual heat-map is published."],
        local_cases=False,
        suppressed=[
            Suppressed(
                family="mean maps: site", model=MODEL, cohort="site C", reason=WITHHELD_REASON
            )
        ],
    )
    return base.model_copy(
        update={
            "models": [model],
            "datasets": [
                DatasetInfo(
                    role="evaluation",
                    path="data/index.csv",
                    sha256="e" * 64,
                    rows=IMAGES,
                    columns=5,
                )
            ],
            "results": results,
            "gates": gates,
            "privacy": privacy,
        }
    )
