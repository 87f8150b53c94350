"""Exact Shapley values of the game whose players are groups of features (reason families).

The value of a coalition S of groups is the mean model output over the background with the
features of S taken from the explained row and the others from the background row
(interventional, like the project's SHAP). With G groups every one of the 2^G coalitions is
evaluated, so the values are exact: no sampling error, and they add up to f(x) - E[f].

A group's value here equals the sum of its features' SHAP values when the model has no
interaction across groups (additive across families, e.g. a linear scorecard); with
interactions the two split the joint effect differently. Check C9 uses it as a second, exact
and deterministic estimator of the reason families' contributions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from reportgen.analyses.explain.shap_exact import exact_values
from reportgen.analyses.explain.shap_game import Game
from reportgen.inputs.models import ModelAdapter


def family_shapley(
    model: ModelAdapter,
    codes: np.ndarray,
    *,
    background: np.ndarray,
    groups: Sequence[np.ndarray],
    output: int,
) -> np.ndarray:
    """(n, G) exact Shapley values of output ``output`` for the coded rows ``codes`` (n, d).

    The exact SHAP estimator with the groups as its players
    (:func:`~reportgen.analyses.explain.shap_exact.exact_values`): for a row and a background
    row, only the coalitions of the groups where the two differ are sent to the model.

    Args:
        background: (b, d) coded rows every coalition is averaged over.
        groups: the players: disjoint arrays of feature indices covering the features.
        output: the model output (class column) explained.
    """
    values, _ = exact_values(Game.of(model, background), codes, players=groups)
    return values[:, :, output]


def family_shapley_task(
    model: ModelAdapter, shared: Mapping[str, Any], rows: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Exact group Shapley values of a shard of rows: the task a runner ships anywhere.

    ``shared`` holds the background, the groups and the output; ``rows`` the coded rows.
    """
    values = family_shapley(
        model,
        rows["codes"],
        background=shared["background"],
        groups=shared["groups"],
        output=shared["output"],
    )
    return {"values": values}
