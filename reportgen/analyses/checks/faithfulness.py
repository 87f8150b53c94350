"""C4 removal faithfulness and C5 randomisation sanity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reportgen.analyses.checks.common import check_k, metric, target_output
from reportgen.analyses.checks.metrics import (
    curve_auc,
    faithfulness_correlation,
    rank_correlation,
    removal_curves_batch,
    removal_ratio,
    signed_spearman,
)
from reportgen.analyses.context import SALT_RANDOMISE, SALT_REMOVAL, Measure, ModelData
from reportgen.analyses.explain.registry import Explainer, ig_explainer
from reportgen.inputs.models import ModelAdapter, TorchAdapter
from reportgen.inputs.preprocessing import sum_groups
from reportgen.results.document import CheckMetric, CheckResult


def substrate(data: ModelData) -> np.ndarray:
    """The 'feature removed' value: background mean (numeric) or most common level (categorical)."""
    out = data.background.mean(axis=0)
    for j in data.model.codec.categorical_indices:
        levels, counts = np.unique(data.background[:, j], return_counts=True)
        out[j] = levels[np.argmax(counts)]
    return out


@dataclass(frozen=True)
class _Removal:
    """The instances C4 removes features from, and how it reads the model's output."""

    data: ModelData
    xs: np.ndarray
    targets: np.ndarray
    substrate: np.ndarray
    distance: bool  # regressors: distance from f(x) along the path; features by |attribution|

    def aucs(self, orders: np.ndarray) -> np.ndarray:
        """(n, 2, m) deletion and insertion AUC of each instance under each of its m orders."""
        out = np.zeros((len(self.xs), 2, orders.shape[1]))
        for t in np.unique(self.targets):
            chosen = self.targets == t
            deletion, insertion = removal_curves_batch(
                target_output(self.data, int(t)),
                self.xs[chosen],
                self.substrate,
                orders[chosen],
                distance=self.distance,
            )
            out[chosen, 0] = curve_auc(deletion)
            out[chosen, 1] = curve_auc(insertion)
        return out

    def order(self, values: np.ndarray) -> np.ndarray:
        """(n, 1, d) features by attribution: most supportive first, or largest |e| first."""
        key = np.abs(values) if self.distance else values
        return np.argsort(-key, axis=1, kind="stable")[:, None, :]


def run_removal(data: ModelData) -> CheckResult:
    """Deletion/insertion curves by attribution order against random orders; faithfulness corr."""
    spec = data.checks.removal
    rows = data.check_rows
    xs, targets = data.evaluation[rows], data.targets(rows)
    d = xs.shape[1]
    removal = _Removal(data, xs, targets, substrate(data), distance=not data.model.classes)
    rng = data.rng(SALT_REMOVAL)
    random_orders = np.argsort(rng.random((len(rows), spec.random_orders, d)), axis=2)
    metrics: list[CheckMetric] = []
    with Measure(data.model) as measure:
        reference = removal.aucs(random_orders).mean(axis=2)
        for method in [*data.explainers, "random"]:
            values = data.attribution(method).values
            aucs = removal.aucs(removal.order(values))[:, :, 0]
            ratios = removal_ratio(aucs, reference, distance=removal.distance)
            metrics += [
                metric(
                    method,
                    "deletion_ratio",
                    ratios[:, 0],
                    threshold=spec.deletion_ratio_max,
                    higher_is_better=False,
                ),
                metric(method, "insertion_ratio", ratios[:, 1], threshold=spec.insertion_ratio_min),
                metric(
                    method,
                    "faithfulness_correlation",
                    _faithfulness(removal, values, rng),
                    threshold=spec.faithfulness_min,
                    chance=0.0,
                ),
            ]
    return CheckResult(
        check="removal_faithfulness",
        code="C4",
        model=data.model.name,
        instances=len(rows),
        k=check_k(data),
        metrics=metrics,
        cost=measure.cost,
        notes=_removal_notes(data, d, removal.distance),
    )


def _faithfulness(removal: _Removal, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Faithfulness correlation per instance (each explained output in turn)."""
    data, xs, targets = removal.data, removal.xs, removal.targets
    out = np.zeros(len(xs))
    for t in np.unique(targets):
        chosen = targets == t
        out[chosen] = faithfulness_correlation(
            target_output(data, int(t)),
            xs[chosen],
            values[chosen],
            removal.substrate,
            subset_size=max(1, int(np.ceil(xs.shape[1] / 4))),
            runs=data.checks.removal.faithfulness_runs,
            rng=rng,
        )
    return out


def _removal_notes(data: ModelData, d: int, distance: bool) -> list[str]:
    spec = data.checks.removal
    notes = [
        f"Removed features take the background mean (numeric) or most common level; "
        f"compared with {spec.random_orders} random orders per instance; faithfulness "
        f"correlation over {spec.faithfulness_runs} random subsets of {int(np.ceil(d / 4))} "
        "features" + ("." if distance else " (instances grouped by explained class).")
    ]
    if distance:
        notes.append(
            "A predicted value has no natural zero, so the curves follow its distance from the "
            "instance's prediction f(x), measured along the path of one-feature steps (steps "
            "up and down add, they do not cancel), with features ordered by the size of their "
            "attribution. Deletion ratio = random orders' area under the distance travelled "
            "from f(x) as features are removed / the explanation's area; insertion ratio = "
            "random orders' area under the distance still to go to f(x) as features are put "
            "back / the explanation's area. As for classifiers, below 1 (deletion) and above 1 "
            "(insertion) beat chance; a prediction that never moves gives 1."
        )
    return notes


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
            "ig": lambda model: ig_explainer(model, data.policy, background=data.background)
        }
    if not isinstance(data.model, TorchAdapter):
        raise ValueError("randomisation sanity applies to torch models only")
    rows = data.check_rows[: spec.instances]
    xs, targets = data.evaluation[rows], data.targets(rows)
    base_seed = data.sub_seed(SALT_RANDOMISE)
    randomised = [data.model.randomised(base_seed + r) for r in range(spec.draws)]
    scale = _input_scale(data, xs)
    metrics: list[CheckMetric] = []
    with Measure(data.model) as measure:
        for method, build in explainers.items():
            before = build(data.model).explain(xs, targets, data.seed).values
            afters = [build(model).explain(xs, targets, data.seed).values for model in randomised]
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
