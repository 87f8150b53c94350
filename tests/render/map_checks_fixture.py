"""Hand-built results of the checks of an image model's maps, C3, C4 and C5 (#10).

The figures are chosen so that Grad-CAM passes every check while integrated gradients warns on
C3 and fails C4 and C5; the gates come from the policy's default thresholds, so their meanings
are the ones a real report prints. The notes are worded as the engine writes them.
"""

from __future__ import annotations

from imaging_fixture import MODEL, make_imaging_document

from reportgen.conditions import evaluate_gates
from reportgen.policy.checks import ChecksSpec
from reportgen.results.document import CheckMetric, CheckResult, Cost, ResultDocument

IMAGES = 20
K = 205
"""Top 5 % of a 64 x 64 image."""
TOP_K_CHANCE = 0.05
ROBUSTNESS_NOTE = (
    "20 images, 10 draws of Gaussian noise each (sd 0.1 of the pixels' sd); agreement of the "
    "top 205 pixels (5% of the image). Grad-CAM and integrated gradients are deterministic, so "
    "reruns give the same maps and only input noise is tested (C2 does not apply)."
)
REMOVAL_NOTE = (
    "20 images; 128 pixels per step (32 steps); 10 random orders per image as the control; "
    "deleted pixels become the image blurred plus Gaussian noise (in-distribution imputation) "
    "(the other substrate's deletion ratio is reported beside it, not gated); insertion starts "
    "from the image blurred (Gaussian, sigma 8 px), on which the model's median probability of "
    "the explained class is 0.52 (the substrate must remove the evidence: near 0.50 is good)."
)
CURVE_NOTES = [
    "gradcam: median Spearman after randomising each layer: head: 0.41, conv2: 0.12, conv1: 0.08.",
    "ig: median Spearman after randomising each layer: head: 0.88, conv2: 0.71, conv1: 0.62.",
]


def _cost() -> Cost:
    return Cost(model_rows=400, model_calls=4, wall_seconds=2.0, model_seconds=1.0)


def _metric(
    method: str, name: str, median: float, *, chance: float | None = None, lower: bool = False
) -> CheckMetric:
    """A metric of IMAGES values spread evenly around ``median``, its worse tail recorded."""
    values = [round(median + (i - IMAGES // 2) * 0.01, 4) for i in range(IMAGES)]
    ordered = sorted(values)
    tail = ordered[round(0.9 * (IMAGES - 1))] if lower else ordered[round(0.1 * (IMAGES - 1))]
    return CheckMetric(
        method=method, metric=name, median=median, tail=tail, chance=chance, values=values
    )


def make_map_robustness() -> CheckResult:
    """C3: Grad-CAM keeps its top pixels (0.91), integrated gradients only 0.62 (a warning)."""
    metrics = [
        metric
        for method, agreement, rho in (("gradcam", 0.91, 0.95), ("ig", 0.62, 0.71))
        for metric in (
            _metric(method, "top_k_agreement", agreement, chance=TOP_K_CHANCE),
            _metric(method, "spearman", rho, chance=0.0),
        )
    ]
    return CheckResult(
        check="map_robustness",
        code="C3",
        model=MODEL,
        instances=IMAGES,
        k=K,
        metrics=metrics,
        notes=[ROBUSTNESS_NOTE],
        cost=_cost(),
    )


def make_map_removal(gated: str = "noisy_blur") -> CheckResult:
    """C4: Grad-CAM's deletion ratio 0.52 passes; integrated gradients' 0.95 fails. ``gated``
    names the substrate of the gated ratio; the other is the report-only one."""
    other = "zeros" if gated == "noisy_blur" else "noisy_blur"
    metrics = [
        metric
        for method, deletion, insertion, shown in (
            ("gradcam", 0.52, 1.45, 0.81),
            ("ig", 0.95, 1.05, 0.97),
        )
        for metric in (
            _metric(method, "deletion_ratio", deletion, lower=True),
            _metric(method, "insertion_ratio", insertion),
            _metric(method, f"deletion_ratio_{other}", shown, lower=True),
        )
    ]
    return CheckResult(
        check="map_removal",
        code="C4",
        model=MODEL,
        instances=IMAGES,
        k=0,
        metrics=metrics,
        notes=[REMOVAL_NOTE],
        cost=_cost(),
    )


def make_map_randomisation() -> CheckResult:
    """C5: Grad-CAM's maps change (0.08); integrated gradients' barely do (0.62, a failure)."""
    metrics = [
        _metric(method, name, value, chance=0.0, lower=True)
        for method, values in (("gradcam", (0.08, 0.21, 0.12)), ("ig", (0.62, 0.71, 0.55)))
        for name, value in zip(("signed_spearman", "abs_spearman", "ssim"), values, strict=True)
    ]
    return CheckResult(
        check="map_randomisation",
        code="C5",
        model=MODEL,
        instances=IMAGES,
        k=0,
        metrics=metrics,
        notes=CURVE_NOTES,
        cost=_cost(),
    )


def make_map_checks() -> list[CheckResult]:
    return [make_map_robustness(), make_map_removal(), make_map_randomisation()]


def make_map_checks_document() -> ResultDocument:
    """The image model's document (with C8) plus C3, C4 and C5 and their default gates."""
    doc = make_imaging_document()
    checks = make_map_checks()
    gates = [*doc.gates, *evaluate_gates(checks, ChecksSpec())]
    return doc.model_copy(update={"results": [*doc.results, *checks], "gates": gates})
