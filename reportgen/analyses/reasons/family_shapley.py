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

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from reportgen.inputs.models import ModelAdapter

ROWS_PER_CALL = 262_144
"""Coalition rows built and sent to the model at once (bounds memory: rows x model inputs x 8 B
at most)."""


def family_shapley(
    model: ModelAdapter,
    codes: np.ndarray,
    *,
    background: np.ndarray,
    groups: Sequence[np.ndarray],
    output: int,
) -> np.ndarray:
    """(n, G) exact Shapley values of output ``output`` for the coded rows ``codes`` (n, d).

    Args:
        background: (b, d) coded rows every coalition is averaged over.
        groups: the players: disjoint arrays of feature indices covering the features.
        output: the model output (class column) explained.
    """
    n_groups = len(groups)
    # coalitions are mixed in the model's input space (one encoding per row, not per coalition)
    masks = _coalition_masks(groups, codes.shape[1])[:, model.input_features]
    weights = _shapley_weights(n_groups)
    background = model.model_inputs(background)
    return np.stack(
        [
            _one_row(model, row, background, masks, weights, output)
            for row in model.model_inputs(codes)
        ]
    ).reshape(len(codes), n_groups)


def _coalition_masks(groups: Sequence[np.ndarray], d: int) -> np.ndarray:
    """(2^G, d) booleans: coalition s takes feature j from the row when j's group is in s."""
    coalitions = np.arange(2 ** len(groups))
    masks = np.zeros((len(coalitions), d), dtype=bool)
    for g, features in enumerate(groups):
        masks[:, np.asarray(features, dtype=np.int64)] = ((coalitions >> g) & 1).astype(bool)[
            :, None
        ]
    return masks


def _shapley_weights(n_groups: int) -> np.ndarray:
    """w[s] = s! (G - s - 1)! / G!: the weight of a coalition of size s without the player."""
    total = math.factorial(n_groups)
    return np.array(
        [math.factorial(s) * math.factorial(n_groups - s - 1) / total for s in range(n_groups)]
    )


def _one_row(
    model: ModelAdapter,
    row: np.ndarray,
    background: np.ndarray,
    masks: np.ndarray,
    weights: np.ndarray,
    output: int,
) -> np.ndarray:
    b = len(background)
    per_call = max(1, ROWS_PER_CALL // b)
    values = np.empty(len(masks))
    for start in range(0, len(masks), per_call):
        chunk = masks[start : start + per_call]
        mixed = np.where(chunk[:, None, :], row[None, None, :], background[None, :, :])
        out = model.predict_inputs(mixed.reshape(-1, row.shape[0]))
        values[start : start + len(chunk)] = out.reshape(len(chunk), b, -1)[:, :, output].mean(1)
    n_groups = len(weights)
    coalitions = np.arange(len(masks))
    sizes = np.array([bin(int(s)).count("1") for s in coalitions])
    phi = np.empty(n_groups)
    for g in range(n_groups):
        without = coalitions[((coalitions >> g) & 1) == 0]
        phi[g] = float(
            np.sum(weights[sizes[without]] * (values[without | (1 << g)] - values[without]))
        )
    return phi


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
