"""Permutation importance, every shuffled copy of a feature sent to the model in one batch.

scikit-learn's ``permutation_importance`` scores one shuffled copy of the data at a time: for
the credit example's C7 bootstrap that is 4,300 model calls of 300 rows each and as many scorer
calls, and less than a fifth of the time is spent inside the model. :func:`importances` is the
same estimator, draw for draw (the shuffles of ``sklearn.inspection.permutation_importance`` with
the same ``random_state``, reproduced below), but it stacks the ``d * repeats`` shuffled copies
into one matrix, calls the model once, and scores the copies with a vectorised score where one
exists (:func:`reportgen.analyses.metrics.score`). tests/analyses/test_permutation.py holds it to
scikit-learn's numbers.
"""

from __future__ import annotations

import numpy as np

from reportgen.analyses.metrics import Score
from reportgen.inputs.models import ModelAdapter

MAX_BATCH_CELLS = 20_000_000
"""Stacked copies are sent to the model in blocks of at most this many cells (rows x features):
160 MB of float64 codes, so memory stays bounded however many features and repeats there are."""


def shuffles(n: int, repeats: int, seed: int) -> np.ndarray:
    """The row orders scikit-learn applies to a column, repeat after repeat: (repeats, n).

    ``permutation_importance(random_state=seed)`` draws one seed from ``seed`` and, for every
    column alike, shuffles an index array in place once per repeat and re-indexes the already
    shuffled column with it; row r of the result is the composed order after r + 1 shuffles.
    """
    state = np.random.RandomState(seed)
    column_seed = state.randint(np.iinfo(np.int32).max + 1)
    draws = np.random.RandomState(column_seed)
    index, composed = np.arange(n), np.arange(n)
    found = np.empty((repeats, n), dtype=np.int64)
    for r in range(repeats):
        draws.shuffle(index)
        composed = composed[index]
        found[r] = composed
    return found


def importances(
    model: ModelAdapter,
    metric: Score,
    codes: np.ndarray,
    target: np.ndarray,
    *,
    repeats: int,
    seed: int,
) -> np.ndarray:
    """Permutation importance of every feature, (d, repeats): the drop of ``metric`` (oriented
    so that higher is better) when the feature's column is shuffled; scikit-learn's numbers for
    ``permutation_importance(..., n_repeats=repeats, random_state=seed)``."""
    return drops(model, metric, codes, target, shuffles(len(codes), repeats, seed))


def drops(
    model: ModelAdapter, metric: Score, codes: np.ndarray, target: np.ndarray, orders: np.ndarray
) -> np.ndarray:
    """The score's drop when each feature's column is reordered by each of ``orders`` (r, n):
    (d, r). All d * r reordered copies go to the model stacked, in blocks of bounded size."""
    n, d = codes.shape
    repeats = len(orders)
    baseline = metric.signed(target, model.predict_codes(codes))
    copies = d * repeats
    per_block = max(1, MAX_BATCH_CELLS // max(1, n * d))
    scores = np.empty(copies)
    for start in range(0, copies, per_block):
        block = range(start, min(copies, start + per_block))
        stacked = np.tile(codes, (len(block), 1))
        for i, copy in enumerate(block):
            j, r = divmod(copy, repeats)
            stacked[i * n : (i + 1) * n, j] = codes[orders[r], j]
        outputs = model.predict_codes(stacked)
        shape = (len(block), n, *outputs.shape[1:])
        scores[start : block.stop] = metric.signed_many(target, outputs.reshape(shape))
    return baseline - scores.reshape(d, repeats)
