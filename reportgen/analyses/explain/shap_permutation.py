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

from reportgen.analyses.explain.shap_game import MEMORY_LIMIT, Game, chunks, differs, outputs

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
    x_inputs = game.model.model_inputs(x)
    orders = [_Orders(int(seed), row) for seed, row in zip(seeds, varying, strict=True)]
    # Contributions are summed relative to each row's first one, so a value that never varies
    # has a spread of exactly zero.
    shift, total, squares = np.zeros((n, d, k)), np.zeros((n, d, k)), np.zeros((n, d, k))
    done = np.zeros(n, dtype=np.int64)
    per_unit = b * d * (6 * d + 4 * k + 8)  # elements one order of one row holds, at most
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
            passes = _passes(game, x_inputs, fx, differing, rows, drawn[block])  # (units, 2, d, k)
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
    x_inputs: np.ndarray,
    fx: np.ndarray,
    differing: np.ndarray,
    rows: np.ndarray,
    orders: np.ndarray,
) -> np.ndarray:
    """(units, 2, d, k): each feature's contribution in the forward and reverse pass of one
    order of one row (``rows``: the row of each order).

    A contribution is the mean over background rows of the change in that pair's output; a
    pair's output changes only at the steps that toggle a feature where the two rows differ, and
    the last such step reaches the pass's end row, whose output is known.
    """
    units, d = orders.shape
    z, fz = game.background, game.background_outputs
    # step t of an order switches on (forward) or off (reverse) the feature orders[:, t]
    toggles = np.take_along_axis(differing[rows], orders[:, None, :], axis=2)  # (units, b, d)
    reached = np.cumsum(toggles, axis=2)
    unit, bg, t = np.nonzero(toggles)  # sorted: a pair's steps are consecutive
    ends = reached[unit, bg, t] == reached[unit, bg, -1]
    ask = np.flatnonzero(~ends)
    position = np.argsort(orders, axis=1)
    switched = position[:, None, :] <= np.arange(d)[None, :, None]  # (units, step, feature)
    on = game.input_columns(switched[unit[ask], t[ask]])  # (asked, input column)
    # np.take gathers rows about twice as fast as fancy indexing
    xs = np.take(x_inputs, rows[unit[ask]], axis=0)
    zs = np.take(game.background_inputs, bg[ask], axis=0)
    found = np.concatenate([game.coalitions(on, xs, zs), game.coalitions(on, zs, xs)])
    starts = np.ones(len(unit), dtype=bool)
    starts[1:] = (unit[1:] != unit[:-1]) | (bg[1:] != bg[:-1])
    at_x, at_z = fx[rows[unit]], fz[bg]
    bins = unit * d + t
    forward = _mean_change(bins, units * d, ask, found[: len(ask)], ends, starts, at_z, at_x)
    reverse = _mean_change(bins, units * d, ask, found[len(ask) :], ends, starts, at_x, at_z)
    by_feature = position[:, :, None]
    return np.stack(
        [
            np.take_along_axis(forward.reshape(units, d, -1), by_feature, axis=1),
            -np.take_along_axis(reverse.reshape(units, d, -1), by_feature, axis=1),
        ],
        axis=1,
    ) / len(z)


def _mean_change(
    bins: np.ndarray,
    size: int,
    ask: np.ndarray,
    found: np.ndarray,
    ends: np.ndarray,
    starts: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
) -> np.ndarray:
    """(size, k): per (order, step) bin, the total over background rows of the change of each
    pair's output at that step, added background row by background row. ``found``: the outputs
    at the steps ``ask``; ``end``: those at the ``ends``; ``start``: the pairs' outputs before
    their first step (``starts``)."""
    value = np.where(ends[:, None], end, 0.0)
    value[ask] = found
    before = np.where(starts[:, None], start, np.roll(value, 1, axis=0))
    change = value - before
    total = [np.bincount(bins, change[:, j], minlength=size) for j in range(change.shape[1])]
    return np.stack(total, axis=1)
