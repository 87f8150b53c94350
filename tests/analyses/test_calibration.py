"""Issue #11: calibration figures against hand computations and scikit-learn.

ECE and Brier equal hand computations on a small example, Brier equals scikit-learn's
brier_score_loss, a score on a bin edge falls in the upper bin (1.0 in the last), the diagram's
bins also break at the decision cutoff, and the figures per group and their intervals come from
the same definitions.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss

from reportgen.analyses.calibration import (
    bin_index,
    brier_score,
    diagram_edges,
    expected_calibration_error,
    reliability_bins,
    run_calibration,
)
from reportgen.results.credit import CalibrationResult
from tests.analyses.fair_lending_fixture import FAIR, model_data, policy

SCORES = np.array([0.05, 0.15, 0.12, 0.85, 0.95, 0.55])
OUTCOMES = np.array([0.0, 0.0, 1.0, 1.0, 1.0, 0.0])


def test_ece_and_brier_equal_hand_computations() -> None:
    # ten bins: 0.05 | 0.15, 0.12 | 0.55 | 0.85 | 0.95
    hand_ece = (
        1 / 6 * abs(0 - 0.05)
        + 2 / 6 * abs(1 / 2 - (0.15 + 0.12) / 2)
        + 1 / 6 * abs(0 - 0.55)
        + 1 / 6 * abs(1 - 0.85)
        + 1 / 6 * abs(1 - 0.95)
    )
    assert expected_calibration_error(SCORES, OUTCOMES, 10) == pytest.approx(hand_ece, abs=1e-15)
    hand_brier = (0.05**2 + 0.15**2 + 0.88**2 + 0.15**2 + 0.05**2 + 0.55**2) / 6
    assert brier_score(SCORES, OUTCOMES) == pytest.approx(hand_brier, abs=1e-15)
    assert brier_score(SCORES, OUTCOMES) == pytest.approx(
        brier_score_loss(OUTCOMES, SCORES), abs=1e-15
    )
    # two bins put 0.05, 0.15, 0.12 below 0.5 and the rest above
    two = 3 / 6 * abs(1 / 3 - 0.32 / 3) + 3 / 6 * abs(2 / 3 - 2.35 / 3)
    assert expected_calibration_error(SCORES, OUTCOMES, 2) == pytest.approx(two, abs=1e-15)


def test_a_score_on_an_edge_falls_in_the_upper_bin_and_one_in_the_last() -> None:
    edges = np.arange(11) / 10
    assert bin_index(np.array([0.0, 0.1, 0.3, 0.9999, 1.0]), edges).tolist() == [0, 1, 3, 9, 9]


def test_the_reliability_diagram_breaks_at_the_cutoff() -> None:
    edges = diagram_edges(4, [0.45, 0.5])
    assert edges.tolist() == [0.0, 0.25, 0.45, 0.5, 0.75, 1.0]
    bins = reliability_bins(SCORES, OUTCOMES, edges)
    assert [(b.low, b.high, b.count) for b in bins] == [
        (0.0, 0.25, 3),
        (0.25, 0.45, 0),
        (0.45, 0.5, 0),
        (0.5, 0.75, 1),
        (0.75, 1.0, 2),
    ]
    assert bins[0].mean_predicted == pytest.approx(0.32 / 3)
    assert bins[0].observed_rate == pytest.approx(1 / 3)
    assert bins[1].mean_predicted is None and bins[1].observed_rate is None


@pytest.fixture(scope="module")
def result() -> CalibrationResult:
    calibration = {"bins": 10, "bootstrap": 300}
    return run_calibration(model_data(policy(fair_lending=FAIR, calibration=calibration)))


def test_overall_and_group_figures_follow_the_definitions(result: CalibrationResult) -> None:
    data = model_data()
    p, y = data.predictions[:, 1], (data.target == 1).astype(float)
    ece, brier = result.overall.expected_calibration_error, result.overall.brier_score
    assert ece is not None and brier is not None
    assert ece.value == pytest.approx(expected_calibration_error(p, y, 10), abs=1e-15)
    assert brier.value == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    for metric in (ece, brier):
        assert metric.low is not None and metric.high is not None
        assert metric.low <= metric.value <= metric.high  # type: ignore[operator]
    assert sum(b.count or 0 for b in result.reliability) == len(p)
    assert result.thresholds == [0.5]
    sex = data.frame["sex"].to_numpy()
    (by_sex, by_age) = result.attributes
    assert [g.label for g in by_sex.groups] == ["f", "m"]
    women = by_sex.groups[0]
    assert women.size == int((sex == "f").sum())
    assert women.brier_score is not None
    assert women.brier_score.value == pytest.approx(
        brier_score_loss(y[sex == "f"], p[sex == "f"]), abs=1e-12
    )
    assert [g.label for g in by_age.groups] == [
        "<25",
        "25\u201335",
        "35\u201350",
        "50\u201365",
        "65+",
    ]


def test_without_fair_lending_calibration_is_overall_only() -> None:
    found = run_calibration(model_data(policy(calibration={"bootstrap": 0})))
    assert found.attributes == []
    assert found.overall.brier_score is not None and found.overall.brier_score.low is None
