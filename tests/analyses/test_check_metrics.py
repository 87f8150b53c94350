"""Check metrics against hand-computed values and closed-form truths (CHECKS.md §1, §3, §4, §5, §7)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from reportgen.analyses.checks import metrics as m


class CountingLinear:
    """f(x) = w·x + c over rows, counting calls and rows."""

    def __init__(self, w: np.ndarray, c: float = 0.0) -> None:
        self.w, self.c = w, c
        self.calls: list[tuple[int, ...]] = []

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        self.calls.append(rows.shape)
        return rows @ self.w + self.c


# -- top-k agreement ----------------------------------------------------------------------------


def test_top_k_orders_by_magnitude_and_breaks_ties_by_lower_index():
    e = np.array([0.5, -3.0, 2.0, -2.0, 0.0])
    assert m.top_k(e, 3).tolist() == [1, 2, 3]
    assert m.top_k(np.array([[1.0, 1.0, 1.0], [0.0, -1.0, 1.0]]), 2).tolist() == [[0, 1], [1, 2]]


@pytest.mark.parametrize("k", [0, 6])
def test_top_k_rejects_k_outside_one_to_d(k):
    with pytest.raises(ValueError, match=f"between 1 and the number of features 5, got {k}"):
        m.top_k(np.zeros(5), k)


def test_agreement_hand_example():
    a = np.array([4.0, -3.0, 2.0, 1.0, 0.0])  # order 0, 1, 2, 3, 4
    b = np.array([-3.0, 0.5, 4.0, 2.0, 0.0])  # order 2, 0, 3, 1, 4
    # T_3(a) = {0, 1, 2}, T_3(b) = {2, 0, 3}: overlap {0, 2}; feature 0 flips sign, 2 does not.
    assert m.feature_agreement(a, b, 3) == pytest.approx(2 / 3)
    assert m.sign_agreement(a, b, 3) == pytest.approx(1 / 3)
    assert m.rank_agreement(a, b, 3) == pytest.approx(0.0)
    assert m.rank_agreement(a, b, 5) == pytest.approx(1 / 5)  # feature 4 is last in both


def test_sign_flip_keeps_feature_agreement_but_lowers_sign_agreement():
    a = np.array([[5.0, 4.0, 3.0, 0.1, 0.2]])
    b = a * np.array([1.0, -1.0, 1.0, 1.0, 1.0])
    assert m.feature_agreement(a, b, 3).tolist() == [1.0]
    assert m.sign_agreement(a, b, 3).tolist() == pytest.approx([2 / 3])
    assert m.rank_agreement(a, b, 3).tolist() == [1.0]


def test_zero_sign_is_its_own_sign():
    a, b = np.array([2.0, 0.0, 0.0]), np.array([2.0, -0.0, 1.0])
    # T_2(a) = {0, 1}, T_2(b) = {0, 2}; only feature 0 is shared, same sign.
    assert m.sign_agreement(a, b, 2) == pytest.approx(0.5)
    assert m.sign_agreement(np.array([0.0, 1.0]), np.array([-1.0, 2.0]), 2) == pytest.approx(0.5)


def test_identical_and_reversed_magnitudes():
    a = np.array([[5.0, -4.0, 3.0, -2.0, 1.0]])
    for score in (m.feature_agreement, m.sign_agreement, m.rank_agreement):
        assert score(a, a, 3).tolist() == [1.0]
    assert m.rank_correlation(a, a).tolist() == pytest.approx([1.0])
    reversed_ = a[:, ::-1]  # order 4, 3, 2, 1, 0; T_3 = {4, 3, 2}
    assert m.feature_agreement(a, reversed_, 3).tolist() == pytest.approx([1 / 3])
    assert m.rank_agreement(a, reversed_, 3).tolist() == pytest.approx([1 / 3])  # feature 2 third
    assert m.sign_agreement(a, reversed_, 3).tolist() == pytest.approx([1 / 3])  # 3 and 3 agree
    assert m.rank_correlation(a, reversed_).tolist() == pytest.approx([-1.0])


def test_single_row_gives_a_scalar_and_batch_gives_one_value_per_row():
    a = np.array([1.0, 2.0, 3.0])
    assert isinstance(m.feature_agreement(a, a, 2), float)
    assert m.feature_agreement(np.stack([a, a]), np.stack([a, -a]), 2).shape == (2,)
    with pytest.raises(ValueError, match=r"same shape .* got \(3,\) and \(2,\)"):
        m.feature_agreement(a, a[:2], 1)


def test_random_pairs_agree_at_chance_level():
    rng = np.random.default_rng(0)
    k, d = 5, 21
    a, b = rng.normal(size=(2, 2000, d))
    assert m.chance_feature_agreement(k, d) == pytest.approx(5 / 21)
    assert m.chance_sign_agreement(k, d) == pytest.approx(5 / 42)
    assert abs(m.feature_agreement(a, b, k).mean() - k / d) < 0.02
    assert abs(m.sign_agreement(a, b, k).mean() - k / (2 * d)) < 0.02
    assert abs(m.rank_agreement(a, b, k).mean() - 1 / d) < 0.02


# -- Spearman -----------------------------------------------------------------------------------


def test_spearman_matches_scipy_including_ties():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 9)).round(0)  # rounding makes ties
    b = rng.normal(size=(4, 9))
    expected = [stats.spearmanr(x, y).statistic for x, y in zip(a, b, strict=True)]
    assert m.signed_spearman(a, b) == pytest.approx(expected, abs=1e-12)
    expected_abs = [stats.spearmanr(abs(x), abs(y)).statistic for x, y in zip(a, b, strict=True)]
    assert m.rank_correlation(a, b) == pytest.approx(expected_abs, abs=1e-12)


def test_spearman_is_zero_not_nan_on_constant_input():
    const, ramp = np.full(4, 0.1), np.arange(4.0)
    assert m.signed_spearman(const, ramp) == 0.0
    assert m.signed_spearman(const, const) == 0.0
    assert m.rank_correlation(np.array([-1.0, 1.0, -1.0]), ramp[:3]) == 0.0  # |a| constant
    assert m.rank_correlation(np.array([[1.0, 1.0], [1.0, 2.0]]), np.ones((2, 2))).tolist() == [
        0,
        0,
    ]


# -- reruns, convergence, accuracy --------------------------------------------------------------


def test_identical_reruns_are_perfectly_stable():
    rng = np.random.default_rng(2)
    runs = np.repeat(rng.normal(size=(1, 6, 8)), 4, axis=0)
    result = m.rerun_stability(runs, 3)
    assert result.fa.tolist() == [1.0] * 6
    assert result.sa.tolist() == [1.0] * 6
    assert result.cv == pytest.approx(np.zeros(6), abs=1e-12)


def test_one_swapped_feature_lowers_the_affected_pairs_to_k_minus_one_over_k():
    k = 3
    base = np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0])
    runs = np.tile(base, (3, 2, 1))
    runs[2, 0, [2, 3]] = runs[2, 0, [3, 2]]  # run 2, instance 0: feature 2 leaves the top 3
    runs[2, 1, 1] *= -1  # run 2, instance 1: a top feature flips sign
    result = m.rerun_stability(runs, k)
    # pairs (0,1), (0,2), (1,2): one unaffected pair and two at (k-1)/k
    expected = (1 + 2 * (k - 1) / k) / 3
    assert result.fa.tolist() == pytest.approx([expected, 1.0])
    assert result.sa.tolist() == pytest.approx([expected, expected])


def test_cv_hand_example_and_near_zero_means_are_left_out():
    runs = np.array([[[4.0, 2.0, 0.1]], [[6.0, 2.0, 0.1]]])  # mean 5, 2; sd sqrt2, 0
    assert m.rerun_stability(runs, 2).cv.tolist() == pytest.approx([math.sqrt(2) / 10])
    runs = np.array([[[2.0, 1.0, 0.0]], [[4.0, -1.0, 0.0]]])  # feature 1 has mean 0
    assert m.rerun_stability(runs, 2).cv.tolist() == pytest.approx([math.sqrt(2) / 3])
    runs = np.array([[[1.0, -1.0]], [[-1.0, 1.0]]])  # every mean is 0
    assert m.rerun_stability(runs, 2).cv.tolist() == [0.0]


def test_rerun_stability_needs_two_runs():
    with pytest.raises(ValueError, match=r"R >= 2, got \(1, 2, 3\)"):
        m.rerun_stability(np.zeros((1, 2, 3)), 1)


def test_convergence_ratio_hand_example():
    phi = np.array([[1.0, -1.0, 3.0], [2.0, 2.0, 2.0], [2.0, 2.0, 2.0]])
    se = np.array([[0.1, 0.2, 0.05], [0.0, 0.0, 0.0], [0.0, 0.1, 0.0]])
    assert m.convergence_ratio(phi, se).tolist() == [0.05, 0.0, math.inf]
    assert m.convergence_ratio(phi[0], se[0]) == pytest.approx(0.05)


def test_curve_auc_of_constant_and_ramp():
    assert m.curve_auc(np.full(7, 0.3)) == pytest.approx(0.3)
    assert m.curve_auc(np.linspace(0.0, 1.0, 11)) == pytest.approx(0.5)
    assert m.curve_auc(np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])).tolist() == [0.5, 1.0]


def test_removal_curves_of_a_linear_model_are_cumulative_sums_from_one_call():
    w = np.array([0.5, -2.0, 1.0, 3.0])
    x = np.array([2.0, 1.0, -1.0, 0.5])
    model = CountingLinear(w, c=0.25)
    contrib = w * x  # 1, -2, -1, 1.5
    order = np.argsort(-np.abs(contrib), kind="stable")  # 1, 3, 0, 2
    deletion, insertion = m.removal_curves(model, x, np.zeros(4), order)
    removed = np.concatenate([[0.0], np.cumsum(contrib[order])])
    assert deletion == pytest.approx(0.25 + contrib.sum() - removed, abs=1e-12)
    assert insertion == pytest.approx(0.25 + removed, abs=1e-12)
    assert deletion.tolist() == pytest.approx([-0.25, 1.75, 0.25, -0.75, 0.25])
    assert model.calls == [(10, 4)]


def test_removal_curves_batch_matches_one_instance_at_a_time():
    rng = np.random.default_rng(3)
    n, n_orders, d = 3, 2, 5
    model = CountingLinear(rng.normal(size=d))
    xs, substrate = rng.normal(size=(n, d)), rng.normal(size=d)
    orders = rng.random((n, n_orders, d)).argsort(axis=-1)
    deletion, insertion = m.removal_curves_batch(model, xs, substrate, orders)
    assert model.calls == [(2 * n * n_orders * (d + 1), d)]
    assert deletion.shape == insertion.shape == (n, n_orders, d + 1)
    for i in range(n):
        for o in range(n_orders):
            one = m.removal_curves(model, xs[i], substrate, orders[i, o])
            assert one[0] == pytest.approx(deletion[i, o])
            assert one[1] == pytest.approx(insertion[i, o])


def test_removal_curves_reject_an_order_that_is_not_a_permutation():
    with pytest.raises(ValueError, match="permutation"):
        m.removal_curves(CountingLinear(np.ones(3)), np.ones(3), np.zeros(3), np.array([0, 0, 1]))


def test_true_contribution_order_deletes_faster_than_random_orders():
    rng = np.random.default_rng(4)
    d = 8
    w, x = rng.normal(size=d), rng.normal(size=d)
    model = CountingLinear(w)
    true_order = np.argsort(-(w * x), kind="stable")
    random_orders = np.stack([rng.permutation(d) for _ in range(20)])
    orders = np.concatenate([true_order[None], random_orders])[None]
    deletion, _ = m.removal_curves_batch(model, x[None], np.zeros(d), orders)
    auc = m.curve_auc(deletion[0])
    assert auc[0] < auc[1:].mean()
    assert (auc[0] <= auc[1:] + 1e-12).all()  # the signed order gives the lowest curve


def test_distance_curves_of_a_linear_model_add_up_the_steps_whatever_the_offset():
    w = np.array([0.5, -2.0, 1.0, 3.0])
    x = np.array([2.0, 1.0, -1.0, 0.5])
    contrib = w * x  # 1, -2, -1, 1.5: signs mixed, so |f - f(x)| would cancel
    order = np.argsort(-np.abs(contrib), kind="stable")  # 1, 3, 0, 2
    steps = np.abs(contrib[order])  # 2, 1.5, 1, 1
    for offset in (-1e3, 0.0, 1e3):
        model = CountingLinear(w, c=offset)
        deletion, insertion = m.removal_curves(model, x, np.zeros(4), order, distance=True)
        assert deletion == pytest.approx([0.0, 2.0, 3.5, 4.5, 5.5], abs=1e-9)
        assert insertion == pytest.approx([5.5, 3.5, 2.0, 1.0, 0.0], abs=1e-9)
        assert model.calls == [(10, 4)]
        np.testing.assert_allclose(deletion, np.concatenate([[0.0], np.cumsum(steps)]))


def test_distance_curves_rank_the_exact_magnitude_order_best_of_all_orders():
    """On an additive model the |contribution| order travels fastest from f(x) when deleting and
    closes in fastest when inserting: no permutation beats it at any step (issue #8)."""
    rng = np.random.default_rng(9)
    d = 5
    w, x, substrate = rng.normal(size=d), rng.normal(size=d), rng.normal(size=d)
    exact = w * (x - substrate)
    every = np.array(list(itertools.permutations(range(d))))
    best = np.argsort(-np.abs(exact), kind="stable")
    orders = np.concatenate([best[None], every])[None]
    deletion, insertion = m.removal_curves_batch(
        CountingLinear(w, c=-7.0), x[None], substrate, orders, distance=True
    )
    assert (deletion[0, 0] >= deletion[0, 1:].max(axis=0) - 1e-12).all()
    assert (insertion[0, 0] <= insertion[0, 1:].min(axis=0) + 1e-12).all()
    area_del, area_ins = m.curve_auc(deletion[0]), m.curve_auc(insertion[0])
    ratios = m.removal_ratio(
        np.array([area_del[0], area_ins[0]]),
        np.array([area_del[1:].mean(), area_ins[1:].mean()]),
        distance=True,
    )
    assert ratios[0] < 0.8 and ratios[1] > 1.2  # passes C4's default thresholds
    # averaged over every order, a random order sits exactly at 1
    assert m.removal_ratio(area_del[1:].mean(), area_del[1:].mean(), distance=True) == 1.0


def test_removal_ratio_orientation_and_zero_over_zero():
    method, random_ = np.array([1.0, 4.0, 0.0, 0.0]), np.array([2.0, 2.0, 0.0, 3.0])
    assert m.removal_ratio(method, random_, distance=False).tolist() == [0.5, 2.0, 1.0, 0.0]
    assert m.removal_ratio(method, random_, distance=True).tolist() == [2.0, 0.5, 1.0, math.inf]
    flat = CountingLinear(np.zeros(3), c=2.5)  # a prediction that never moves
    orders = np.array([[[0, 1, 2], [2, 1, 0]]])
    curves = m.removal_curves_batch(flat, np.ones((1, 3)), np.zeros(3), orders, distance=True)
    aucs = [m.curve_auc(c)[0] for c in curves]
    assert [m.removal_ratio(a[0], a[1], distance=True) for a in aucs] == [1.0, 1.0]


# -- faithfulness correlation -------------------------------------------------------------------


def test_faithfulness_correlation_is_one_for_exact_linear_attributions():
    rng = np.random.default_rng(5)
    d, runs = 10, 30
    model = CountingLinear(rng.normal(size=d), c=0.7)
    baseline = rng.normal(size=d)
    for x in rng.normal(size=(6, d)):
        exact = model.w * (x - baseline)
        score = m.faithfulness_correlation(
            model, x, np.stack([exact, -exact]), baseline, subset_size=3, runs=runs, rng=rng
        )
        assert score == pytest.approx([1.0, -1.0], abs=1e-12)
    assert model.calls == [(runs + 1, d)] * 6  # one call per instance, whatever the methods


def test_faithfulness_correlation_of_random_attributions_is_near_zero():
    rng = np.random.default_rng(6)
    d = 12
    model = CountingLinear(rng.normal(size=d))
    scores = [
        m.faithfulness_correlation(
            model, x, rng.normal(size=(1, d)), np.zeros(d), subset_size=4, runs=100, rng=rng
        )[0]
        for x in rng.normal(size=(50, d))
    ]
    assert abs(np.mean(scores)) < 0.1


def test_faithfulness_correlation_is_zero_when_a_side_is_constant():
    rng = np.random.default_rng(7)
    x, e = rng.normal(size=5), rng.normal(size=(2, 5))
    flat_model = CountingLinear(np.zeros(5), c=0.3)
    score = m.faithfulness_correlation(
        flat_model, x, e, np.zeros(5), subset_size=2, runs=10, rng=rng
    )
    assert score.tolist() == [0.0, 0.0]
    constant_e = np.full((2, 5), 0.1)  # every subset sums to the same value
    score = m.faithfulness_correlation(
        CountingLinear(np.ones(5)), x, constant_e, np.zeros(5), subset_size=2, runs=10, rng=rng
    )
    assert score.tolist() == [0.0, 0.0]


# -- global importance bootstrap ----------------------------------------------------------------


def test_bootstrap_ci_percentiles():
    samples = np.stack([np.arange(1001.0), -np.arange(1001.0)], axis=1)
    assert m.bootstrap_ci(samples).tolist() == [[25.0, 975.0], [-975.0, -25.0]]


def test_bootstrap_inclusion_of_a_dominant_feature():
    rng = np.random.default_rng(8)
    per_row = rng.normal(size=(200, 6))
    per_row[:, 2] += 5.0 * np.sign(per_row[:, 2])
    inclusion, ci = m.bootstrap_topk_inclusion(per_row, 1, 300, rng)
    assert inclusion.tolist() == [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    full_mean = np.abs(per_row).mean(axis=0)
    assert ci.shape == (6, 2)
    assert ((ci[:, 0] <= full_mean) & (full_mean <= ci[:, 1])).all()
    inclusion_3, _ = m.bootstrap_topk_inclusion(per_row, 3, 300, rng)
    assert inclusion_3.sum() == pytest.approx(3.0)


def test_bootstrap_chunking_does_not_change_the_result(monkeypatch):
    per_row = np.random.default_rng(9).normal(size=(30, 4))
    whole = m.bootstrap_topk_inclusion(per_row, 2, 50, np.random.default_rng(1))
    monkeypatch.setattr(m, "_BOOT_CELLS", 7 * 30)  # 8 chunks, the last one short
    chunked = m.bootstrap_topk_inclusion(per_row, 2, 50, np.random.default_rng(1))
    assert chunked[0].tolist() == whole[0].tolist()
    assert chunked[1] == pytest.approx(whole[1], abs=1e-12)


# -- audit-sample summary -----------------------------------------------------------------------


def test_summary_higher_is_better_uses_p10():
    values = np.arange(1, 11) / 10  # 0.1 .. 1.0
    s = m.summary(values, 0.5, higher_is_better=True)
    assert (s.median, s.tail, s.pass_rate, s.n) == pytest.approx((0.55, 0.19, 0.6, 10))


def test_summary_lower_is_better_uses_p90_and_keeps_inf():
    s = m.summary(np.arange(1, 11) / 10, 0.5, higher_is_better=False)
    assert (s.median, s.tail, s.pass_rate) == pytest.approx((0.55, 0.91, 0.5))
    s = m.summary(np.array([0.001, math.inf, math.inf]), 0.01, higher_is_better=False)
    assert (s.median, s.tail, s.pass_rate) == (math.inf, math.inf, pytest.approx(1 / 3))


def test_summary_rejects_nan_and_empty_input():
    for bad in (np.array([]), np.array([0.1, math.nan])):
        with pytest.raises(ValueError, match="at least one value and no NaN"):
            m.summary(bad, 0.5, higher_is_better=True)


def test_an_exact_fraction_a_hair_below_its_threshold_meets_it():
    """Found on the medical example: LIME's rerun overlap median, 4 of 5 features on average,
    came out as 0.7999999999999999 and failed C2's 0.8 warn threshold."""
    from reportgen.analyses.checks.common import metric, scalar

    hair = np.mean([0.4, 1.0, 1.0])  # pairs of reruns sharing 2, 5 and 5 of 5 features
    assert hair < 0.8  # binary arithmetic
    found = metric("lime", "fa_rerun", np.array([hair, hair, 1.0]), threshold=0.8)
    assert found.median == 0.8 and found.pass_rate == 1.0 and found.values[0] == 0.8
    assert scalar("x", "inclusion", hair).median == 0.8
    tiny = metric(
        "shap", "relative_error", np.array([4.0e-14]), threshold=1e-6, higher_is_better=False
    )
    assert tiny.median == 4.0e-14  # small values keep their digits
