"""Cohort figures against independent truths: pandas counts, scipy's Wilson interval,
scikit-learn's ROC AUC, and mean |SHAP| recomputed from the global SHAP values.

A synthetic binary classifier on three features (x0, x1, colour) that does not see the sensitive
columns (sex, age): women's x0 is spread widely and men's narrowly, so women's explanations are
driven by x0 and men's by x1, a difference the profiles must show.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import BaseModel
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score

from reportgen.analyses.cohorts import (
    BOOTSTRAP_RESAMPLES,
    MISSING,
    RawCohorts,
    _auc,
    cohort_table,
    profile_values,
)
from reportgen.analyses.context import ModelData
from reportgen.analyses.global_importance import run_global_shap
from reportgen.errors import AnalysisError
from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.policy.privacy import CohortSpec
from reportgen.policy.schema import Policy
from tests.analyses.toy_models import FunctionModel
from tests.conftest import ROOT

N = 400
CODEC = FeatureCodec(
    (
        Feature("x0", "numeric"),
        Feature("x1", "numeric"),
        Feature("colour", "categorical", ("blue", "green", "red")),
    )
)
DASH = "\u2013"


def _policy(**shap: Any) -> Policy:
    raw = yaml.safe_load((ROOT / "policies" / "credit.yaml").read_text(encoding="utf-8"))
    raw["explanations"]["shap"] = {"background_size": 20, "global_rows": 150, **shap}
    return Policy.model_validate(raw)


def _frame(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], size=N)
    age = rng.integers(18, 80, size=N).astype(np.float64)
    age[:5] = np.nan
    return pd.DataFrame(
        {
            "x0": rng.normal(size=N) * np.where(sex == "f", 3.0, 0.2),
            "x1": rng.normal(size=N),
            "colour": rng.choice(["blue", "green", "red"], size=N, p=[0.5, 0.3, 0.2]),
            "sex": sex,
            "age": age,
        }
    )


def _binary(codes: np.ndarray) -> np.ndarray:
    p = 1 / (1 + np.exp(-(1.5 * codes[:, 0] - codes[:, 1] + (codes[:, 2] == 2))))
    return np.column_stack([1 - p, p])


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return _frame(1)


@pytest.fixture(scope="module")
def data(frame: pd.DataFrame) -> ModelData:
    codes = CODEC.to_codes(frame)
    p_bad = _binary(codes)[:, 1]
    target = (np.random.default_rng(2).random(N) < p_bad).astype(np.int64)
    return ModelData(
        model=FunctionModel(_binary, CODEC, classes=["good", "bad"]),
        reference=CODEC.to_codes(_frame(0)),
        evaluation=codes,
        target=target,
        ids=np.array([f"R{i}" for i in range(N)]),
        policy=_policy(),
        positive_index=1,
    )


def _spec(by: str, bands: list[float] | None = None, name: str | None = None) -> CohortSpec:
    return CohortSpec(name=name or by, by=by, bands=bands)


# -- who is in which cohort -----------------------------------------------------------------------


def test_bands_are_labelled_in_order_and_sized_like_pandas_cut(data, frame) -> None:
    raw = cohort_table(data, frame, _spec("age", [25, 35, 50, 65, 200]))
    bands = [f"25{DASH}35", f"35{DASH}50", f"50{DASH}65", f"65{DASH}200"]
    assert raw.labels == ["<25", *bands, "200+", MISSING]
    edges = [-np.inf, 25, 35, 50, 65, 200, np.inf]
    truth = pd.cut(frame["age"], edges, right=False).value_counts(sort=False).tolist()
    assert [c.size for c in raw.cohorts] == [*truth, 5]
    assert sum(c.size for c in raw.cohorts) == raw.overall.size == N
    # sensitive columns arrive from CSV as text: numbers written as text band the same way
    text = frame.assign(age=frame["age"].map(lambda a: None if np.isnan(a) else f"{a:.0f}"))
    as_text = cohort_table(data, text, _spec("age", [25, 35, 50, 65, 200]))
    assert as_text.labels == raw.labels
    assert [c.size for c in as_text.cohorts] == [c.size for c in raw.cohorts]
    empty = raw.cohort("200+")  # declared bands are listed even when empty
    assert empty.size == 0 and empty.profile is None
    assert all(e.value is None for e in empty.performance)


def test_categorical_cohorts_follow_the_model_levels_or_sorted_values(data, frame) -> None:
    colour = cohort_table(data, frame, _spec("colour"))
    assert colour.labels == ["blue", "green", "red"]
    assert [c.size for c in colour.cohorts] == [
        int((frame["colour"] == c).sum()) for c in colour.labels
    ]
    sex = cohort_table(data, frame, _spec("sex"))
    assert sex.labels == ["f", "m"]
    predicted = cohort_table(data, frame, _spec("predicted_class"))
    assert predicted.labels == ["good", "bad"]
    counts = np.bincount(data.predictions.argmax(axis=1), minlength=2)
    assert [c.size for c in predicted.cohorts] == counts.tolist()


# -- performance ----------------------------------------------------------------------------------


def test_accuracy_and_its_wilson_interval_match_scipy(data, frame) -> None:
    raw = cohort_table(data, frame, _spec("sex"))
    correct = data.predictions.argmax(axis=1) == data.target
    every = {raw.overall.label: np.arange(N)}
    for cohort in [*raw.cohorts, raw.overall]:
        rows = every.get(cohort.label, np.flatnonzero(frame["sex"] == cohort.label))
        k, n = int(correct[rows].sum()), int(correct[rows].size)
        truth = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        accuracy = cohort.estimate("accuracy")
        assert accuracy.value == pytest.approx(k / n)
        assert (accuracy.low, accuracy.high) == pytest.approx((truth.low, truth.high), abs=1e-12)
        assert type(accuracy.low) is float and type(accuracy.high) is float


def test_auc_matches_sklearn_and_its_bootstrap_interval_brackets_it(data, frame) -> None:
    raw = cohort_table(data, frame, _spec("colour"))
    for cohort in raw.cohorts:
        rows = np.flatnonzero(frame["colour"] == cohort.label)
        auc = cohort.estimate("roc_auc")
        truth = roc_auc_score(data.target[rows], data.predictions[rows, 1])
        assert auc.value == pytest.approx(truth, abs=1e-12)
        assert auc.value is not None and auc.low is not None and auc.high is not None
        assert auc.low <= auc.value <= auc.high
        assert auc.high - auc.low < 0.4
        assert f"of {BOOTSTRAP_RESAMPLES} resamples" in auc.method


def test_auc_is_undefined_for_a_cohort_holding_one_class(data, frame) -> None:
    outcome = frame.assign(outcome=np.where(data.target == 1, "bad", "good"))
    raw = cohort_table(data, outcome, _spec("outcome"))
    for cohort in raw.cohorts:
        auc = cohort.estimate("roc_auc")
        assert (auc.value, auc.low, auc.high) == (None, None, None)
        assert auc.method == "undefined: the cohort holds one class"
        assert cohort.estimate("accuracy").value is not None


def test_auc_of_the_negative_class_as_positive_matches_sklearn(data, frame) -> None:
    flipped = replace(data, positive_index=0)
    raw = cohort_table(flipped, frame, _spec("sex"))
    truth = roc_auc_score(data.target == 0, data.predictions[:, 0])
    assert raw.overall.estimate("roc_auc").value == pytest.approx(truth, abs=1e-12)


def test_rank_auc_equals_sklearn_with_ties(rng) -> None:
    y = rng.integers(0, 2, size=(5, 60)).astype(np.float64)
    s = rng.integers(0, 4, size=(5, 60)).astype(np.float64)  # many ties
    np.testing.assert_allclose(_auc(y, s), [roc_auc_score(a, b) for a, b in zip(y, s, strict=True)])


def test_figures_are_deterministic_and_all_rows_agree_across_families(data, frame) -> None:
    first = cohort_table(data, frame, _spec("sex"))
    again = cohort_table(data, frame, _spec("sex"))
    other = cohort_table(data, frame, _spec("colour"))
    for a, b in zip(first.cohorts, again.cohorts, strict=True):
        assert a.performance == b.performance
    assert first.overall.performance == other.overall.performance


# -- explanation profile --------------------------------------------------------------------------


def test_profile_is_mean_abs_shap_of_the_positive_class_over_the_cohorts_global_rows(
    data, frame
) -> None:
    raw = cohort_table(data, frame, _spec("sex"))
    values = np.abs(data.global_shap.values[:, :, 1])
    for cohort in raw.cohorts:
        used = (frame["sex"].to_numpy()[data.global_rows]) == cohort.label
        assert cohort.profile is not None
        assert cohort.profile.rows == used.sum()
        np.testing.assert_allclose(cohort.profile.values, values[used].mean(axis=0))
        np.testing.assert_allclose(
            profile_values(raw, cohort.label).mean(axis=0), cohort.profile.values
        )
    assert raw.output == "probability of class 'bad'"
    assert raw.profile_bounds == (0.0, 1.0)
    assert profile_values(raw, None).min() >= 0 and profile_values(raw, None).max() <= 1
    # all rows: the same numbers as the global SHAP importance
    overall = {i.feature: i.value for i in run_global_shap(data).importances}
    assert raw.overall.profile is not None
    assert dict(zip(raw.features, raw.overall.profile.values, strict=True)) == pytest.approx(
        overall
    )


def test_profiles_show_that_women_and_men_are_explained_by_different_features(data, frame) -> None:
    raw = cohort_table(data, frame, _spec("sex"))
    women, men, overall = (raw.cohort(c).profile for c in ("f", "m", None))
    assert women is not None and men is not None and overall is not None
    assert women.top_features[0] == "x0" and men.top_features[0] == "x1"
    assert set(men.top_features) == {"x0", "x1", "colour"}  # fewer than 5 features: all of them
    assert overall.total_variation == pytest.approx(0)
    assert women.total_variation is not None and men.total_variation is not None
    assert 0 <= women.total_variation < men.total_variation <= 1
    # total variation distance, by hand
    p, q = men.values / men.values.sum(), overall.values / overall.values.sum()
    assert men.total_variation == pytest.approx(0.5 * np.abs(p - q).sum())


# -- other model kinds ----------------------------------------------------------------------------


def test_regressors_report_rmse_and_explain_the_prediction(data, frame) -> None:
    def value(codes: np.ndarray) -> np.ndarray:
        return 2 * codes[:, 0] + codes[:, 1]

    target = value(data.evaluation) + np.random.default_rng(3).normal(size=N)
    model = FunctionModel(value, CODEC)
    regression = replace(data, model=model, target=target, positive_index=None, _attributions={})
    raw = cohort_table(regression, frame, _spec("sex"))
    for cohort in raw.cohorts:
        rows = np.flatnonzero(frame["sex"] == cohort.label)
        rmse = cohort.estimate("rmse")
        assert rmse.value == pytest.approx(
            np.sqrt(np.mean((target[rows] - value(data.evaluation[rows])) ** 2))
        )
        assert rmse.value is not None and rmse.low is not None and rmse.high is not None
        assert rmse.low <= rmse.value <= rmse.high
    assert raw.output == "predicted value" and raw.profile_bounds is None
    predicted = cohort_table(regression, frame, _spec("predicted_class"))
    assert predicted.labels == [
        "low predicted value",
        "middle predicted value",
        "high predicted value",
    ]


def test_multiclass_models_report_accuracy_and_average_the_classes(data, frame) -> None:
    def three(codes: np.ndarray) -> np.ndarray:
        logits = np.column_stack([codes[:, 0], codes[:, 1], -codes[:, 0]])
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    model = FunctionModel(three, CODEC, classes=["a", "b", "c"])
    target = np.random.default_rng(4).integers(0, 3, size=N)
    multi = replace(data, model=model, target=target, positive_index=None, _attributions={})
    raw = cohort_table(multi, frame, _spec("sex"))
    assert [e.name for e in raw.overall.performance] == ["accuracy"]
    assert raw.overall.profile is not None
    expected = np.abs(multi.global_shap.values).mean(axis=(0, 2))
    np.testing.assert_allclose(raw.overall.profile.values, expected)


# -- errors and privacy of the structure ----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            CohortSpec(name="region", by="region"),
            "cohort 'region': column 'region' is not in the evaluation data",
        ),
        (
            CohortSpec(name="age band", by="age"),
            "cohort 'age band': column 'age' is numeric and needs bands, e.g. bands: [25, 35, 50, 65]",
        ),
        (
            CohortSpec(name="sex", by="sex", bands=[1.0]),
            "cohort 'sex': column 'sex' is categorical and takes no bands",
        ),
    ],
)
def test_bad_cohort_specs_name_the_cohort_and_column(data, frame, spec, message) -> None:
    with pytest.raises(AnalysisError) as caught:
        cohort_table(data, frame, spec)
    assert str(caught.value) == message


def test_a_frame_of_other_rows_is_refused(data, frame) -> None:
    with pytest.raises(AnalysisError, match="has 10 rows but the model's evaluation data has 400"):
        cohort_table(data, frame.head(10), _spec("sex"))


def test_raw_cohorts_are_internal_and_never_show_row_indices(data, frame) -> None:
    raw = cohort_table(data, frame, _spec("sex"))
    assert isinstance(raw, RawCohorts) and not isinstance(raw, BaseModel)
    assert "_rows" not in repr(raw) and "_abs_shap" not in repr(raw)
