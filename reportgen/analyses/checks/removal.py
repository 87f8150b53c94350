"""C4 removal faithfulness: does removing the top-ranked features move the prediction more than
removing features in random orders? And does removing a subset move it by about what its
attributions add up to (faithfulness correlation)?

Each instance is one unit of work (:func:`removal_task`): its random orders and subsets come
from its own seed, and its curves from its own model calls, so shards change no number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from reportgen.analyses.checks.common import check_k, metric
from reportgen.analyses.checks.metrics import (
    curve_auc,
    faithfulness_correlation,
    removal_curves_batch,
    removal_ratio,
)
from reportgen.analyses.context import SALT_REMOVAL, Measure, ModelData
from reportgen.analyses.work import unit_rng
from reportgen.inputs.models import ModelAdapter
from reportgen.results.document import CheckMetric, CheckResult


def substrate(data: ModelData) -> np.ndarray:
    """The 'feature removed' value: background mean (numeric) or most common level (categorical)."""
    out = data.background.mean(axis=0)
    for j in data.model.codec.categorical_indices:
        levels, counts = np.unique(data.background[:, j], return_counts=True)
        out[j] = levels[np.argmax(counts)]
    return out


def run_removal(data: ModelData) -> CheckResult:
    """Deletion/insertion curves by attribution order against random orders; faithfulness corr."""
    spec = data.checks.removal
    rows = data.check_rows
    methods = [*data.explainers, "random"]
    d = data.evaluation.shape[1]
    distance = not data.model.classes
    with Measure(data.model) as measure:
        values = np.stack([data.attribution(m).values for m in methods], axis=1)  # (n, M, d)
        shared = {
            "substrate": substrate(data),
            "distance": distance,
            "random_orders": spec.random_orders,
            "runs": spec.faithfulness_runs,
            "subset": max(1, int(np.ceil(d / 4))),
        }
        units = {
            "x": data.evaluation[rows],
            "target": data.targets(rows),
            "seed": data.seeds(SALT_REMOVAL, rows),
            "values": values,
        }
        found = data.work.map(removal_task, shared, units)
    metrics: list[CheckMetric] = []
    for i, method in enumerate(methods):
        ratios = removal_ratio(found["aucs"][:, i], found["reference"], distance=distance)
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
                found["faithfulness"][:, i],
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
        notes=_removal_notes(data, d, distance),
    )


def removal_task(
    model: ModelAdapter, shared: Mapping[str, Any], rows: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """C4 for a shard of instances, each from its own seed.

    ``rows``: x (n, d), target (n,), seed (n,), values (n, M, d) of M methods. Returns the
    random orders' mean AUCs ``reference`` (n, 2), each method's ``aucs`` (n, M, 2) and
    ``faithfulness`` (n, M).
    """
    n, methods, d = rows["values"].shape
    reference, aucs, faith = np.zeros((n, 2)), np.zeros((n, methods, 2)), np.zeros((n, methods))
    for i in range(n):
        x, t, values = rows["x"][i], int(rows["target"][i]), rows["values"][i]
        predict = _output(model, t)
        random_orders = chance_orders(int(rows["seed"][i]), shared["random_orders"], d)
        key = np.abs(values) if shared["distance"] else values
        orders = np.concatenate([random_orders, np.argsort(-key, axis=1, kind="stable")])
        deletion, insertion = removal_curves_batch(
            predict, x[None], shared["substrate"], orders[None], distance=shared["distance"]
        )
        areas = np.stack([curve_auc(deletion[0]), curve_auc(insertion[0])], axis=1)  # (orders, 2)
        reference[i] = areas[: len(random_orders)].mean(axis=0)
        aucs[i] = areas[len(random_orders) :]
        subsets = unit_rng(int(rows["seed"][i]), 1)
        faith[i] = faithfulness_correlation(
            predict,
            x,
            values,
            shared["substrate"],
            subset_size=shared["subset"],
            runs=shared["runs"],
            rng=subsets,
        )
    return {"reference": reference, "aucs": aucs, "faithfulness": faith}


def chance_orders(seed: int, count: int, d: int) -> np.ndarray:
    """The ``count`` random feature orders (count, d) an instance with ``seed`` is compared to."""
    return np.argsort(unit_rng(seed, 0).random((count, d)), axis=1)


def _output(model: ModelAdapter, target: int) -> Any:
    """Coded rows -> the model output ``target`` for each row (probability or value)."""

    def predict(codes: np.ndarray) -> np.ndarray:
        out = model.predict_codes(codes)
        return out[:, target] if out.ndim == 2 else out

    return predict


def _removal_notes(data: ModelData, d: int, distance: bool) -> list[str]:
    spec = data.checks.removal
    notes = [
        f"Removed features take the background mean (numeric) or most common level; "
        f"compared with {spec.random_orders} random orders per instance; faithfulness "
        f"correlation over {spec.faithfulness_runs} random subsets of {int(np.ceil(d / 4))} "
        "features, the same subsets for every method."
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
