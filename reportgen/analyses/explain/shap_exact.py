"""Exact interventional Shapley values: every one of the 2^d coalitions, Shapley-weighted.

The same values as shap's ExactExplainer, computed for many rows at once: for each (row,
background row) pair the model is called only on the coalitions that differ from that pair's
others (those inside the features where the two rows differ, neither empty nor full; see
:mod:`~reportgen.analyses.explain.shap_game`), all pairs of a chunk in one batched call.
"""

from __future__ import annotations

import math

import numpy as np

from reportgen.analyses.explain.shap_game import (
    MEMORY_LIMIT,
    Game,
    add_rows,
    chunks,
    differs,
    outputs,
)


def exact_values(game: Game, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact SHAP values (n, d, k) of the coded rows, and the model's outputs on them (n, k)."""
    n, d = codes.shape
    b, k = game.background_outputs.shape
    coalitions = np.arange(2**d)
    members = (coalitions[:, None] >> np.arange(d)) & 1 == 1
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
            add_rows(total, _coalition_outputs(game, x, fx, block, coalitions, members))
        values[part] = _shapley(total / b, members)
    return values, output


def _coalition_outputs(
    game: Game,
    x: np.ndarray,
    fx: np.ndarray,
    block: slice,
    coalitions: np.ndarray,
    members: np.ndarray,
) -> np.ndarray:
    """(b', n', 2^d, k): the output of every coalition of rows ``x`` with background ``block``."""
    z, fz = game.background[block], game.background_outputs[block]
    d, k = x.shape[1], fz.shape[1]
    differing = differs(x, z) @ (1 << np.arange(d))  # (n', b') the differing features as bits
    seen = coalitions & differing[..., None]  # what each coalition changes for that pair
    new = (seen == coalitions) & (coalitions > 0) & (coalitions < differing[..., None])
    row, bg, coalition = np.nonzero(new)
    table = np.zeros((len(x), len(z), 2**d, k))
    x_inputs, z_inputs = game.model.model_inputs(x), game.background_inputs[block]
    table[row, bg, coalition] = game.coalitions(members[coalition], x_inputs[row], z_inputs[bg])
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
