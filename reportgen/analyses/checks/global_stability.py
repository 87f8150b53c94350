"""C7 global stability: do the reported top features survive resampling of the evaluation rows?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from reportgen.analyses.checks.common import check_k, scalar
from reportgen.analyses.checks.metrics import bootstrap_ci, bootstrap_topk_inclusion, top_k
from reportgen.analyses.context import SALT_BOOTSTRAP, Measure, ModelData
from reportgen.analyses.global_importance import scoring_of
from reportgen.analyses.metrics import score
from reportgen.analyses.permutation import importances
from reportgen.inputs.models import ModelAdapter
from reportgen.results.document import CheckMetric, CheckResult


def run_global_stability(data: ModelData) -> CheckResult:
    spec = data.checks.global_stability
    k = check_k(data)
    names = data.model.feature_names
    rng = data.rng(SALT_BOOTSTRAP)
    metrics: list[CheckMetric] = []
    notes = []
    with Measure(data.model) as measure:
        per_row = _explained_abs(data)
        full = per_row.mean(axis=0)
        top = top_k(full, k)
        inclusion, ci = bootstrap_topk_inclusion(per_row, k, spec.shap_bootstrap, rng)
        halfwidth = (ci[top, 1] - ci[top, 0]) / 2 / np.maximum(full[top], 1e-12)
        reliable = [names[j] for j in top if inclusion[j] >= spec.inclusion_min]
        metrics += [
            scalar(names[j], "top_k_inclusion_shap", inclusion[j], chance=k / len(names))
            for j in top
        ]
        metrics += [
            scalar(names[j], "rel_ci_halfwidth_shap", h)
            for j, h in zip(top, halfwidth, strict=True)
        ]
        if "permutation" in data.settings.global_.methods:
            pfi_inclusion, pfi_ci = _permutation_bootstrap(data, spec.permutation_bootstrap)
            pfi_top = top_k(pfi_ci.mean(axis=1), k)
            metrics += [
                scalar(names[j], "top_k_inclusion_permutation", pfi_inclusion[j]) for j in pfi_top
            ]
            excluded = [names[j] for j in pfi_top if pfi_ci[j, 0] <= 0]
            if excluded:
                notes.append(
                    "Permutation importance confidence interval includes 0 for: "
                    + ", ".join(excluded)
                    + "."
                )
    return CheckResult(
        check="global_stability",
        code="C7",
        model=data.model.name,
        instances=len(per_row),
        k=k,
        metrics=metrics,
        reliable_features=reliable,
        notes=notes,
        cost=measure.cost,
    )


def _explained_abs(data: ModelData) -> np.ndarray:
    """Per-row |SHAP| of the globally explained output (averaged over classes for multiclass)."""
    values = np.abs(data.global_shap.values)
    if data.positive_index is not None:
        return values[:, :, data.positive_index]
    return values.mean(axis=2)


def _permutation_bootstrap(data: ModelData, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Inclusion frequency in the top k and 95% CI of permutation importance over row resamples.

    Each replicate is a unit of work with its own seed (its rows and its shuffles)."""
    k = check_k(data)
    metric = scoring_of(data)
    shared = {
        "codes": data.evaluation,
        "target": data.target,
        "scoring": metric.name,
        "n_classes": len(data.model.classes or []),
    }
    seeds = data.seeds(SALT_BOOTSTRAP, np.ones(b, dtype=np.int64), np.arange(b))
    samples = data.work.map(bootstrap_task, shared, {"seed": seeds})["importances"]
    inclusion = np.zeros(samples.shape[1])
    for row in samples:
        inclusion[top_k(row, k)] += 1
    return inclusion / b, bootstrap_ci(samples)


def bootstrap_task(
    model: ModelAdapter, shared: Mapping[str, Any], rows: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Permutation importance (5 repeats) on row resamples, one seed per replicate: (b, d)."""
    metric = score(shared["scoring"], shared["n_classes"])
    codes, target = shared["codes"], shared["target"]
    found = []
    for seed in rows["seed"]:
        rng = np.random.default_rng(int(seed))
        picked = rng.integers(0, len(codes), size=len(codes))
        shuffles = int(rng.integers(2**31 - 1))
        repeats = importances(
            model, metric, codes[picked], target[picked], repeats=5, seed=shuffles
        )
        found.append(repeats.mean(axis=1))
    return {"importances": np.array(found).reshape(len(rows["seed"]), -1)}
