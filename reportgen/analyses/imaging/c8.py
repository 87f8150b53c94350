"""C8: do the heat-maps point at the annotated finding (CHECKS.md section 6)?

Run on correctly classified images that carry a ground-truth mask, for each gated map method,
next to the chance level |G|/N of every image and a seeded random-map control. A failure means
the maps or the model are suspect (shortcut learning: the model may rely on a marker, a ruler
or the scanner rather than the lesion); the report says so in those words.
"""

from __future__ import annotations

import numpy as np

from reportgen.analyses.context import Measure
from reportgen.analyses.imaging.context import SALT_CONTROL, ImageData
from reportgen.analyses.imaging.localisation import (
    Localisation,
    chance_levels,
    localisation,
    random_control,
)
from reportgen.results.document import CheckMetric, CheckResult, Cost

MIN_IMAGES = 5
"""Fewer annotated, correctly classified images than this give no meaningful C8."""


def run_localisation(data: ImageData) -> CheckResult:
    """Pointing game, relevance mass, relevance rank and pixel AUC per gated method."""
    spec = data.policy.checks.localisation
    rows = data.localisation_rows
    base = {"check": "localisation", "code": "C8", "model": data.model.name, "k": 0}
    if len(rows) < MIN_IMAGES:
        return CheckResult(
            **base,  # type: ignore[arg-type]  # literal fields spelt once
            instances=len(rows),
            metrics=[],
            error=f"only {len(rows)} correctly classified image(s) carry a mask; C8 needs at "
            f"least {MIN_IMAGES}",
            cost=Cost(model_rows=0, model_calls=0, wall_seconds=0.0, model_seconds=0.0),
        )
    masks = data.masks[rows]
    tolerance = spec.tolerance_px
    chance = chance_levels(masks, tolerance_px=tolerance)
    metrics: list[CheckMetric] = []
    with Measure(data.model) as measure:
        for method in spec.methods:
            found = localisation(data.maps(method, rows), masks, tolerance_px=tolerance)
            metrics += _metrics(method, found, chance)
        control = random_control(masks, rng=data.rng(SALT_CONTROL), tolerance_px=tolerance)
        metrics += _metrics("random", control, chance)
    return CheckResult(
        **base,  # type: ignore[arg-type]
        instances=len(rows),
        metrics=metrics,
        notes=[
            f"Checked on {len(rows)} correctly classified evaluation images with a mask; the "
            f"pointing game counts a hit when the map's peak lies within {spec.tolerance_px} px "
            "of the mask, and its figure is the hit rate. Chance is |G|/N, the mask's share of "
            "the image, for mass and rank; the share of pixels within the tolerance of the mask "
            "for the pointing game; 0.5 for the AUC."
        ],
        cost=measure.cost,
    )


def _metrics(method: str, found: Localisation, chance: Localisation) -> list[CheckMetric]:
    return [
        _metric(method, "pointing_game", found.pointing, float(found.pointing.mean()), chance),
        _metric(method, "relevance_mass", found.mass, float(np.median(found.mass)), chance),
        _metric(method, "relevance_rank", found.rank, float(np.median(found.rank)), chance),
        _metric(method, "auc", found.auc, float(np.median(found.auc)), chance),
    ]


_CHANCE_OF = {"pointing_game": "pointing", "relevance_mass": "mass", "relevance_rank": "rank"}


def _metric(
    method: str, name: str, values: np.ndarray, centre: float, chance: Localisation
) -> CheckMetric:
    level = getattr(chance, _CHANCE_OF.get(name, "auc"))
    return CheckMetric(
        method=method,
        metric=name,
        median=centre,
        tail=float(np.quantile(values, 0.1)),
        chance=float(np.mean(level) if name == "pointing_game" else np.median(level)),
        values=[round(float(v), 6) for v in values],
    )
