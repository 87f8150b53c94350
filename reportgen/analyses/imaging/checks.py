"""Trust checks on image maps: C3 noise robustness, C4 pixel deletion/insertion, C5 model
randomisation (CHECKS.md sections 2.4, 4.3, 4.6), each gated like its tabular counterpart.

Each check runs on a seeded sample of the explained images (stratified by predicted class),
for the gradient-family maps (Grad-CAM and integrated gradients; occlusion is read through C8
and the mean maps only, its cost times the draws would dominate the report). A check that
cannot be computed becomes an ERROR result naming the cause, like every check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from reportgen._lazy import require
from reportgen.analyses.context import Measure
from reportgen.analyses.imaging.context import ImageData
from reportgen.analyses.imaging.removal import blur, noisy_blur, removal_curves
from reportgen.analyses.imaging.sanity import randomisation_test
from reportgen.analyses.imaging.stability import noise_stability
from reportgen.analyses.sampling import stratified_sample
from reportgen.errors import ReportgenError
from reportgen.results.document import CheckMetric, CheckName, CheckResult, Cost

GRADIENT_METHODS = ("gradcam", "ig")
SALT_SAMPLE, SALT_NOISE, SALT_ORDERS, SALT_RANDOMISE = 30, 31, 32, 33
SUBSTRATE_WORDS = {
    "noisy_blur": "the image blurred plus Gaussian noise (in-distribution imputation)",
    "zeros": "0 (the normalised mean, as RISE)",
}
REMOVAL_STEPS = 32
"""C4 moves H * W / 32 pixels per step (RISE moves one row per step: H steps)."""
TOP_SHARE = 0.05
"""C3 compares each map's top 5 % of pixels with the noisy copies' (k = 5 % of H x W)."""


def checked_methods(data: ImageData) -> list[str]:
    return [m for m in GRADIENT_METHODS if m in data.settings.methods]


def run_map_robustness(data: ImageData) -> CheckResult:
    """C3: do small, class-preserving noise draws leave each map's top pixels in place?"""
    spec = data.policy.checks.perturbation
    rows = _sample(data, spec.instances)
    pixels = data.images.shape[2] * data.images.shape[3]
    k = max(1, round(TOP_SHARE * pixels))
    sigma = spec.sigma_sd * float(data.images.std())

    def compute() -> tuple[list[CheckMetric], list[str]]:
        metrics, torch = [], require("torch")
        images, targets = torch.from_numpy(data.images[rows]), data.predicted[rows]
        for method in checked_methods(data):
            model, map_fn = data.map_function(method)
            found = noise_stability(
                map_fn,
                model,
                images,
                targets=targets,
                noise_std=sigma,
                draws=spec.draws,
                k=k,
                seed=data.policy.seed + SALT_NOISE,
            )
            metrics += [
                _metric(method, "top_k_agreement", found.top_k, chance=found.chance_top_k),
                _metric(method, "spearman", found.spearman, chance=0.0),
            ]
        note = (
            f"{len(rows)} images, {spec.draws} draws of Gaussian noise each (sd {spec.sigma_sd} "
            f"of the pixels' sd); agreement of the top {k} pixels ({TOP_SHARE:.0%} of the "
            "image). Grad-CAM and integrated gradients are deterministic, so reruns give the "
            "same maps and only input noise is tested (C2 does not apply)."
        )
        return metrics, [note]

    return _run("map_robustness", "C3", data, rows, k, compute)


