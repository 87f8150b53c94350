"""LIME over raw features with the lime library's tabular explainer.

Categorical features are passed as coded levels with their names, so LIME samples whole raw
features and its rules read like "purpose=car (new)" or "duration_in_month > 24.00".
"""

from __future__ import annotations

import numpy as np

from reportgen._lazy import require
from reportgen.analyses.explain.attribution import Attribution
from reportgen.inputs.models import ModelAdapter


def explain_lime(
    model: ModelAdapter,
    codes: np.ndarray,
    *,
    target: np.ndarray,
    background: np.ndarray,
    seeds: np.ndarray,
    num_samples: int = 5000,
) -> Attribution:
    """LIME weights of output ``target[i]`` for each coded row ``codes[i]``.

    Args:
        background: (b, d) coded reference rows; LIME takes feature statistics (quartiles,
            category frequencies) from them.
        seeds: (n,) one seed per row: each row gets an explainer of its own seeded with it,
            so a row's weights depend on its own seed only.
        num_samples: perturbed samples per row, sent to the model in one batch.
    """
    lime_tabular = require("lime.lime_tabular")
    codec = model.codec
    regression = model.task == "regression"
    n, d = codes.shape
    values, base, fit = np.zeros((n, d)), np.zeros(n), np.zeros(n)
    predicted = model.predict_codes(codes).reshape(n, -1)
    output = predicted[np.arange(n), np.asarray(target, dtype=np.int64)]
    conditions: list[dict[int, str]] = []
    for i, (row, label) in enumerate(zip(codes, target, strict=True)):
        explainer = lime_tabular.LimeTabularExplainer(
            background,
            mode="regression" if regression else "classification",
            feature_names=codec.names,
            categorical_features=codec.categorical_indices,
            categorical_names={
                j: list(codec.features[j].levels) for j in codec.categorical_indices
            },
            discretize_continuous=True,
            random_state=int(seeds[i]) % 2**32,
        )
        explanation = explainer.explain_instance(
            row, model.predict_codes, labels=(int(label),), num_features=d, num_samples=num_samples
        )
        # In regression mode lime keeps the fitted weights under label 1 and their negation
        # under label 0 (lime_tabular.explain_instance), whatever labels were asked for.
        key = 1 if regression else int(label)
        weights = explanation.as_map()[key]
        rules = explanation.as_list(label=key)
        row_rules: dict[int, str] = {}
        for (j, weight), (rule, _) in zip(weights, rules, strict=True):
            values[i, j] = weight
            row_rules[j] = rule
        conditions.append(row_rules)
        base[i] = float(explanation.intercept[key])
        fit[i] = float(explanation.score)
    return Attribution(
        values=values,
        base=base,
        output=output,
        method="lime",
        fit=fit,
        details={"num_samples": num_samples},
        conditions=conditions,
    )
