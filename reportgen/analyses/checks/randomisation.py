"""C5 randomisation sanity: do gradient attributions change when the weights are randomised?"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reportgen.analyses.checks.common import check_k, metric
from reportgen.analyses.checks.metrics import rank_correlation, signed_spearman
from reportgen.analyses.context import SALT_RANDOMISE, Measure, ModelData
from reportgen.analyses.explain.registry import Explainer, ig_explainer
from reportgen.inputs.models import ModelAdapter, TorchAdapter
from reportgen.inputs.preprocessing import sum_groups
from reportgen.results.document import CheckMetric, CheckResult


def run_randomisation(
    data: ModelData, explainers: dict[str, Callable[[ModelAdapter], Explainer]] | None = None
) -> CheckResult:
    """Explain with the trained and with a weight-randomised model; similar maps fail.

    Args:
        explainers: method name -> builder of that method for a given model. Defaults to the
            gradient methods of a torch model (integrated gradients).
    """
    spec = data.checks.randomisation
    if explainers is None:
        explainers = {
            "ig": lambda model: ig_explainer(
                model, data.explain_settings, background=data.background
            )
        }
    if not isinstance(data.model, TorchAdapter):
        raise ValueError("randomisation sanity applies to torch models only")
    rows = data.check_rows[: spec.instances]
    xs, targets = data.evaluation[rows], data.targets(rows)
    base_seed = data.sub_seed(SALT_RANDOMISE)
    randomised = [data.model.randomised(base_seed + r) for r in range(spec.draws)]
    scale = _input_scale(data, xs)
    seeds = data.seeds(SALT_RANDOMISE, rows)
    metrics: list[CheckMetric] = []
    with Measure(data.model) as measure:
        for method, build in explainers.items():
            before = build(data.model).explain(xs, targets, seeds).values
            afters = [build(model).explain(xs, targets, seeds).values for model in randomised]
            signed = np.mean([signed_spearman(before, a) for a in afters], axis=0)
            normalised = np.mean(
                [rank_correlation(np.abs(before) / scale, np.abs(a) / scale) for a in afters],
                axis=0,
            )
            absolute = np.mean([rank_correlation(before, a) for a in afters], axis=0)
            metrics += [
                metric(
                    method,
                    "signed_spearman",
                    signed,
                    threshold=spec.spearman_max,
                    higher_is_better=False,
                    chance=0.0,
                ),
                metric(
                    method,
                    "normalised_spearman",
                    normalised,
                    threshold=spec.spearman_max,
                    higher_is_better=False,
                    chance=0.0,
                ),
                metric(method, "abs_spearman", absolute, chance=0.0),
            ]
    return CheckResult(
        check="randomisation_sanity",
        code="C5",
        model=data.model.name,
        instances=len(rows),
        k=check_k(data),
        metrics=metrics,
        cost=measure.cost,
        notes=[
            f"Every weight redrawn at random with its layer's scale (full randomisation), "
            f"{spec.draws} independent draws averaged; "
            "|e| is also divided by |x - baseline| so the input's own magnitude cannot pass "
            "for model dependence."
        ],
    )


def _input_scale(data: ModelData, xs: np.ndarray) -> np.ndarray:
    """|x - baseline| per raw feature (encoded group L1 norm), floored to avoid division by 0."""
    model = data.model
    if not isinstance(model, TorchAdapter):
        return np.ones_like(xs)
    pre = model.preprocessing
    diff = np.abs(pre.encode(xs) - pre.encode(data.background).mean(axis=0))
    return np.maximum(sum_groups(diff, pre.groups), 1e-12)