def run_map_removal(data: ImageData) -> CheckResult:
    """C4: does deleting the pixels a map ranks first lower the output more than random orders
    (and inserting them raise it more)? Deleted pixels become the policy's substrate (default
    the noisy blur, in distribution; zeros as RISE), the other substrate's ratio is reported
    beside it; insertion starts from a blur that removes the evidence."""
    spec = data.policy.checks.removal
    rows = _sample(data, spec.images)
    height, width = data.images.shape[2:]
    per_step = max(1, height * width // REMOVAL_STEPS)

    def compute() -> tuple[list[CheckMetric], list[str]]:
        torch = require("torch")
        images, targets = torch.from_numpy(data.images[rows]), data.predicted[rows]
        sigma = width / 8
        blurred = blur(images, sigma=sigma)
        noisy = noisy_blur(
            images,
            rng=data.rng(SALT_NOISE),
            noise_std=0.1 * float(data.images.std()),
            sigma=sigma,
        )
        metrics: list[CheckMetric] = []
        start_p = float("nan")
        for method in checked_methods(data):
            maps = data.maps(method, rows)
            settings: dict[str, Any] = {
                "targets": targets,
                "pixels_per_step": per_step,
                "random_orders": spec.random_orders,
                "insertion_substrate": blurred,
                "batch_size": data.settings.batch_size,
                "meter": data.model.meter,
            }
            gated = spec.image_substrate
            curves = {
                substrate: removal_curves(
                    data.model.network,
                    images,
                    maps,
                    rng=data.rng(SALT_ORDERS),
                    deletion_substrate=noisy if substrate == "noisy_blur" else None,
                    **settings,
                )
                for substrate in (gated, "zeros" if gated == "noisy_blur" else "noisy_blur")
            }
            chosen, other = curves.values()
            start_p = float(np.median(chosen.insertion[:, 0]))
            metrics += [
                _metric(
                    method,
                    "deletion_ratio",
                    _ratio(chosen.deletion_auc, chosen.random_deletion_auc),
                    lower_is_better=True,
                ),
                _metric(
                    method,
                    "insertion_ratio",
                    _ratio(chosen.insertion_auc, chosen.random_insertion_auc),
                ),
                _metric(
                    method,
                    f"deletion_ratio_{list(curves)[1]}",
                    _ratio(other.deletion_auc, other.random_deletion_auc),
                    lower_is_better=True,
                ),
            ]
        note = (
            f"{len(rows)} images; {per_step} pixels per step ({REMOVAL_STEPS} steps); "
            f"{spec.random_orders} random orders per image as the control; deleted pixels "
            f"become {SUBSTRATE_WORDS[spec.image_substrate]} (the other substrate's deletion "
            "ratio is reported beside it, not gated); insertion starts from the image blurred "
            f"(Gaussian, sigma {sigma:g} px), on which the model's median probability of the "
            f"explained class is {start_p:.2f} (the substrate must remove the evidence: near "
            f"{1 / len(data.model.classes):.2f} is good)."
        )
        return metrics, [note]

    return _run("map_removal", "C4", data, rows, 0, compute)


def run_map_randomisation(data: ImageData) -> CheckResult:
    """C5: do the maps change when the model's weights are randomised, top layer down? Maps are
    smoothed over noisy copies (smooth MPRT) so gradient noise alone cannot pass the check."""
    spec = data.policy.checks.randomisation
    rows = _sample(data, spec.instances)

    def compute() -> tuple[list[CheckMetric], list[str]]:
        torch = require("torch")
        images, targets = torch.from_numpy(data.images[rows]), data.predicted[rows]
        metrics: list[CheckMetric] = []
        notes = []
        for method in checked_methods(data):
            model, map_fn = data.map_function(method)

            def fresh(_: Any, hooks: bool = method == "gradcam") -> Any:
                return data.model.fresh(with_layers=hooks)  # Grad-CAM's copy must take hooks

            layers = randomisation_test(
                map_fn,
                model,
                images,
                targets=targets,
                seed=data.policy.seed + SALT_RANDOMISE,
                noise_std=0.1 * float(data.images.std()),
                draws=min(spec.draws, 10),
                copy_model=fresh,
            )
            final = layers[-1][1]
            metrics += [
                _metric(method, name, values, chance=0.0, lower_is_better=True)
                for name, values in (
                    ("signed_spearman", final.spearman),
                    ("abs_spearman", final.abs_spearman),
                    ("ssim", final.ssim),
                )
            ]
            curve = ", ".join(f"{name}: {float(np.median(s.spearman)):.2f}" for name, s in layers)
            notes.append(f"{method}: median Spearman after randomising each layer: {curve}.")
        notes.insert(
            0,
            f"{len(rows)} images; each map averaged over {min(spec.draws, 10)} noisy copies "
            "of its image (Gaussian noise of sd 0.1 times the pixels' sd, the same for the "
            "original and the randomised model: smooth MPRT); layers randomised from the top "
            "down (re-initialised, or redrawn at their own scale).",
        )
        return metrics, notes

    return _run("map_randomisation", "C5", data, rows, 0, compute)


def _run(
    name: CheckName,
    code: str,
    data: ImageData,
    rows: np.ndarray,
    k: int,
    compute: Callable[[], tuple[list[CheckMetric], list[str]]],
) -> CheckResult:
    base: dict[str, Any] = {"check": name, "code": code, "model": data.model.name, "k": k}
    try:
        with Measure(data.model) as measure:
            metrics, notes = compute()
    except (ReportgenError, ValueError, RuntimeError, ArithmeticError, IndexError) as exc:
        return CheckResult(
            **base,
            instances=0,
            metrics=[],
            error=f"{type(exc).__name__}: {first_line(exc)}",
            cost=Cost(model_rows=0, model_calls=0, wall_seconds=0.0, model_seconds=0.0),
        )
    return CheckResult(**base, instances=len(rows), metrics=metrics, notes=notes, cost=measure.cost)


def first_line(exc: BaseException) -> str:
    """An exception's first line: torch appends C++ frames a report must not carry."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def _sample(data: ImageData, size: int) -> np.ndarray:
    """A seeded sample of the explained images, stratified by predicted class."""
    pool = data.explained_rows
    classes = np.asarray(data.model.classes, dtype=object)[data.predicted[pool]]
    return np.sort(pool[stratified_sample(classes, size, data.rng(SALT_SAMPLE))])


def _ratio(found: np.ndarray, control: np.ndarray) -> np.ndarray:
    return np.asarray(found / np.where(control > 0, control, np.nan), dtype=np.float64)


def _metric(
    method: str,
    name: str,
    values: np.ndarray,
    *,
    chance: float | None = None,
    lower_is_better: bool = False,
) -> CheckMetric:
    """Median and worse tail (P90 when lower is better, else P10) of the finite values."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if not len(finite):
        raise ValueError(f"{method} {name}: no image gave a finite value")
    return CheckMetric(
        method=method,
        metric=name,
        median=float(np.median(finite)),
        tail=float(np.quantile(finite, 0.9 if lower_is_better else 0.1)),
        chance=chance,
        values=[round(float(v), 6) for v in finite],
    )
