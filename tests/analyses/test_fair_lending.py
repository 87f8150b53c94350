"""Issue #11: fair-lending figures against hand computations and exact identities.

AIR and SMD equal hand computations on a small handmade table; fairlearn's MetricFrame is what
computes the approval rates; the decomposition of a score gap sums to the gap to 1e-9 (and each
contribution is the difference of group-mean SHAP values); the reference is the policy's group or
the published group approved most often, never a small one.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import fairlearn.metrics
import numpy as np
import pytest

from reportgen.analyses.context import SALT_SHAP
from reportgen.analyses.explain.shap_explainer import explain_shap
from reportgen.analyses.fair_lending import (
    GroupStats,
    adverse_impact_ratio,
    group_stats,
    run_fair_lending,
    standardized_mean_difference,
)
from reportgen.privacy.group_figures import publishable_groups
from reportgen.results.credit import AttributeFairness, FairLendingResult
from tests.analyses.fair_lending_fixture import FAIR, model_data, policy

# A handmade table: women listed first in the data but second in the display order, men and
# women interleaved, and outcomes that differ from the decisions (a rate computed from y_true,
# or with the groups misaligned, would not match).
GROUPS = np.array(["w", "m", "w", "w", "m", "w", "m", "m", "w"], dtype=object)
APPROVED = np.array([1, 1, 1, 0, 1, 0, 1, 0, 1], dtype=bool)
SCORES = np.array([0.1, 0.2, 0.2, 0.7, 0.1, 0.6, 0.3, 0.55, 0.3])
WOMEN = [0.1, 0.2, 0.7, 0.6, 0.3]  # approved 3 of 5
MEN = [0.2, 0.1, 0.3, 0.55]  # approved 3 of 4


def _hand_smd(group: list[float], reference: list[float]) -> float:
    """Cohen's d with the pooled sample standard deviation, in exact fractions."""
    g, r = [Fraction(str(v)) for v in group], [Fraction(str(v)) for v in reference]
    mean_g, mean_r = sum(g) / len(g), sum(r) / len(r)
    squares = sum((v - mean_g) ** 2 for v in g) + sum((v - mean_r) ** 2 for v in r)
    pooled = squares / (len(g) + len(r) - 2)
    return float(mean_g - mean_r) / float(pooled) ** 0.5


def test_air_and_smd_equal_hand_computations_on_a_handmade_table() -> None:
    stats = group_stats(APPROVED, SCORES, GROUPS, ["m", "w", "nobody"])
    assert list(stats) == ["m", "w", "nobody"]
    assert stats["w"] == GroupStats(5, 0.6, pytest.approx(0.38), pytest.approx(0.067))
    assert (stats["m"].size, stats["m"].approval_rate) == (4, 0.75)
    assert stats["nobody"] == GroupStats(0, None, None, None)
    air = adverse_impact_ratio(stats["w"].approval_rate, stats["m"].approval_rate)
    assert air == pytest.approx(float(Fraction(3, 5) / Fraction(3, 4)), abs=1e-15)  # 0.8
    smd = standardized_mean_difference(stats["w"], stats["m"])
    assert smd == pytest.approx(_hand_smd(WOMEN, MEN), abs=1e-12)
    assert smd == pytest.approx(0.397073, abs=1e-6)  # (0.38 - 0.2875) / sqrt(0.379875 / 7)
    assert adverse_impact_ratio(0.5, 0.0) is None  # a reference approving nobody: undefined


def test_metricframe_computes_the_approval_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rate fairlearn's selection_rate did not compute cannot reach the result."""
    calls: list[Any] = []

    def marked(y_true: Any, y_pred: Any, **kwargs: Any) -> float:
        calls.append(np.asarray(y_pred).tolist())
        return 0.125

    monkeypatch.setattr(fairlearn.metrics, "selection_rate", marked)
    stats = group_stats(APPROVED, SCORES, GROUPS, ["m", "w"])
    assert {s.approval_rate for s in stats.values()} == {0.125}
    everyone = APPROVED.astype(int).tolist()  # MetricFrame's overall figure, then per group
    assert sorted(calls) == sorted([everyone, [1, 1, 1, 0], [1, 1, 0, 0, 1]])


