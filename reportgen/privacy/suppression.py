"""Small-cohort suppression with complementary suppression, for one partition of a population.

The cohorts of one family (age bands, predicted classes, ...) split a published total. A cohort
with fewer than ``minimum`` people is suppressed (*primary* suppression). Suppressing it alone is
not enough: the reader can subtract the published cohorts from the total. So further cohorts,
smallest first, are suppressed (*complementary* suppression); cohorts of equal size are
suppressed together, so every published count exceeds every suppressed one.

How far to go is the subtle part, because a reader may know this algorithm and re-run it on
every count vector consistent with the output. Stopping at the first "safe enough" step tells
such a reader that every earlier step was not safe, and that alone can pin a count: with a
minimum of 4, counts ``c0=6, c1=6, c2=1, c3=2`` and ``c0, c2, c3`` suppressed, the reader
knows ``c2 + c3`` was below 4 (else no complement was needed), so ``c0 = 6``. The decision at
each step is therefore made only from what a reader sees if the algorithm stops there: the
number of suppressed cohorts, their sum and the smallest published count. A step is accepted
only if the reader's possible worlds provably leave every suppressed cohort two or more
values. The proof is constructive: it exhibits worlds in which every complement has one
common size ``y`` (so no earlier step was passed over) for two or more values of ``y``, and
checks that the small cohorts can also take two or more values in them. A world counts only
if re-running the algorithm on it gives the same output, which holds by construction: its only
earlier step (the small cohorts alone) is checked to be one the algorithm refuses.

The reader is granted more than the report tells: which suppressed cohorts are small. Every
suppressed cohort is listed with the same reason, because telling primary from complementary
suppressions would itself give counts away (``a=1, b=11, c=30``, minimum 11, ``a, b``
suppressed: "a: primary, b: complementary" means a is 1..10 and b at least 11 with a + b = 12,
so a = 1 and b = 11). The tests re-run this algorithm exhaustively on small families.

Zero counts are published as 0: an empty cohort describes nobody, and suppressing it would
only force needless complementary suppression. Consequently a suppressed cohort is never empty.
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
    ``total_publishable`` is False when even suppressing every non-empty cohort cannot be proved
    safe (e.g. a single small cohort): the caller must then withhold the whole family, its
    total included.
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
    small = {c for c, n in cohorts.items() if 0 < n < minimum}
    if not small:
        return Suppression(published={c: cohorts[c] for c in counts})
    levels = sorted({n for n in cohorts.values() if n >= minimum})
    hidden = set(small)
    for step, level in enumerate([None, *levels]):
        if level is not None:
            hidden |= {c for c, n in cohorts.items() if n == level}
        cap = levels[step] if step < len(levels) else None
        held = sum(cohorts[c] for c in hidden)
        safe = _safe(len(small), len(hidden) - len(small), held, cap, minimum)
        if safe:
            break
    return Suppression(
        published={c: cohorts[c] for c in counts if c not in hidden},
        suppressed={c: reason(minimum) for c in cohorts if c in hidden},
        total_publishable=safe,
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


def _safe(small: int, others: int, hidden: int, cap: int | None, minimum: int) -> bool:
    """Whether stopping with these cohorts suppressed leaves every one of them two or more values.

    ``small`` cohorts of 1..minimum-1 people and ``others`` complements are suppressed, holding
    ``hidden`` people together; ``cap`` is the smallest published count of ``minimum`` or more
    (None when there is none), which every complement is below. Everything here is what the
    reader knows once the output is published, so the decision itself reveals nothing more.
    """
    if others == 0:
        return _spread(small, hidden, minimum)
    # worlds where every complement has one size y and the small cohorts hold the rest
    top = hidden if cap is None else cap - 1
    sizes: set[int] = set()
    values: set[int] = set()
    lowest = max(minimum, -(-(hidden - small * (minimum - 1)) // others))
    for y in range(lowest, min(top, (hidden - small) // others) + 1):
        rest = hidden - others * y
        if _spread(small, rest, minimum):
            continue  # the algorithm would have stopped before suppressing any complement
        sizes.add(y)
        values |= _values(small, rest, minimum)
        if len(sizes) > 1 and len(values) > 1:
            return True
    return False


def _spread(small: int, total: int, minimum: int) -> bool:
    """Whether ``small`` suppressed small cohorts alone, holding ``total``, are safe to stop at."""
    return small > 1 and total >= minimum and len(_values(small, total, minimum)) > 1


def _values(small: int, total: int, minimum: int) -> set[int]:
    """The sizes one of ``small`` cohorts of 1..minimum-1 people can have, holding ``total``."""
    others_most = (small - 1) * (minimum - 1)
    return set(range(max(1, total - others_most), min(minimum - 1, total - (small - 1)) + 1))


__all__ = ["REST", "Suppression", "reason", "suppress"]
