"""Small-cohort suppression with complementary suppression, for one partition of a population.

The cohorts of one family (age bands, predicted classes, ...) split a published total. A cohort
with fewer than ``minimum`` people is suppressed (*primary* suppression). Suppressing it alone is
not enough: the reader can subtract the published cohorts from the total. So further cohorts,
smallest first, are suppressed (*complementary* suppression) until the suppressed cohorts
together hold at least ``minimum`` people, at least two are suppressed, and no suppressed
cohort's count can be pinned down by a reader who knows the total, the published counts, this
algorithm and even which suppressions were primary (a primary cohort holds 1 to minimum-1
people, a complementary one between ``minimum`` and the smallest published count).

Every suppressed cohort is listed with the same reason. Telling primary from complementary
suppressions would itself give counts away: with a minimum of 11, cohorts ``a=1, b=11, c=30``
and ``a, b`` suppressed, a reader who sees "a: primary, b: complementary" knows a is 1..10 and b
at least 11 with a + b = 12, so a = 1 and b = 11. Suppressing c too does not help, and some
families (``a=1, b=c=d=11``) cannot be protected at all once such labels are shown. With one
reason for all, a reader who re-runs this algorithm on every count vector consistent with the
output still finds two or more possible counts for each suppressed cohort (tested exhaustively
on small families).

Zero counts are published as 0: an empty cohort describes nobody, and suppressing it would
only force needless complementary suppression. Consequently a suppressed cohort is never empty,
which the derivability check above takes into account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral

REST = "(rest of the total)"
"""Name of the implicit cohort holding ``total - sum(counts)`` when the total exceeds the sum."""


def reason(minimum: int) -> str:
    """The reason listed for every suppressed cohort (see the module docstring for why one)."""
    return f"fewer than {minimum} people, or suppressed so that such a cohort cannot be derived"


@dataclass(frozen=True)
class Suppression:
    """What of one cohort family may be published.

    ``published`` maps each publishable cohort to its count (zeros included), in input order.
    ``suppressed`` maps each suppressed cohort to the (shared) reason; it may name :data:`REST`
    when the rows outside the listed cohorts had to be protected or used as protection.
    ``total_publishable`` is False only in the degenerate case where even suppressing every
    non-empty cohort leaves one derivable from the total (e.g. a single small cohort): the
    caller must then not publish this family's total either.
    """

    published: dict[str, int]
    suppressed: dict[str, str] = field(default_factory=dict)
    total_publishable: bool = True


def suppress(counts: Mapping[str, int], *, minimum: int, total: int | None = None) -> Suppression:
    """Suppress the small cohorts of one partition, and enough others to protect them.

    Parameters
    ----------
    counts:
        Number of people in each cohort of one family; the cohorts must not overlap.
    minimum:
        Smallest publishable cohort size (the policy's ``min_cohort_size``), at least 1.
    total:
        The total published alongside the family; defaults to ``sum(counts)``. A larger total
        means some rows fall in no listed cohort: they are treated as one more cohort,
        :data:`REST`, which is never published but is protected (and used) like any other.

    Raises
    ------
    ValueError
        If ``minimum`` < 1, a count is negative or not an integer, ``total`` is below the sum
        of the counts, or a cohort is named :data:`REST`.
    """
    if minimum < 1:
        raise ValueError(f"minimum cohort size must be at least 1, got {minimum}")
    cohorts = _partition(counts, total)
    primary = sorted((c for c, n in cohorts.items() if 0 < n < minimum), key=str)
    candidates = sorted(
        (c for c, n in cohorts.items() if n >= minimum), key=lambda c: (cohorts[c], str(c))
    )
    complementary: list[str] = []
    while (
        primary
        and len(complementary) < len(candidates)
        and _exposed(cohorts, primary, complementary, minimum)
    ):
        complementary.append(candidates[len(complementary)])
    hidden = set(primary) | set(complementary)
    return Suppression(
        published={c: cohorts[c] for c in counts if c not in hidden},
        suppressed={c: reason(minimum) for c in cohorts if c in hidden},
        total_publishable=not (primary and _derivable(cohorts, primary, complementary, minimum)),
    )


def _partition(counts: Mapping[str, int], total: int | None) -> dict[str, int]:
    """Validated counts as plain ints, plus the implicit REST cohort when the total is larger."""
    if REST in counts:
        raise ValueError(f"a cohort may not be named {REST!r}: the name is reserved")
    cohorts: dict[str, int] = {}
    for cohort, count in counts.items():
        if not isinstance(count, Integral) or isinstance(count, bool) or count < 0:
            raise ValueError(
                f"count of cohort {cohort!r} must be a non-negative integer: {count!r}"
            )
        cohorts[cohort] = int(count)
    listed = sum(cohorts.values())
    if total is not None and total < listed:
        raise ValueError(f"total {total} is smaller than the sum of the cohort counts ({listed})")
    if total is not None and total > listed:
        cohorts[REST] = int(total) - listed
    return cohorts


def _exposed(
    cohorts: Mapping[str, int], primary: list[str], complementary: list[str], minimum: int
) -> bool:
    """Whether the suppressed cohorts still need protection by one more suppression."""
    hidden = [*primary, *complementary]
    too_small = len(hidden) < 2 or sum(cohorts[c] for c in hidden) < minimum
    return too_small or _derivable(cohorts, primary, complementary, minimum)


def _derivable(
    cohorts: Mapping[str, int], primary: list[str], complementary: list[str], minimum: int
) -> bool:
    """Whether a reader can pin down some suppressed cohort's count exactly.

    Conservatively, the reader knows the residual (total minus everything published) and which
    suppressions are primary: a primary cohort holds 1..minimum-1 people, a complementary one
    minimum..smallest published count. With box bounds and a fixed sum, cohort i can take every
    integer in [max(lo_i, r - sum of other highs), min(hi_i, r - sum of other lows)]: it is
    pinned when that interval is a single value.
    """
    hidden = {*primary, *complementary}
    residual = sum(cohorts[c] for c in hidden)
    shown = [n for c, n in cohorts.items() if c not in hidden and n > 0]
    cap = min([*shown, residual])
    bounds = [(1, minimum - 1)] * len(primary) + [(minimum, max(cap, minimum))] * len(complementary)
    low_sum = sum(lo for lo, _ in bounds)
    high_sum = sum(hi for _, hi in bounds)
    for lo, hi in bounds:
        low = max(lo, residual - (high_sum - hi))
        high = min(hi, residual - (low_sum - lo))
        if high <= low:
            return True
    return False


__all__ = ["REST", "Suppression", "reason", "suppress"]
