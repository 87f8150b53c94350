"""Antithetic permutation SHAP, vectorised across rows: shap's PermutationExplainer estimator.

Each feature order is run forward (features switched on one by one from the background) and then
in reverse; a feature's value is its mean marginal contribution over the 2 x orders passes, so the
values add up to f(x) - E[f] by construction. As in shap, only the features where the row differs
from some background row are ordered (the others are worth zero), a row's budget is
``permutations * (2d + 1)`` evaluations, hence ``budget // (2v + 1)`` orders for v such features,
and its orders are shap's: ``np.random.seed(seed)`` then one ``shuffle`` of those features per
order. The stated standard error of a value is the spread of its per-pass contributions divided
by sqrt(passes), as shap's ``error_std`` gives it.

With a ``target_error`` the orders are drawn in rounds of :data:`ROUND` and a row stops once its
largest standard error is at most the target (or its budget is spent).

The model is called on the orders of many rows at once, only on the distinct coalition rows
(see :mod:`~reportgen.analyses.explain.shap_game`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analyses.explain.shap_game import (
    MEMORY_LIMIT,
    Game,
    background_mean,
    chunks,
    differs,
    outputs,
)

ROUND = 5
"""Feature orders per round when a row may stop early: its first error estimate rests on ten
passes."""


@dataclass(frozen=True)
class Sampled:
    """Permutation estimates of n rows: values and standard errors (n, d, k), the model's outputs
    (n, k) and the feature orders each row ran (n,)."""

    values: np.ndarray
    standard_error: np.ndarray
    output: np.ndarray
    orders: np.ndarray


def permutation_values(
    game: Game,
    codes: np.ndarray,
    seeds: np.ndarray,
    *,
    permutations: int,
    target_error: float | None = None,
) -> Sampled:
    """Permutation SHAP of the coded rows, one seed per row (see the module docstring)."""
    n, d = codes.shape
    b, k = game.background_outputs.shape
    found = Sampled(np.zeros((n, d, k)), np.zeros((n, d, k)), np.empty((n, k)), np.zeros(n, int))
    for part in chunks(n, MEMORY_LIMIT // (b * d)):
        _explain(
            game, codes[part], seeds[part], permutations * (2 * d + 1), target_error, part, found
        )
    return found


def _explain(
    game: Game,
    x: np.ndarray,
    seeds: np.ndarray,
    budget: int,
    target_error: float | None,
    part: slice,
    found: Sampled,
) -> None:
    """Estimate the rows ``x`` (found[part]) round by round."""
    n, d = x.shape
    b, k = game.background_outputs.shape
    differing = differs(x, game.background)
    varying = np.any(differing, axis=1)
    planned = np.where(np.any(varying, axis=1), budget // (2 * varying.sum(axis=1) + 1), 0)
    found.output[part] = fx = outputs(game.model, x)
    orders = [_Orders(int(seed), row) for seed, row in zip(seeds, varying, strict=True)]
    # Contributions are summed relative to each row's first one, so a value that never varies
    # has a spread of exactly zero.
    shift, total, squares = np.zeros((n, d, k)), np.zeros((n, d, k)), np.zeros((n, d, k))
    done = np.zeros(n, dtype=np.int64)
    per_unit = b * d * (5 * d + 6 * k + 4)  # elements one order of one row holds, at most
    active = planned > 0
    while active.any():
        step = planned - done if target_error is None else np.minimum(ROUND, planned - done)
        take = np.where(active, step, 0)
        unit_row = np.repeat(np.arange(n), take)
        first = np.zeros(len(unit_row), dtype=bool)
        first[np.cumsum(take)[active] - take[active]] = done[active] == 0
        drawn = np.concatenate([orders[i].draw(int(take[i])) for i in np.flatnonzero(active)])
        for block in chunks(len(unit_row), MEMORY_LIMIT // per_unit):
            rows = unit_row[block]
            passes = _passes(game, x, fx, differing, rows, drawn[block])  # (units, 2, d, k)
            shift[rows[first[block]]] = passes[first[block], 0]
            centred = (passes - shift[rows][:, None]).reshape(-1, d, k)
            np.add.at(total, np.repeat(rows, 2), centred)  # in order: forward, reverse, next
            np.add.at(squares, np.repeat(rows, 2), centred**2)
        done += take
        count = np.maximum(2 * done, 1)[:, None, None]
        spread = np.sqrt(np.maximum(squares / count - (total / count) ** 2, 0.0))
        found.values[part] = np.where(done[:, None, None] > 0, shift + total / count, 0.0)
        found.standard_error[part] = error = spread / np.sqrt(count)
        active &= done < planned
        if target_error is not None:
            active &= error.max(axis=(1, 2)) > target_error
    found.orders[part] = done


class _Orders:
    """A row's feature orders, drawn as shap's PermutationExplainer draws them."""

    def __init__(self, seed: int, varying: np.ndarray) -> None:
        self._random = np.random.RandomState(seed % 2**32)
        self._varying = np.flatnonzero(varying)
        self._fixed = np.flatnonzero(~varying)

    def draw(self, count: int) -> np.ndarray:
        """(count, d): the next orders; the varying features first, reshuffled each time."""
        drawn = []
        for _ in range(count):
            self._random.shuffle(self._varying)
            drawn.append(np.concatenate([self._varying, self._fixed]))
        return np.stack(drawn)


def _passes(
    game: Game,
    x: np.ndarray,
    fx: np.ndarray,
    differing: np.ndarray,
    rows: np.ndarray,
    orders: np.ndarray,
) -> np.ndarray:
    """(units, 2, d, k): each feature's contribution in the forward and reverse pass of one
    order of one row (``rows``: the row of each order)."""
    d = x.shape[1]
    z, fz = game.background, game.background_outputs
    # step t of an order switches on (forward) or off (reverse) the feature orders[:, t]
    toggles = np.take_along_axis(differing[rows], orders[:, None, :], axis=2)  # (units, b, d)
    reached = np.cumsum(toggles, axis=2)  # differing features switched on after step t
    size = reached[:, :, -1:]
    unit, bg, t = np.nonzero(toggles & (reached < size))  # the steps that need the model
    position = np.argsort(orders, axis=1)
    switched = position[unit] <= t[:, None]
    xs, zs = x[rows[unit]], z[bg]
    found = outputs(
        game.model, np.concatenate([np.where(switched, xs, zs), np.where(switched, zs, xs)])
    )
    last = np.maximum.accumulate(np.where(toggles, np.arange(d), -1), axis=2)
    empty, full = (last < 0)[..., None], (reached == size)[..., None]
    known_x, known_z = fx[rows][:, None, None, :], fz[None, :, None, :]
    base, start = game.base[None, None, :], fx[rows][:, None, :]
    forward = _mean_outputs(found[: len(unit)], (unit, bg, t), last, empty, full, known_z, known_x)
    reverse = _mean_outputs(found[len(unit) :], (unit, bg, t), last, empty, full, known_x, known_z)
    ahead = forward - np.concatenate([np.broadcast_to(base, start.shape), forward[:, :-1]], axis=1)
    back = np.concatenate([start, reverse[:, :-1]], axis=1) - reverse
    by_feature = position[:, :, None]
    return np.stack(
        [
            np.take_along_axis(ahead, by_feature, axis=1),
            np.take_along_axis(back, by_feature, axis=1),
        ],
        axis=1,
    )


def _mean_outputs(
    found: np.ndarray,
    at: tuple[np.ndarray, np.ndarray, np.ndarray],
    last: np.ndarray,
    empty: np.ndarray,
    full: np.ndarray,
    when_empty: np.ndarray,
    when_full: np.ndarray,
) -> np.ndarray:
    """(units, d, k): the game's value after each step of one pass.

    A pair's output changes only at the steps that toggle a feature where the two rows differ;
    ``last`` is that step (-1: none yet), ``empty`` / ``full`` say the pair's row is still the
    pass's starting row / already its end row, whose outputs are known.
    """
    units, b, d = last.shape
    table = np.zeros((units, b, d, found.shape[1]))
    table[at] = found
    pair = np.take_along_axis(table, np.maximum(last, 0)[..., None], axis=2)
    pair = np.where(empty, when_empty, np.where(full, when_full, pair))
    return background_mean(pair.transpose(1, 0, 2, 3))
