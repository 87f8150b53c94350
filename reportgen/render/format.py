"""Number and word formatting for the report: one place decides how every value reads.

Pure functions of plain values; the view-model calls them so templates only display strings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

MINUS = "\u2212"  # a typographic minus sign reads better than a hyphen in tables
_SUPERSCRIPT = str.maketrans(
    "-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
)
_NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
)
_METRIC_NAMES = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC",
    "average_precision": "average precision",
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "log_loss": "log loss",
    "neg_log_loss": "negative log loss",
    "brier": "Brier score",
    "brier_score": "Brier score",
    "f1": "F1",
    "precision": "precision",
    "recall": "recall",
    "r2": "R\u00b2",
    "rmse": "RMSE",
    "mae": "MAE",
    "mse": "MSE",
}


def fmt_num(value: float, digits: int = 3) -> str:
    """A value with ``digits`` significant digits, thousands separators and a real minus sign.

    Very small magnitudes use a power of ten, ``1.2 x 10^-6`` (typeset with a times sign and
    superscripts), instead of a run of zeros.
    """
    if not math.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    sign = MINUS if value < 0 else ""
    size = abs(value)
    if size < 10 ** -(digits + 1):
        mantissa, exponent = f"{size:.{digits - 2}e}".split("e")
        return f"{sign}{mantissa} \u00d7 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    decimals = max(digits - 1 - math.floor(math.log10(size)), 0)
    return f"{sign}{size:,.{decimals}f}"


def fmt_short(value: float, digits: int = 3) -> str:
    """Like :func:`fmt_num` without trailing zeros: ``1``, ``0.55``, ``1 \u00d7 10\u207b\u2076``.

    For parameters a person chose (a privacy budget, a bound), where ``1.00`` would suggest a
    precision nobody measured.
    """
    text = fmt_num(value, digits)
    mantissa, times, power = text.partition(" \u00d7 ")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}{times}{power}"


def fmt_fixed(value: float, decimals: int = 3) -> str:
    """A value with a fixed number of decimals (scores and metrics line up in a column)."""
    if not math.isfinite(value):
        return "n/a"
    rounded = round(value, decimals)
    return f"{rounded if rounded != 0 else 0.0:,.{decimals}f}".replace("-", MINUS)


def column_decimals(values: Sequence[float], digits: int = 3) -> int:
    """Decimals that give the column's largest magnitude ``digits`` significant digits.

    A table column formatted with one number of decimals lines up and compares at a glance.
    """
    largest = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    if largest == 0:
        return digits - 1
    return max(digits - 1 - math.floor(math.log10(largest)), 0)


def fmt_signed(value: float, decimals: int = 3) -> str:
    """Like :func:`fmt_fixed`, with an explicit ``+`` for values that do not round to zero."""
    text = fmt_fixed(value, decimals)
    return f"+{text}" if round(value, decimals) > 0 else text


def fmt_int(value: int) -> str:
    """An integer with thousands separators: ``12,345``."""
    return f"{value:,}"


def fmt_seconds(seconds: float) -> str:
    """A duration in words a reader takes in at a glance: ``0.42 s``, ``12.3 s``, ``2 min 5 s``."""
    if seconds < 60:
        return f"{fmt_num(seconds, 2 if seconds < 10 else 3)} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def fmt_datetime(text: str) -> str:
    """An ISO 8601 time as ``2024-05-01 14:03 UTC``; text that is not ISO is shown as written."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def number_word(count: int) -> str:
    """``3`` -> ``"three"``; counts above ten stay digits."""
    return _NUMBER_WORDS[count] if 0 <= count < len(_NUMBER_WORDS) else fmt_int(count)


def join_words(items: Sequence[str], conjunction: str = "and") -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def metric_name(name: str) -> str:
    """A metric's name in words: ``roc_auc`` -> ``ROC AUC``."""
    return _METRIC_NAMES.get(name.lower(), name.replace("_", " "))


def metric_label(name: str) -> str:
    """A metric's name as a label, first letter capitalised: ``accuracy`` -> ``Accuracy``."""
    words = metric_name(name)
    return words[:1].upper() + words[1:]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 row``, ``2 rows``: the count with thousands separators and the right noun."""
    noun = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{fmt_int(count)} {noun}"


def shorten(text: str, limit: int = 40) -> str:
    """Cut a label to ``limit`` characters with an ellipsis, for chart axes."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def direction(contribution: float) -> Literal["raises", "lowers", "no effect"]:
    """How a contribution moves the explained output: ``raises``, ``lowers`` or ``no effect``."""
    if contribution > 0:
        return "raises"
    if contribution < 0:
        return "lowers"
    return "no effect"
