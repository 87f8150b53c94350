"""Differential privacy: noise calibrated to epsilon and sensitivity, budget enforced, bounds kept.

OpenDP's noise cannot be seeded, so noise is checked statistically: with a few thousand draws
the empirical standard deviation of Laplace noise is within about 2% of sqrt(2) * scale, and
the tests allow 10%.
"""

from __future__ import annotations

import json
import math
import threading

import numpy as np
import pytest

from reportgen.errors import PrivacyError
from reportgen.policy.privacy import DifferentialPrivacySpec
from reportgen.privacy.dp import (
    UNIT,
    Ledger,
    count_measurement,
    noisy_count,
    noisy_mean,
    sum_measurement,
)

DRAWS = 3000


@pytest.mark.parametrize("epsilon", [0.1, 0.3, 1 / 3, 0.7, 2.0])
def test_count_noise_scale_is_one_over_epsilon_and_the_map_gives_epsilon(epsilon):
    calibration = count_measurement(epsilon)
    assert calibration.sensitivity == 1.0
    assert calibration.scale == pytest.approx(1 / epsilon, rel=1e-12)
    certified = calibration.measurement.map(1)
    assert certified <= epsilon
    assert certified == pytest.approx(epsilon, rel=1e-12)
    assert calibration.epsilon == certified


@pytest.mark.parametrize(("lower", "upper"), [(10.0, 20.0), (-3.0, 1.0), (0.0, 1.0)])
def test_sum_sensitivity_is_the_width_of_the_bounds(lower, upper):
    calibration = sum_measurement(lower=lower, upper=upper, epsilon=0.5)
    assert calibration.sensitivity == pytest.approx(upper - lower, rel=1e-6)
    assert calibration.sensitivity >= upper - lower  # OpenDP's float-rounding margin
    assert calibration.scale == pytest.approx(calibration.sensitivity / 0.5, rel=1e-12)
    assert calibration.measurement.map(1) == pytest.approx(0.5, rel=1e-12)
    assert calibration.measurement.map(1) <= 0.5


def test_count_noise_has_the_declared_spread():
    ledger = Ledger(epsilon=DRAWS * 0.25)
    draws = np.array(
        [noisy_count(200, epsilon=0.25, ledger=ledger, name="n") for _ in range(DRAWS)]
    )
    assert np.all(draws == np.round(draws))  # counts stay integers
    assert abs(draws.mean() - 200) < 0.5
    assert draws.std() == pytest.approx(math.sqrt(2) * 4.0, rel=0.10)
    assert ledger.spent == pytest.approx(DRAWS * 0.25)


def test_sum_noise_has_the_declared_spread():
    calibration = sum_measurement(lower=0.0, upper=10.0, epsilon=2.0)
    centred = (np.array([1.0, 4.0, 9.0]) - 5.0).tolist()  # true clamped centred sum: -1
    draws = np.array([calibration.measurement(centred) for _ in range(DRAWS)])
    assert abs(draws.mean() + 1.0) < 0.5
    assert draws.std() == pytest.approx(math.sqrt(2) * 5.0, rel=0.10)


def test_values_are_clamped_to_the_declared_bounds():
    ledger = Ledger(epsilon=1e4)
    values = np.array([1000.0] * 50 + [-1000.0] * 50)  # clamped: fifty 10s and fifty 0s
    mean = noisy_mean(
        values, lower=0.0, upper=10.0, epsilon=1e4, ledger=ledger, name="x", count=100
    )
    assert mean == pytest.approx(5.0, abs=0.01)
    (entry,) = ledger.entries
    assert entry["bounds"] == [0.0, 10.0]
    assert entry["statistic"] == "clamped sum"


def test_mean_without_a_released_count_splits_epsilon_between_count_and_sum():
    ledger = Ledger(epsilon=1.0)
    rng = np.random.default_rng(0)
    mean = noisy_mean(
        rng.uniform(0, 1, 500), lower=0.0, upper=1.0, epsilon=1.0, ledger=ledger, name="age"
    )
    assert 0.0 <= mean <= 1.0
    count, total = ledger.entries
    assert (count["statistic"], total["statistic"]) == ("count", "clamped sum")
    assert count["epsilon"] == pytest.approx(0.5) and total["epsilon"] == pytest.approx(0.5)
    assert count["scale"] == pytest.approx(2.0) and total["scale"] == pytest.approx(2.0, rel=1e-6)
    assert ledger.spent <= 1.0


