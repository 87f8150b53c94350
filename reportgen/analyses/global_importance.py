"""Global importance: mean |SHAP| per raw feature, and permutation importance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from reportgen.analyses.context import (
    SALT_PERMUTATION,
    Measure,
    ModelData,
)
from reportgen.analyses.metrics import Score, default_scoring, score
from reportgen.analyses.permutation import drops, shuffles
from reportgen.inputs.models import ModelAdapter
from reportgen.results.document import (
    FeatureImportance,
    GlobalShapResult,
    PermutationImportanceResult,
)


def ranked(
    names: list[str], values: np.ndarray, spread: np.ndarray | None = None
) -> list[FeatureImportance]:
    """Importances sorted by value, largest first (ties by name); rank 1 is the largest."""
    order = sorted(range(len(names)), key=lambda j: (-float(values[j]), names[j]))
    return [
        FeatureImportance(
            feature=names[j],
            value=float(values[j]),
            spread=None if spread is None else float(spread[j]),
            rank=rank,
        )
        for rank, j in enumerate(order, start=1)
    ]


def mean_abs_shap(data: ModelData, values: np.ndarray) -> tuple[int | None, np.ndarray]:
    """The explained output (None: every class, averaged) and the mean |SHAP| per feature of
    SHAP ``values`` (rows, features, outputs): the positive class of a binary classifier, every
    class of a multiclass one, the value of a regressor."""
    k = (
        data.positive_index
        if data.positive_index is not None
        else (0 if not data.model.classes else None)
    )
    outputs = slice(None) if k is None else slice(k, k + 1)
    return k, np.abs(values[:, :, outputs]).mean(axis=(0, 2))


def run_global_shap(data: ModelData) -> GlobalShapResult:
    """Mean |SHAP| of the explained output over a seeded sample of evaluation rows.

    Binary classifiers explain the positive class; multiclass models average |SHAP| over classes;
    regressors explain the predicted value.
    """
    model = data.model
    with Measure(model) as measure:
        values = data.global_shap
    k, mean_abs = mean_abs_shap(data, values.values)
    outputs = slice(None) if k is None else slice(k, k + 1)
    return GlobalShapResult(
        model=model.name,
        output=data.output_name(k),
        estimator=values.estimator,
        evals_per_row=values.evals_per_row,
        background_rows=len(data.background),
        rows=len(data.global_rows),
        base_value=float(values.base[k]) if k is not None else None,
        additivity_max_error=float(values.additivity_error.max()),
        standard_error_mean=float(values.standard_error[:, :, outputs].mean()),
        standard_error_max=float(values.standard_error[:, :, outputs].max(initial=0.0)),
        target_error=values.target_error,
        orders_per_row=float(values.orders.mean()) if values.estimator == "permutation" else None,
        importances=ranked(model.feature_names, mean_abs),
        cost=measure.cost,
    )


def scoring_of(data: ModelData) -> Score:
    """The score permutation importance measures the drop of."""
    n_classes = len(data.model.classes or [])
    return score(data.settings.permutation.scoring or default_scoring(n_classes), n_classes)


def permutation_task(
    model: ModelAdapter, shared: Mapping[str, Any], rows: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Permutation importance repeats, one seed each: (repeats, d) importances."""
    metric = score(shared["scoring"], shared["n_classes"])
    codes = shared["codes"]
    orders = [shuffles(len(codes), 1, int(seed))[0] for seed in rows["seed"]]
    found = drops(model, metric, codes, shared["target"], np.array(orders).reshape(-1, len(codes)))
    return {"importances": found.T}


def run_permutation(data: ModelData) -> PermutationImportanceResult:
    """Permutation importance (scikit-learn's estimator) on the evaluation rows, with the
    spread of repeats.

    Each repeat is a unit of work with a seed of its own, so repeats can run anywhere.
    """
    spec = data.settings.permutation
    model = data.model
    metric = scoring_of(data)
    shared = {
        "codes": data.evaluation,
        "target": data.target,
        "scoring": metric.name,
        "n_classes": len(model.classes or []),
    }
    repeats = np.arange(spec.n_repeats)
    with Measure(model) as measure:
        baseline = metric.compute(data.target, data.predictions)
        found = data.work.map(
            permutation_task, shared, {"seed": data.seeds(SALT_PERMUTATION, repeats)}
        )["importances"]
    return PermutationImportanceResult(
        model=model.name,
        scoring=metric.name,
        higher_is_better=metric.higher_is_better,
        baseline_score=baseline,
        n_repeats=spec.n_repeats,
        rows=len(data.evaluation),
        importances=ranked(model.feature_names, found.mean(axis=0), found.std(axis=0)),
        cost=measure.cost,
    )
