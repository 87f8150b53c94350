"""LIME against known truths: on a linear model a feature above its mean pushes the output the
way its weight says, so LIME's weight has the sign of w_j * (x_j - mean_j).

Regression is issue #8: lime keeps the fitted weights of a regressor under label 1 and their
negation under label 0, and reading label 0 turned every sign around.
"""

from __future__ import annotations

import numpy as np
import pytest

from reportgen.analyses.checks.metrics import sign_agreement
from reportgen.analyses.explain import explain_lime, explain_shap
from tests.analyses.toy_models import FunctionModel, numeric_codec

W = np.array([3.0, -2.0, 1.5, -1.0, 0.8])
OFFSET = -40.0  # an output far below zero: signs must not depend on where the output sits


def _linear(codes: np.ndarray) -> np.ndarray:
    return codes @ W + OFFSET


def _logistic(codes: np.ndarray) -> np.ndarray:
    p = 1 / (1 + np.exp(-(codes @ W)))
    return np.column_stack([1 - p, p])


@pytest.fixture(scope="module")
def rows_and_background() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(8)
    background = rng.normal(size=(400, len(W)))
    rows = rng.normal(size=(6, len(W)))
    return rows, background


def _clear(rows: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Entries far enough from the mean that their quartile bin says which side they lie on."""
    return np.abs(rows - background.mean(axis=0)) > 0.25 * background.std(axis=0)


def test_lime_regression_weights_have_the_sign_of_the_true_contribution(
    rows_and_background,
) -> None:
    rows, background = rows_and_background
    model = FunctionModel(_linear, numeric_codec(len(W)))
    lime = explain_lime(
        model,
        rows,
        target=np.zeros(len(rows), dtype=np.int64),
        background=background,
        seeds=np.arange(len(rows)) + 3,
        num_samples=1000,
    )
    truth = W * (rows - background.mean(axis=0))
    clear = _clear(rows, background)
    assert clear.sum() >= 20  # most entries are tested
    np.testing.assert_array_equal(np.sign(lime.values[clear]), np.sign(truth[clear]))
    np.testing.assert_allclose(lime.output, _linear(rows))  # the explained output is f(x) itself

    exact = explain_shap(
        model, rows, background=background[:50], seeds=np.arange(len(rows)) + 0, estimator="exact"
    )
    agreement = sign_agreement(exact.values[:, :, 0], lime.values, 3)
    assert agreement.min() >= 2 / 3  # C6's sign agreement is no longer 0


def test_lime_classifier_weights_keep_their_sign_for_each_explained_class(
    rows_and_background,
) -> None:
    rows, background = rows_and_background
    model = FunctionModel(_logistic, numeric_codec(len(W)), classes=["no", "yes"])
    truth = W * (rows - background.mean(axis=0))
    clear = _clear(rows, background)
    for label, direction in ((1, 1.0), (0, -1.0)):  # P(no) = 1 - P(yes) moves the other way
        lime = explain_lime(
            model,
            rows,
            target=np.full(len(rows), label),
            background=background,
            seeds=np.arange(len(rows)) + 3,
            num_samples=1000,
        )
        np.testing.assert_array_equal(
            np.sign(lime.values[clear]), direction * np.sign(truth[clear])
        )
        np.testing.assert_allclose(lime.output, _logistic(rows)[:, label])
