"""Number and word formatting used throughout the report."""

from __future__ import annotations

import pytest

from reportgen.render.format import (
    MINUS,
    column_decimals,
    direction,
    fmt_datetime,
    fmt_fixed,
    fmt_num,
    fmt_seconds,
    fmt_signed,
    join_words,
    metric_label,
    metric_name,
    number_word,
    plural,
    shorten,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0"),
        (0.04231, "0.0423"),
        (12.345, "12.3"),
        (1234.5, "1,234"),
        (-0.5, f"{MINUS}0.500"),
        (4.4e-16, "4.4 \u00d7 10\u207b\u00b9\u2076"),
        (float("nan"), "n/a"),
    ],
)
def test_fmt_num_keeps_three_significant_digits(value: float, expected: str) -> None:
    assert fmt_num(value) == expected


def test_fixed_and_signed_formats_use_a_real_minus_and_no_negative_zero() -> None:
    assert fmt_fixed(0.84312) == "0.843"
    assert fmt_fixed(-0.00001) == "0.000"
    assert fmt_signed(0.2411, 3) == "+0.241"
    assert fmt_signed(-0.0213, 3) == f"{MINUS}0.021"
    assert fmt_signed(0.00001, 3) == "0.000"


def test_column_decimals_give_the_largest_value_its_significant_digits() -> None:
    assert column_decimals([0.1187, 0.0031]) == 3
    assert column_decimals([0.0652, -0.0004]) == 4
    assert column_decimals([125.0, 3.0]) == 0
    assert column_decimals([]) == 2


def test_words() -> None:
    assert join_words(["a"]) == "a"
    assert join_words(["a", "b", "c"]) == "a, b and c"
    assert join_words(["a", "b"], "or") == "a or b"
    assert number_word(3) == "three"
    assert number_word(12) == "12"
    assert plural(1, "row") == "1 row"
    assert plural(2000, "row") == "2,000 rows"
    assert metric_name("roc_auc") == "ROC AUC"
    assert metric_name("mean_pinball") == "mean pinball"
    assert metric_label("accuracy") == "Accuracy"
    assert shorten("x" * 50, 10) == "xxxxxxxxx\u2026"


def test_direction_follows_the_sign() -> None:
    assert [direction(v) for v in (0.3, -0.1, 0.0)] == ["raises", "lowers", "no effect"]


def test_times() -> None:
    assert fmt_seconds(0.05) == "0.050 s"
    assert fmt_seconds(41.2) == "41.2 s"
    assert fmt_seconds(83.4) == "1 min 23 s"
    assert fmt_seconds(7322) == "2 h 2 min"
    assert fmt_datetime("2025-03-04T10:20:31+01:00") == "2025-03-04 09:20 UTC"
    assert fmt_datetime("2025-03-04T09:20:31") == "2025-03-04 09:20"
    assert fmt_datetime("yesterday") == "yesterday"