def test_budget_is_enforced_and_a_refused_release_records_nothing():
    ledger = Ledger(epsilon=1.0)
    noisy_count(40, epsilon=0.6, ledger=ledger, name="age band 18-25")
    before = ledger.entries
    with pytest.raises(PrivacyError) as excinfo:
        noisy_count(30, epsilon=0.5, ledger=ledger, name="age band 25-35")
    assert str(excinfo.value) == (
        "differential privacy budget exhausted: age band 25-35 needs ε=0.5, only 0.4 of ε=1 left"
    )
    assert excinfo.value.exit_code == 3
    with pytest.raises(PrivacyError, match=r"mean income needs ε=0\.5, only 0\.4 of ε=1 left"):
        noisy_mean(np.ones(30), lower=0, upper=1, epsilon=0.5, ledger=ledger, name="mean income")
    assert ledger.entries == before
    assert ledger.remaining == pytest.approx(0.4)


def test_decimal_budgets_add_up_exactly():
    ledger = Ledger(epsilon=1.0)
    for epsilon in (0.1, 0.2, 0.7):  # 0.1 + 0.2 + 0.7 is a hair above 1.0 in floating point
        noisy_count(10, epsilon=epsilon, ledger=ledger, name="n")
    assert ledger.spent <= 1.0 + 1e-12
    with pytest.raises(PrivacyError):
        noisy_count(10, epsilon=1e-6, ledger=ledger, name="n")


def test_concurrent_releases_never_overspend():
    ledger = Ledger(epsilon=0.5)
    refused: list[str] = []

    def release(i: int) -> None:
        try:
            noisy_count(10, epsilon=0.1, ledger=ledger, name=f"cohort {i}")
        except PrivacyError as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=release, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ledger.entries) == 5 and len(refused) == 3


def test_entries_are_json_native_and_state_accuracy():
    ledger = Ledger.from_spec(DifferentialPrivacySpec(enabled=True, epsilon=2.0, delta=1e-6))
    noisy_count(25, epsilon=0.5, ledger=ledger, name="class 'good'")
    document = ledger.to_json()
    assert json.loads(json.dumps(document)) == document
    assert document["epsilon"] == 2.0 and document["delta"] == 1e-6 and document["unit"] == UNIT
    (entry,) = document["entries"]
    assert entry == {
        "name": "class 'good'",
        "statistic": "count",
        "mechanism": "Laplace (OpenDP)",
        "epsilon": 0.5,
        "delta": 0.0,
        "sensitivity": 1.0,
        "scale": 2.0,
        "bounds": None,
        "accuracy_95": pytest.approx(2.0 * math.log(20)),
    }


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda ledger: noisy_count(5, epsilon=0.0, ledger=ledger, name="n"),
            "epsilon must be a positive number, got 0.0",
        ),
        (
            lambda ledger: noisy_count(-1, epsilon=0.1, ledger=ledger, name="n"),
            "n: a count cannot be negative, got -1",
        ),
        (
            lambda ledger: noisy_mean(
                np.ones(3), lower=1, upper=0, epsilon=0.1, ledger=ledger, name="m"
            ),
            "bounds must be finite with lower < upper, got [1, 0]",
        ),
        (
            lambda ledger: noisy_mean(
                np.array([1.0, np.nan]), lower=0, upper=1, epsilon=0.1, ledger=ledger, name="m"
            ),
            "m: values contain NaN; drop missing values before noisy_mean",
        ),
    ],
)
def test_invalid_arguments_are_refused_and_cost_nothing(call, message):
    ledger = Ledger(epsilon=1.0)
    with pytest.raises(ValueError) as excinfo:
        call(ledger)
    assert str(excinfo.value) == message
    assert ledger.entries == [] and ledger.spent == 0.0


def test_a_ledger_needs_a_positive_budget():
    with pytest.raises(ValueError, match="privacy budget epsilon must be a positive number"):
        Ledger(epsilon=0.0)