@pytest.fixture(scope="module")
def result() -> FairLendingResult:
    return run_fair_lending(model_data())


def _attribute(result: FairLendingResult, name: str) -> AttributeFairness:
    return next(a for a in result.attributes if a.attribute == name)


def test_the_rates_ratios_and_differences_match_the_data(result: FairLendingResult) -> None:
    data = model_data()
    scores = data.predictions[:, 1]
    sex = data.frame["sex"].to_numpy()
    rates = {g: float((scores[sex == g] < 0.5).mean()) for g in ("f", "m")}
    found = _attribute(result, "sex")
    reference = max(rates, key=lambda g: rates[g])
    assert found.reference == reference and found.reference_rule == "highest_approval_rate"
    other = next(g for g in found.groups if not g.reference)
    assert other.approval_rate is not None and other.adverse_impact_ratio is not None
    assert other.approval_rate.value == pytest.approx(rates[other.label], abs=1e-15)
    assert other.adverse_impact_ratio.value == pytest.approx(
        rates[other.label] / rates[reference], abs=1e-15
    )
    g, r = scores[sex == other.label], scores[sex == reference]
    pooled = ((len(g) - 1) * g.var(ddof=1) + (len(r) - 1) * r.var(ddof=1)) / (len(g) + len(r) - 2)
    assert other.standardized_mean_difference is not None
    assert other.standardized_mean_difference.value == pytest.approx(
        (g.mean() - r.mean()) / np.sqrt(pooled), abs=1e-12
    )
    for metric in (other.approval_rate, other.adverse_impact_ratio):
        assert metric.low is not None and metric.high is not None
        assert metric.low <= metric.value <= metric.high  # type: ignore[operator]


def test_the_decomposition_sums_to_the_gap_to_1e_9(result: FairLendingResult) -> None:
    data = model_data()
    age = _attribute(result, "age")
    found = age.decomposition
    assert found is not None and found.rows == "all"  # groups within decomposition_rows
    judged = [g for g in age.groups if g.adverse_impact_ratio and (g.size or 0) >= 11]
    lowest = min(judged, key=lambda g: g.adverse_impact_ratio.value)  # type: ignore[union-attr]
    assert (found.group, found.compared_with) == (lowest.label, age.reference)
    assert abs(found.residual) <= 1e-9
    assert abs(sum(c.contribution for c in found.contributions) - found.gap) <= 1e-9
    # independently: the gap in mean prediction over every row of the two groups, and their
    # group-mean SHAP values from shap itself, with the same background and per-row seeds
    bands = np.searchsorted([25, 35, 50, 65], data.frame["age"].to_numpy(), side="right")
    label_of = np.array(["<25", "25\u201335", "35\u201350", "50\u201365", "65+"])[bands]
    rows = [np.flatnonzero(label_of == name) for name in (found.group, found.compared_with)]
    assert (found.group_rows, found.compared_rows) == (len(rows[0]), len(rows[1]))
    p = data.predictions[:, 1]
    assert found.gap == pytest.approx(p[rows[0]].mean() - p[rows[1]].mean(), abs=1e-9)
    assert found.gap == pytest.approx(found.gap_all_rows, abs=1e-9)
    spec = data.settings.shap
    means = [
        explain_shap(
            data.model,
            data.evaluation[r],
            background=data.background,
            seeds=data.seeds(SALT_SHAP, r),
            estimator=spec.estimator,
            permutations=spec.permutations,
        )
        .values[:, :, 1]
        .mean(axis=0)
        for r in rows
    ]
    by_feature = {c.feature: c.contribution for c in found.contributions}
    assert [by_feature[f] for f in ("x0", "x1", "colour")] == pytest.approx(
        list(means[0] - means[1]), abs=1e-12
    )
    assert [c.rank for c in found.contributions] == [1, 2, 3]
    sizes = [abs(c.contribution) for c in found.contributions]
    assert sizes == sorted(sizes, reverse=True)


