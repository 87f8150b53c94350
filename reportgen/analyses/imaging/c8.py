"""C8: do the heat-maps point at the annotated finding (CHECKS.md section 6)?

Run on correctly classified images that carry a ground-truth mask, for each gated map method,
next to the chance level |G|/N of every image and a seeded random-map control. A failure means
the maps or the model are suspect (shortcut learning: the model may rely on a marker, a ruler
or the scanner rather than the lesion); the report says so in those words.
"""

from __future__ import annotations

import numpy as np

from reportgen.analyses.context import Measure
from reportgen.analyses.imaging import localisation as loc
from reportgen.analyses.imaging.context import SALT_CONTROL, ImageData
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
    chance = loc.chance(masks)
    metrics: list[CheckMetric] = []
    with Measure(data.model) as measure:
        for method in spec.methods:
            metrics += _metrics(method, data.maps(method, rows), masks, chance, spec.tolerance_px)
        control = loc.random_maps(masks.shape, data.rng(SALT_CONTROL))
        metrics += _metrics("random", control, masks, chance, spec.tolerance_px)
    return CheckResult(
        **base,  # type: ignore[arg-type]
        instances=len(rows),
        metrics=metrics,
        notes=[
            f"Checked on {len(rows)} correctly classified evaluation images with a mask; the "
            f"pointing game counts a hit when the map's peak lies within {spec.tolerance_px} px "
            "of the mask, and its figure is the hit rate. Chance is |G|/N, the mask's share of "
            "the image (0.5 for the AUC)."
        ],
        cost=measure.cost,
    )


def _metrics(
    method: str, maps: np.ndarray, masks: np.ndarray, chance: np.ndarray, tolerance: int
) -> list[CheckMetric]:
    hits = loc.pointing_game(maps, masks, tolerance_px=tolerance).astype(np.float64)
    mass = loc.relevance_mass(maps, masks)
    rank = loc.relevance_rank(maps, masks)
    auc = loc.pixel_auc(maps, masks)
    median_chance = float(np.median(chance))
    return [
        _metric(method, "pointing_game", hits, float(hits.mean()), median_chance),
        _metric(method, "relevance_mass", mass, float(np.median(mass)), median_chance),
        _metric(method, "relevance_rank", rank, float(np.median(rank)), median_chance),
        _metric(method, "auc", auc, float(np.median(auc)), 0.5),
    ]


def _metric(
    method: str, name: str, values: np.ndarray, centre: float, chance: float
) -> CheckMetric:
    return CheckMetric(
        method=method,
        metric=name,
        median=centre,
        tail=float(np.quantile(values, 0.1)),
        chance=chance,
        values=[round(float(v), 6) for v in values],
    )
