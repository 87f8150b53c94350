"""Exact interventional Shapley values: every one of the 2^d coalitions, Shapley-weighted.

The same values as shap's ExactExplainer, computed for many rows at once (players are single
features, or groups of features such as reason families): for each (row,
background row) pair the model is called only on the coalitions that differ from that pair's
others (those inside the features where the two rows differ, neither empty nor full; see
:mod:`~reportgen.analyses.explain.shap_game`), all pairs of a chunk in one batched call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from reportgen.analyses.explain.shap_game import (
    MEMORY_LIMIT,
    Game,
    add_rows,
    chunks,
    differs,
    outputs,
)


def exact_values(
    game: Game, codes: np.ndarray, players: Sequence[np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact SHAP values (n, G, k) of the coded rows, and the model's outputs on them (n, k).

    Args:
        players: disjoint arrays of feature indices covering the features, each one player
            (e.g. the reason families); None: every feature its own player (G = d).
    """
    n = len(codes)
    b, k = game.background_outputs.shape
    owned = _membership(players, codes.shape[1])  # (G, d)
    d = len(owned)
    coalitions = np.arange(2**d)
    members = (coalitions[:, None] >> np.arange(d)) & 1 == 1
    features = (members.astype(np.int64) @ owned.astype(np.int64)) > 0  # (2^G, d raw features)
    per_pair = 2**d * (d + 3 * k + 3)  # elements one (row, background row) pair holds
    rows_at_once = MEMORY_LIMIT // (b * per_pair)
    background_at_once = b if rows_at_once else MEMORY_LIMIT // per_pair
    values = np.empty((n, d, k))
    output = np.empty((n, k))
    for part in chunks(n, rows_at_once):
        x = codes[part]
        output[part] = fx = outputs(game.model, x)
        total = np.zeros((len(x), 2**d, k))
        for block in chunks(b, background_at_once):
            found = _coalition_outputs(game, x, fx, block, coalitions, features, owned)
            add_rows(total, found)
        values[part] = _shapley(total / b, members)
    return values, output


def _membership(players: Sequence[np.ndarray] | None, n_features: int) -> np.ndarray:
    """(G, d) booleans: player g owns feature j."""
    if players is None:
        return np.eye(n_features, dtype=bool)
    owned = np.zeros((len(players), n_features), dtype=bool)
    for g, features in enumerate(players):
        owned[g, np.asarray(features, dtype=np.int64)] = True
    return owned


def _coalition_outputs(
    game: Game,
    x: np.ndarray,
    fx: np.ndarray,
    block: slice,
    coalitions: np.ndarray,
    features: np.ndarray,
    owned: np.ndarray,
) -> np.ndarray:
    """(b', n', 2^G, k): the output of every coalition of rows ``x`` with background ``block``;
    ``features`` (2^G, d): the raw features each coalition takes from x."""
    z, fz = game.background[block], game.background_outputs[block]
    d, k = len(owned), fz.shape[1]
    # (n', b') the players where x and z differ (in some feature they own), as bits
    by_player = differs(x, z).astype(np.int64) @ owned.T.astype(np.int64) > 0
    differing: np.ndarray = by_player.astype(np.int64) @ (1 << np.arange(d))
    seen: np.ndarray = coalitions & differing[..., None]  # what each coalition changes (pair)
    new = (seen == coalitions) & (coalitions > 0) & (coalitions < differing[..., None])
    row, bg, coalition = np.nonzero(new)
    table = np.zeros((len(x), len(z), 2**d, k))
    x_inputs, z_inputs = game.model.model_inputs(x), game.background_inputs[block]
    columns = game.input_columns(features[coalition])
    xs, zs = np.take(x_inputs, row, axis=0), np.take(z_inputs, bg, axis=0)
    table[row, bg, coalition] = game.coalitions(columns, xs, zs)
    pairs = np.indices(differing.shape)
    table[pairs[0], pairs[1], differing] = fx[:, None, :]  # every differing feature of x: x
    table[:, :, 0] = fz[None, :, :]  # none: the background row itself
    found = np.take_along_axis(table, seen[..., None], axis=2)
    return found.transpose(1, 0, 2, 3)


def _shapley(value: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Shapley values (n, d, k) of the games ``value`` (n, 2^d, k) of d players."""
    n, _, k = value.shape
    d = members.shape[1]
    weights = np.array(
        [math.factorial(s) * math.factorial(d - s - 1) / math.factorial(d) for s in range(d)]
    )
    by_output = np.ascontiguousarray(value.transpose(0, 2, 1))  # (n, k, 2^d)
    found = np.empty((n, d, k))
    sizes = members.sum(axis=1)
    for j in range(d):
        without = np.flatnonzero(~members[:, j])
        gain = by_output[:, :, without | (1 << j)] - by_output[:, :, without]
        found[:, j] = (gain * weights[sizes[without]]).sum(axis=-1)
    return found
