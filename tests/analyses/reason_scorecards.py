"""Credit scorecards whose reasons are known, and the ModelData the reason analyses run on.

A *linear scorecard* has P(bad) = BIAS + WEIGHTS . x on numeric features kept in [0, 1], so
P(bad) stays a probability without clipping and its interventional SHAP values are exactly
w_i (x_i - mean_i), the mean taken over the reference background: the reasons are known in
closed form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from reportgen.analyses.context import ModelData
from reportgen.policy.consistency import cross_key_problems
from reportgen.policy.schema import Policy
from tests.analyses.toy_models import FunctionModel, numeric_codec

D = 6
WEIGHTS = np.array([0.30, -0.20, 0.15, 0.10, -0.05, 0.12])
BIAS = 0.3
FEATURES = [f"x{j}" for j in range(D)]
FAMILIES = [  # (name, statement, features): x0 and x1 summed, x3 and x4 summed
    ("alpha", "Alpha statement", ["x0", "x1"]),
    ("beta", "Beta statement", ["x2"]),
    ("gamma", "Gamma statement", ["x3", "x4"]),
    ("delta", "Delta statement", ["x5"]),
]


def linear_p_bad(codes: np.ndarray) -> np.ndarray:
    """P(bad) of the linear scorecard."""
    return BIAS + codes @ WEIGHTS


def two_classes(p_bad: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """A classifier's outputs [P(good), P(bad)] from a function giving P(bad)."""

    def predict(codes: np.ndarray) -> np.ndarray:
        p = p_bad(codes)
        return np.column_stack([1.0 - p, p])

    return predict


def scorecard_policy(
    *,
    features: list[str] = FEATURES,
    families: list[tuple[str, str, list[str]]] = FAMILIES,
    shap: dict[str, Any] | None = None,
    checks: dict[str, Any] | None = None,
    **reasons: Any,
) -> Policy:
    """A valid credit policy over ``features`` with sensitive columns 'group' and 'age'."""
    spec: dict[str, Any] = {
        "max_reasons": 3,
        "reference": "all_applicants",
        "families": [{"name": n, "statement": s, "features": f} for n, s, f in families],
    }
    spec.update(reasons)
    policy = Policy.model_validate(
        {
            "id": "scorecard",
            "title": "Linear scorecard",
            "domain": "credit",
            "seed": 11,
            "models": [{"name": "card", "format": "skops", "path": "-", "task": "classification"}],
            "data": {
                "features": {"numeric": features},
                "target": "y",
                "id_column": "id",
                "sensitive": ["group", "age"],
            },
            "datasets": {"reference": {"path": "-"}, "evaluation": {"path": "-"}},
            "explanations": {"shap": shap or {"background_size": 400, "permutations": 4}},
            "checks": checks or {"reason_stability": {"instances": 40, "reruns": 2}},
            "decision": {"adverse_class": "bad", "cutoff": 0.5, "reasons": spec},
        }
    )
    assert cross_key_problems(policy) == []
    return policy


def frame(codes: np.ndarray, rng: np.random.Generator, prefix: str) -> pd.DataFrame:
    """Rows with ids, features, the sensitive columns and a target."""
    table = pd.DataFrame(codes, columns=FEATURES)
    table.insert(0, "id", [f"{prefix}{i:04d}" for i in range(len(codes))])
    table["group"] = rng.choice(["a", "b", "c"], size=len(codes))
    table["age"] = rng.integers(18, 80, size=len(codes)).astype(str)
    table["y"] = np.where(rng.random(len(codes)) < 0.5, "good", "bad")
    return table


def scorecard_data(
    policy: Policy,
    *,
    p_bad: Callable[[np.ndarray], np.ndarray] = linear_p_bad,
    n_reference: int = 600,
    n_evaluation: int = 300,
    seed: int = 3,
    d: int = D,
    reference_frame: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> ModelData:
    """The ModelData of a scorecard on uniform [0, 1] features."""
    rng = np.random.default_rng(seed)
    reference, evaluation = rng.random((n_reference, d)), rng.random((n_evaluation, d))
    model = FunctionModel(two_classes(p_bad), numeric_codec(d), classes=["good", "bad"])
    ref_frame, eval_frame = frame(reference, rng, "R"), frame(evaluation, rng, "E")
    if reference_frame is not None:
        ref_frame = reference_frame(ref_frame)
    return ModelData(
        model=model,
        reference=reference,
        evaluation=evaluation,
        target=(eval_frame["y"] == "bad").to_numpy(dtype=np.int64),
        ids=eval_frame["id"].to_numpy(dtype=str),
        policy=policy,
        positive_index=1,
        frame=eval_frame,
        reference_frame=ref_frame,
    )


def closed_form_totals(codes: np.ndarray, reference_mean: np.ndarray) -> np.ndarray:
    """(n, families) family totals of sum_i w_i (x_i - mean_i), computed by hand."""
    phi = WEIGHTS * (codes - reference_mean)
    index = {name: j for j, name in enumerate(FEATURES)}
    return np.column_stack(
        [phi[:, [index[f] for f in features]].sum(axis=1) for _, _, features in FAMILIES]
    )


def closed_form_reasons(totals: np.ndarray, k: int) -> list[list[str]]:
    """Each row's positive families, largest first, at most ``k``, by plain Python sorting."""
    names = [name for name, _, _ in FAMILIES]
    found = []
    for row in totals:
        positive = [(value, names[f]) for f, value in enumerate(row) if value > 0]
        found.append([name for _, name in sorted(positive, key=lambda p: -p[0])[:k]])
    return found
