"""Batched permutation importance against scikit-learn's permutation_importance (the oracle)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score

from reportgen.analyses.metrics import binary_auc_many, default_scoring, score
from reportgen.analyses.permutation import MAX_BATCH_CELLS, importances
from tests.analyses.toy_models import D, FunctionModel, numeric_codec, trained_mlp

N = 120


class _Fitted:
    def fit(self, *_: object) -> _Fitted:
        return self


def sklearn_importances(model, metric, codes, target, repeats, seed) -> np.ndarray:
    def scorer(_, rows, y):
        return metric.signed(y, model.predict_codes(rows))

    found = permutation_importance(
        _Fitted(), codes, target, scoring=scorer, n_repeats=repeats, random_state=seed
    )
    return found.importances


def task_models(rng: np.random.Generator):
    """A binary and a three-class MLP fitted to x0 - x1 (ties: x2 is rounded) and a regressor."""
    x = rng.normal(size=(N, D))
    x[:, 2] = np.round(x[:, 2])
    margin = x[:, 0] - x[:, 1] + 0.3 * rng.normal(size=N)
    binary = trained_mlp(x, (margin > 0).astype(np.int64), ["no", "yes"], seed=1)
    three = np.digitize(margin, [-0.7, 0.7])
    multiclass = trained_mlp(x, three, ["low", "mid", "high"], seed=2)
    weights = np.array([2.0, -1.0, 0.5, 0.0, 0.0, 0.1])
    regressor = FunctionModel(lambda c: c @ weights, numeric_codec(D))
    return x, [
        (binary, (margin > 0).astype(np.int64)),
        (multiclass, three),
        (regressor, x @ weights + 0.2 * rng.normal(size=N)),
    ]


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_importances_equal_scikit_learn_draw_for_draw(rng, task) -> None:
    x, models = task_models(rng)
    model, target = models[["binary", "multiclass", "regression"].index(task)]
    n_classes = len(model.classes or [])
    for name in {default_scoring(n_classes), "accuracy" if n_classes else "rmse"}:
        metric = score(name, n_classes)
        ours = importances(model, metric, x, target, repeats=4, seed=7)
        theirs = sklearn_importances(model, metric, x, target, 4, 7)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
        assert np.abs(ours).max() > 0.01  # the features that drive the target matter


def test_the_driving_features_rank_first_and_an_unused_one_scores_zero(rng) -> None:
    x, models = task_models(rng)
    model, target = models[2]  # weights 2, -1, 0.5, 0, 0, 0.1
    found = importances(model, score("r2", 0), x, target, repeats=5, seed=3).mean(axis=1)
    assert list(np.argsort(-found)[:3]) == [0, 1, 2]
    assert found[3] == 0.0 and found[4] == 0.0


def test_blocks_of_bounded_size_give_the_same_numbers(rng, monkeypatch) -> None:
    x, models = task_models(rng)
    model, target = models[0]
    metric = score("roc_auc", 2)
    whole = importances(model, metric, x, target, repeats=3, seed=5)
    calls_before = model.meter.calls
    monkeypatch.setattr("reportgen.analyses.permutation.MAX_BATCH_CELLS", N * D * 2)
    blocked = importances(model, metric, x, target, repeats=3, seed=5)
    assert model.meter.calls - calls_before == 1 + (D * 3) // 2  # baseline + blocks of 2 copies
    np.testing.assert_array_equal(blocked, whole)
    assert MAX_BATCH_CELLS >= 1_000_000


def test_vectorised_auc_equals_scikit_learn_with_ties(rng) -> None:
    y = rng.integers(0, 2, size=200)
    scores = np.round(rng.uniform(size=(5, 200)), 1)  # many ties
    stacked = np.stack([1 - scores, scores], axis=2)
    expected = [roc_auc_score(y, s) for s in scores]
    np.testing.assert_allclose(binary_auc_many(y, stacked), expected, rtol=0, atol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_auc_of_one_class_is_what_scikit_learn_says() -> None:
    scores = np.linspace(0, 1, 5)[None]
    stacked = np.stack([1 - scores, scores], axis=2)
    y = np.ones(5, dtype=np.int64)
    ours, theirs = binary_auc_many(y, stacked)[0], roc_auc_score(y, scores[0])
    assert np.isnan(ours) == np.isnan(theirs) and (np.isnan(ours) or ours == theirs)
