"""A synthetic credit model whose applicants' sex and age are not model inputs but shift them.

Three features (x0, x1, colour); women's x0 is spread widely and men's narrowly (as in the
cohort tests), and older applicants have a higher x1, so approval rates and mean scores differ by
sex and age without the model seeing either.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import yaml

from reportgen.analyses.context import ModelData
from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.policy.schema import Policy
from tests.analyses.toy_models import FunctionModel
from tests.conftest import ROOT

N = 400
CODEC = FeatureCodec(
    (
        Feature("x0", "numeric"),
        Feature("x1", "numeric"),
        Feature("colour", "categorical", ("blue", "green", "red")),
    )
)


def frame(seed: int, n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], size=n)
    age = rng.integers(18, 80, size=n).astype(np.float64)
    return pd.DataFrame(
        {
            "x0": rng.normal(size=n) * np.where(sex == "f", 3.0, 0.2),
            "x1": rng.normal(size=n) + (age - 45) / 20,
            "colour": rng.choice(["blue", "green", "red"], size=n, p=[0.5, 0.3, 0.2]),
            "sex": sex,
            "age": age,
        }
    )


def binary(codes: np.ndarray) -> np.ndarray:
    """P(good), P(bad): a non-linear score, so SHAP values differ from a linear model's."""
    z = 1.5 * np.tanh(codes[:, 0]) - codes[:, 1] + 0.8 * (codes[:, 2] == 2) + 0.3
    p = 1 / (1 + np.exp(-z))
    return np.column_stack([1 - p, p])


def policy(shap: dict[str, Any] | None = None, **decision: Any) -> Policy:
    raw = yaml.safe_load((ROOT / "policies" / "credit.yaml").read_text(encoding="utf-8"))
    sampled = {"estimator": "permutation", "permutations": 3}  # a few orders: quick
    raw["explanations"]["shap"] = {
        "background_size": 20,
        "global_rows": 150,
        **sampled,
        **(shap or {}),
    }
    raw["data"]["features"] = {"numeric": ["x0", "x1"], "categorical": ["colour"]}
    raw["data"]["sensitive"] = ["sex", "age"]
    raw["privacy"]["cohorts"] = []
    raw["decision"] = {"adverse_class": "bad", "cutoff": 0.5, **decision}
    return Policy.model_validate(raw)


FAIR = {
    "attributes": [{"attribute": "sex"}, {"attribute": "age", "bands": [25, 35, 50, 65]}],
    "bootstrap": 400,
}


def model_data(the_policy: Policy | None = None, seed: int = 1) -> ModelData:
    evaluation = frame(seed)
    codes = CODEC.to_codes(evaluation)
    target = (np.random.default_rng(2).random(N) < binary(codes)[:, 1]).astype(np.int64)
    return ModelData(
        model=FunctionModel(binary, CODEC, classes=["good", "bad"]),
        reference=CODEC.to_codes(frame(0)),
        evaluation=codes,
        target=target,
        ids=np.array([f"R{i}" for i in range(N)]),
        policy=the_policy or policy(fair_lending=FAIR),
        positive_index=1,
        frame=evaluation,
    )
