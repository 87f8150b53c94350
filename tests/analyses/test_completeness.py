"""C1's relative completeness error allows for the model's floating-point precision (issue #8).

A float32 network's outputs differ by a few units in the last place between calls, so exact SHAP
on it missed the 1e-6 tolerance by rounding alone (8.8e-6 where f(x) sat close to E[f]).
"""

from __future__ import annotations

import numpy as np
import pytest

from reportgen.analyses.explain.attribution import PRECISION_ULPS, completeness_error

EPS32, EPS64 = 2.0**-23, 2.0**-52


def _error(residual: float, gap: float, output: float, tolerance: float, eps: float) -> float:
    """The error of one row whose attributions sum to gap + residual."""
    values = np.array([[gap + residual, 0.0]])
    base = np.array([output - gap])
    return float(
        completeness_error(values, base, np.array([output]), tolerance=tolerance, epsilon=eps)[0]
    )


def test_without_rounding_at_stake_it_is_the_plain_relative_error() -> None:
    assert _error(2e-7, 0.5, 0.9, 1e-6, EPS64) == pytest.approx(4e-7)
    assert _error(0.01, 0.2, 0.7, 0.05, EPS32) == pytest.approx(0.05)  # IG at its tolerance


def test_a_few_float32_ulps_on_a_small_gap_pass_and_a_real_gap_error_fails() -> None:
    output, gap = 0.9, 0.0122  # f(x) close to E[f]
    rounding = EPS32 * output  # one unit of float32 rounding: 8.8e-6 of the gap, as in #8
    assert rounding / gap == pytest.approx(8.8e-6, rel=0.01)
    assert _error(rounding, gap, output, 1e-6, EPS32) <= 1e-6
    assert _error(rounding, gap, output, 1e-6, EPS64) > 1e-6  # a float64 model is held to more
    misuse = 1e-4 * output  # e.g. a base value from another background
    assert _error(misuse, gap, output, 1e-6, EPS32) > 1e-6


def test_error_within_tolerance_means_the_residual_is_within_tolerance_or_rounding() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    output = rng.normal(size=n) * 10 ** rng.uniform(-3, 3, n)
    base = output - rng.normal(size=n) * 10 ** rng.uniform(-9, 1, n)
    residual = np.abs(rng.normal(size=n)) * 10 ** rng.uniform(-12, -2, n)
    values = np.column_stack([output - base + residual, np.zeros(n)])
    for tolerance, eps in ((1e-6, EPS32), (1e-6, EPS64), (0.05, EPS32)):
        error = completeness_error(values, base, output, tolerance=tolerance, epsilon=eps)
        scale = np.maximum(np.abs(output), np.abs(base))
        allowed = np.maximum(tolerance * np.abs(output - base), PRECISION_ULPS * eps * scale)
        measured = np.abs(values.sum(axis=1) - (output - base))
        clear = np.abs(measured - allowed) > 1e-9 * allowed  # away from the rounding of the test
        assert clear.mean() > 0.99
        np.testing.assert_array_equal((error <= tolerance)[clear], (measured <= allowed)[clear])
        assert 0.1 < (error <= tolerance).mean() < 0.9  # both outcomes occur


def test_zero_output_zero_gap() -> None:
    zero = np.zeros(1)
    assert completeness_error(np.zeros((1, 2)), zero, zero, tolerance=1e-6, epsilon=EPS64) == 0
    ones = np.array([[1.0, 0.0]])
    assert completeness_error(ones, zero, zero, tolerance=1e-6, epsilon=EPS64) == np.inf
