"""Which cohorts of a family are published, and under which label (issue #8)."""

from __future__ import annotations

from reportgen.privacy.families import OTHER_VALUES, WITHHELD, plan_family


def test_declared_labels_stay_visible_when_suppressed() -> None:
    plan = plan_family({"<25": 3, "25-50": 40, "50+": 30}, total=73, minimum=11, declared=True)
    assert plan.rows == ("<25", "25-50", "50+")
    assert plan.published == {"25-50"}
    assert plan.suppressed == ("<25", "50+")  # 50+ protects <25 (complementary)


def test_values_from_the_data_below_the_minimum_are_merged_and_never_named() -> None:
    sizes = {"Dutch": 93, "German": 92, "Tuvaluan": 1}
    plan = plan_family(sizes, total=186, minimum=11, declared=False)
    # one Tuvaluan alone would be derivable from the total: German joins the merged row
    assert plan.rows == ("Dutch", OTHER_VALUES)
    assert plan.published == {"Dutch"}
    assert plan.suppressed == (OTHER_VALUES,)
    assert "Tuvaluan" not in plan.rows + plan.suppressed


def test_a_unique_value_per_person_publishes_one_merged_row() -> None:
    sizes = {f"name-{i}": 1 for i in range(186)}
    plan = plan_family(sizes, total=186, minimum=11, declared=False)
    assert plan == plan_family(sizes, total=186, minimum=11, declared=False)
    assert (plan.rows, plan.published, plan.suppressed) == (
        (OTHER_VALUES,),
        frozenset(),
        (OTHER_VALUES,),
    )
    # the same sizes with declared labels cannot be protected: every cohort would be pinned to 1
    assert plan_family(sizes, total=186, minimum=11, declared=True) == WITHHELD


def test_small_values_that_together_reach_the_minimum_need_no_other_suppression() -> None:
    sizes = {"a": 50, "b": 6, "c": 6}
    plan = plan_family(sizes, total=62, minimum=11, declared=False)
    assert plan.rows == ("a", OTHER_VALUES)
    assert plan.published == {"a"}


def test_an_unprotectable_declared_family_is_withheld() -> None:
    """Cohorts a=1, b=c=d=11 (suppression.py): whatever is suppressed, a is pinned to 1."""
    plan = plan_family({"a": 1, "b": 11, "c": 11, "d": 11}, total=34, minimum=11, declared=True)
    assert plan.withheld and plan.rows == ()
