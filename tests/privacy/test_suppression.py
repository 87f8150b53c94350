"""Suppression: nothing small is published, and no suppressed count can be recovered."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reportgen.privacy.suppression import REST, Suppression, reason, suppress

PROPERTY = settings(max_examples=200, deadline=None)


@st.composite
def partitions(draw: st.DrawFn, cohorts: int = 8, largest: int = 40, gap: bool = True):
    """A family of 1..cohorts cohorts, a minimum, and a total that may exceed their sum."""
    n = draw(st.integers(1, cohorts))
    counts = {f"c{i}": draw(st.integers(0, largest)) for i in range(n)}
    minimum = draw(st.integers(2, 15))
    extra = draw(st.integers(0, largest)) if gap else 0
    return counts, minimum, sum(counts.values()) + extra


def reader_values(result: Suppression, counts: dict[str, int], minimum: int, total: int):
    """Every value each suppressed cohort can take, as seen by a well-informed reader.

    Independent of the implementation: a brute-force reachable-sum search. The reader knows the
    total, the published counts, that zeros are published (so a suppressed cohort is not
    empty), and, more than the report tells, which suppressed cohorts are small (1..minimum-1)
    and which are complements (between minimum and the smallest published non-zero count, as
    they are picked smallest first), and the size of the rest of the total when not suppressed.
    """
    rest = total - sum(counts.values())
    known = sum(result.published.values()) + (0 if REST in result.suppressed or not rest else rest)
    residual = total - known
    shown = [n for n in result.published.values() if n > 0]
    if rest and REST not in result.suppressed:
        shown.append(rest)
    cap = min(shown, default=residual)
    names = list(result.suppressed)
    truth = {**counts, REST: rest}
    ranges = {
        c: range(1, minimum) if truth[c] < minimum else range(minimum, cap + 1)
        for c in result.suppressed
    }
    values: dict[str, set[int]] = {}
    for c in names:
        others: set[int] = {0}
        for other in names:
            if other != c:
                others = {s + v for s in others for v in ranges[other] if s + v <= residual}
        values[c] = {v for v in ranges[c] if residual - v in others}
    return values


@PROPERTY
@given(partitions())
def test_nothing_small_published_and_nothing_recoverable(case):
    counts, minimum, total = case
    result = suppress(counts, minimum=minimum, total=total)
    assert set(result.published) | set(result.suppressed) - {REST} == set(counts)
    assert not set(result.published) & set(result.suppressed)
    for cohort, count in result.published.items():
        assert count == counts[cohort]
        assert count == 0 or count >= minimum  # zeros describe nobody: published as 0
    residual = total - sum(result.published.values())
    rest = total - sum(counts.values())
    if not result.suppressed:
        assert residual == rest and (rest == 0 or rest >= minimum)
        return
    everything = all(c in result.suppressed for c, n in {**counts, REST: rest}.items() if n > 0)
    if not everything:
        assert result.total_publishable
        assert len(result.suppressed) >= 2
        assert residual >= minimum
    if result.total_publishable:
        for cohort, values in reader_values(result, counts, minimum, total).items():
            truth = rest if cohort == REST else counts[cohort]
            assert truth in values  # the reader's model is sound...
            assert len(values) >= 2, (cohort, values)  # ...and still cannot pin the count


@settings(max_examples=400, deadline=None)
@given(partitions(cohorts=4, largest=10))
@example(({"c0": 6, "c1": 6, "c2": 1, "c3": 2}, 4, 15))  # pinned c0 = 6 before stopping was blind
@example(({"a": 3, "b": 100, "c": 101}, 4, 204))
def test_a_reader_who_reruns_the_algorithm_cannot_recover_a_count(case):
    """Exhaustive: every count vector giving the same published output, by re-running suppress."""
    counts, minimum, total = case
    result = suppress(counts, minimum=minimum, total=total)
    if not result.suppressed or not result.total_publishable:
        return
    truth = {**counts, REST: total - sum(counts.values())}
    hidden = list(result.suppressed)
    residual = sum(truth[c] for c in hidden)
    seen: dict[str, set[int]] = {c: set() for c in hidden}
    for values in itertools.product(range(1, residual + 1), repeat=len(hidden) - 1):
        last = residual - sum(values)
        if last < 1:
            continue
        world = {**truth, **dict(zip(hidden, [*values, last], strict=True))}
        listed = {c: world[c] for c in counts}
        if suppress(listed, minimum=minimum, total=sum(world.values())) == result:
            for c, v in zip(hidden, [*values, last], strict=True):
                seen[c].add(v)
    for cohort in hidden:
        assert truth[cohort] in seen[cohort]
        assert len(seen[cohort]) >= 2, (counts, total, minimum, cohort, seen[cohort])


def test_stopping_at_the_first_safe_step_does_not_tell_the_reader_the_earlier_steps_failed():
    # c2 + c3 = 3 < 4 needs a complement; hiding c0 alone would tell a reader who re-runs the
    # algorithm that c2 + c3 < 4, so c0 = 15 - 6 - (c2 + c3) >= 6, and c0 <= c1 = 6: c0 = 6
    result = suppress({"c0": 6, "c1": 6, "c2": 1, "c3": 2}, minimum=4)
    assert "c0" not in result.published
    assert result.published == {} and not result.total_publishable


def test_cohorts_of_equal_size_are_suppressed_together():
    result = suppress({"a": 2, "b": 30, "c": 30, "d": 50}, minimum=11)
    assert result.published == {"d": 50}
    assert set(result.suppressed) == {"a", "b", "c"}


def test_small_cohorts_holding_fewer_than_the_minimum_in_all_are_withheld():
    assert not suppress({"a": 2, "b": 3}, minimum=11).total_publishable


def test_one_small_cohort_is_protected_by_the_smallest_other():
    result = suppress({"<25": 4, "25-50": 30, "50+": 12}, minimum=11)
    assert result.published == {"25-50": 30}
    assert result.suppressed == dict.fromkeys(["<25", "50+"], reason(11))
    assert (
        reason(11) == "fewer than 11 people, or suppressed so that such a cohort cannot be derived"
    )


def test_two_small_cohorts_that_together_reach_the_minimum_need_no_complement():
    result = suppress({"a": 6, "b": 7, "c": 40}, minimum=11)
    assert result.published == {"c": 40}
    assert set(result.suppressed) == {"a", "b"}


def test_two_small_cohorts_below_the_minimum_together_get_a_complement():
    result = suppress({"a": 3, "b": 4, "c": 40, "d": 25}, minimum=11)
    assert result.published == {"c": 40}
    assert set(result.suppressed) == {"a", "b", "d"}


def test_a_complement_whose_size_a_reader_could_infer_is_not_enough():
    # a + b = 12 with a in 1..10 and b >= 11 would pin a = 1, b = 11; c must go too
    result = suppress({"a": 1, "b": 11, "c": 30}, minimum=11)
    assert result.published == {}
    assert result.total_publishable


def test_zero_counts_are_published_and_never_used_as_complements():
    result = suppress({"a": 0, "b": 5, "c": 20, "d": 0}, minimum=11)
    assert result.published == {"a": 0, "d": 0}
    assert result.suppressed == dict.fromkeys(["b", "c"], reason(11))


def test_rows_outside_the_cohorts_are_protected_like_a_cohort():
    result = suppress({"a": 30, "b": 40}, minimum=11, total=73)
    assert result.published == {"b": 40}
    assert result.suppressed == dict.fromkeys([REST, "a"], reason(11))


def test_a_lone_small_cohort_makes_the_total_unpublishable():
    result = suppress({"a": 5, "b": 0}, minimum=11)
    assert result.published == {"b": 0}
    assert not result.total_publishable


def test_nothing_small_means_nothing_suppressed():
    assert suppress({"a": 11, "b": 0, "c": 50}, minimum=11) == Suppression(
        published={"a": 11, "b": 0, "c": 50}
    )


@pytest.mark.parametrize(
    ("counts", "kwargs", "message"),
    [
        ({"a": -1}, {"minimum": 11}, "count of cohort 'a' must be a non-negative integer: -1"),
        ({"a": 2.5}, {"minimum": 11}, "count of cohort 'a' must be a non-negative integer: 2.5"),
        ({"a": 5}, {"minimum": 0}, "minimum cohort size must be at least 1, got 0"),
        (
            {"a": 5},
            {"minimum": 11, "total": 4},
            "total 4 is smaller than the sum of the cohort counts (5)",
        ),
        (
            {REST: 5},
            {"minimum": 11},
            "a cohort may not be named '(rest of the total)': the name is reserved",
        ),
    ],
)
def test_invalid_input_is_refused(counts, kwargs, message):
    with pytest.raises(ValueError) as excinfo:
        suppress(counts, **kwargs)
    assert str(excinfo.value) == message