def test_a_group_above_the_cap_is_explained_through_a_sample_of_its_global_rows_first() -> None:
    fair = {**FAIR, "decomposition_rows": 20, "bootstrap": 0}
    sampled = {"estimator": "permutation", "permutations": 3}  # per-row seeds matter here
    data = model_data(policy(shap=sampled, fair_lending=fair))
    global_values = data.global_shap  # computed first: shap_of must reuse these rows' values
    decomposition = _attribute(run_fair_lending(data), "sex").decomposition
    assert decomposition is not None and decomposition.rows == "sample"
    assert (decomposition.group_rows, decomposition.compared_rows) == (20, 20)
    assert abs(decomposition.residual) <= 1e-9
    assert not data._row_shap  # 20 of each sex among the 150 global rows: nothing new explained
    again = data.shap_of(data.global_rows[:5])
    assert np.array_equal(again.values, global_values.values[:5])
    fresh = model_data(data.policy)  # nothing computed: these rows are explained on their own
    recomputed = fresh.shap_of(data.global_rows[:5])
    assert np.allclose(recomputed.values, global_values.values[:5], atol=1e-12)


def test_a_group_below_the_minimum_is_never_the_reference() -> None:
    data = model_data()
    ages = data.frame["age"].to_numpy()
    scores = data.predictions[:, 1].copy()
    tiny = np.flatnonzero(ages >= 65)[:5]
    others = np.flatnonzero(ages >= 65)[5:]
    scores[tiny] = 0.01  # the five are all approved: the highest rate, but too few to compare
    data.frame.loc[others, "age"] = 60.0  # only the five remain 65+
    data.__dict__["predictions"] = np.column_stack([1 - scores, scores])
    found = _attribute(run_fair_lending(data), "age")
    small = next(g for g in found.groups if g.label == "65+")
    assert small.size == 5 and small.approval_rate is not None and small.approval_rate.value == 1.0
    assert found.reference != "65+" and found.reference is not None


def test_the_policy_names_the_reference_band_with_a_hyphen() -> None:
    fair = {"attributes": [{"attribute": "age", "bands": [25, 35, 50, 65], "reference": "35-50"}]}
    found = run_fair_lending(model_data(policy(fair_lending=fair))).attributes
    assert [a.attribute for a in found] == ["age"]
    assert found[0].reference == "35\u201350" and found[0].reference_rule == "policy"
    reference = next(g for g in found[0].groups if g.reference)
    assert reference.label == "35\u201350" and reference.adverse_impact_ratio is None


def test_the_same_seed_gives_the_same_intervals_and_another_seed_other_ones() -> None:
    first = run_fair_lending(model_data())
    assert first.attributes == run_fair_lending(model_data()).attributes
    other = policy(fair_lending=FAIR).model_copy(update={"seed": 7})
    moved = run_fair_lending(model_data(other))
    assert [g.approval_rate for g in moved.attributes[0].groups] != [
        g.approval_rate for g in first.attributes[0].groups
    ]


def test_the_reference_is_a_group_the_gate_publishes() -> None:
    """A band of 12 approved applicants is suppressed to protect a band of 4: the reference (and
    the decomposed pair) must then come from the bands the report shows."""
    data = model_data()
    ages = data.frame["age"].to_numpy()
    scores = data.predictions[:, 1].copy()
    old = np.flatnonzero(ages >= 50)
    data.frame.loc[old, "age"] = 45.0  # every 50+ applicant moves to 35-50...
    data.frame.loc[old[:12], "age"] = 55.0  # ...but twelve, all approved, in 50-65
    data.frame.loc[old[12:16], "age"] = 70.0  # and four in 65+
    scores[old[:12]] = 0.01
    data.__dict__["predictions"] = np.column_stack([1 - scores, scores])
    naive = _attribute(run_fair_lending(data), "age")
    assert naive.reference == "50\u201365"  # approved most often, of 11 or more
    found = _attribute(run_fair_lending(data, publishable=publishable_groups), "age")
    assert found.reference not in (None, "50\u201365", "65+")
    assert found.decomposition is not None
    assert {found.decomposition.group, found.decomposition.compared_with}.isdisjoint(
        {"50\u201365", "65+"}
    )
