"""Gates (reportgen.conditions) on hand-built check results, at the policy's exact boundaries.

Each judge passes exactly at its pass threshold, warns just past it, warns at the edge of the
warn band and fails just past that. Every threshold comes from the ChecksSpec the judge is given.
"""

from __future__ import annotations

from typing import Any

import pytest

from reportgen.analyses.checks.metrics import chance_feature_agreement, chance_sign_agreement
from reportgen.conditions import evaluate_gates, meaning
from reportgen.policy.checks import ChecksSpec
from reportgen.results.document import CheckMetric, CheckName, CheckResult, Cost, GateOutcome

DEFAULT = ChecksSpec()
CODES: dict[CheckName, str] = {
    "completeness": "C1",
    "rerun_stability": "C2",
    "perturbation_robustness": "C3",
    "removal_faithfulness": "C4",
    "randomisation_sanity": "C5",
    "method_agreement": "C6",
    "global_stability": "C7",
}
EPS = 1e-4


def metric(method: str, name: str, median: float, **more: Any) -> CheckMetric:
    return CheckMetric(method=method, metric=name, median=median, **more)


def result(check: CheckName, metrics: list[CheckMetric], **more: Any) -> CheckResult:
    return CheckResult(
        check=check,
        code=CODES[check],
        model="m",
        instances=10,
        k=5,
        metrics=metrics,
        cost=Cost(model_rows=1, model_calls=1, wall_seconds=0.0, model_seconds=0.0),
        **more,
    )


def only_gate(check_result: CheckResult, checks: ChecksSpec = DEFAULT) -> GateOutcome:
    (gate,) = evaluate_gates([check_result], checks)
    assert (gate.code, gate.check, gate.model) == (check_result.code, check_result.check, "m")
    return gate


def status(check_result: CheckResult, checks: ChecksSpec = DEFAULT) -> str:
    return only_gate(check_result, checks).status


# -- C1 completeness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, expected",
    [
        ([0.0, 1e-6], "pass"),  # exactly at shap_tolerance
        ([0.0, 1e-6 * (1 + EPS)], "fail"),  # SHAP has no warn band
        ([0.5] * 9 + [0.0], "fail"),
    ],
)
def test_c1_shap_is_judged_by_its_largest_error(values, expected) -> None:
    error = metric("shap", "relative_error", 0.0, values=values)
    assert status(result("completeness", [error])) == expected


@pytest.mark.parametrize(
    "pass_rate, values, expected",
    [
        (0.9, [0.05] * 9 + [1.0], "pass"),  # exactly min_pass_rate within ig_tolerance
        (0.9 - EPS, [0.10] * 9 + [1.0], "warn"),  # 90% still within ig_warn (inclusive)
        (0.9 - EPS, [0.10] * 8 + [0.10 + EPS] * 2, "fail"),  # 80% within ig_warn
        (None, [], "fail"),
    ],
)
def test_c1_ig_is_judged_by_its_pass_rate_then_its_warn_share(pass_rate, values, expected) -> None:
    error = metric("ig", "relative_error", 0.02, pass_rate=pass_rate, values=values)
    assert status(result("completeness", [error])) == expected


# -- C2 rerun stability ---------------------------------------------------------------------------


def rerun(
    fa: float = 0.9,
    fa_rate: float = 0.9,
    sa: float = 0.9,
    cv: float = 0.10,
    conv_rate: float | None = 0.9,
    method: str = "lime",
) -> CheckResult:
    metrics = [
        metric(method, "fa_rerun", fa, pass_rate=fa_rate),
        metric(method, "sa_rerun", sa),
        metric(method, "cv_top_k", cv),
    ]
    if conv_rate is not None:
        metrics.append(metric(method, "convergence_ratio", 0.01, pass_rate=conv_rate))
    return result("rerun_stability", metrics)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, "pass"),  # every value exactly at its threshold
        ({"conv_rate": None}, "pass"),  # LIME has no convergence ratio
        ({"fa": 0.9 - EPS}, "warn"),
        ({"fa": 0.8}, "warn"),  # warn_fa_median_min is inclusive
        ({"fa": 0.8 - EPS}, "fail"),
        ({"fa_rate": 0.9 - EPS}, "warn"),
        ({"sa": 0.9 - EPS}, "warn"),
        ({"sa": 0.0}, "warn"),  # only the top-k overlap decides a fail
        ({"cv": 0.10 + EPS}, "warn"),
        ({"conv_rate": 0.9 - EPS}, "warn"),
        ({"fa": 0.2, "sa": 0.1, "cv": 1.3, "fa_rate": 0.0}, "fail"),  # the random control's level
    ],
)
def test_c2_boundaries(kwargs, expected) -> None:
    assert status(rerun(**kwargs)) == expected


# -- C3 perturbation robustness -------------------------------------------------------------------


def perturbation(fa: float, sensitivity: float) -> CheckResult:
    return result(
        "perturbation_robustness",
        [
            metric("shap", "fa_perturbed", fa),
            metric("shap", "fa_perturbed_worst", 0.0),
            metric("shap", "relative_max_sensitivity", sensitivity),
        ],
    )


@pytest.mark.parametrize(
    "fa, sensitivity, expected",
    [
        (0.8, 0.5, "pass"),
        (0.8 - EPS, 0.5, "warn"),
        (0.6, 0.5, "warn"),
        (0.6 - EPS, 0.5, "fail"),
        (0.8, 0.5 + EPS, "warn"),
        (0.8, 0.8, "warn"),
        (0.8, 0.8 + EPS, "fail"),
        (1.0, 1.8, "fail"),  # CHECKS.md: random attributions reach about 1.8
    ],
)
def test_c3_boundaries(fa, sensitivity, expected) -> None:
    assert status(perturbation(fa, sensitivity)) == expected


# -- C4 removal faithfulness ----------------------------------------------------------------------


def removal(deletion: float, insertion: float, faith: float, method: str = "shap") -> CheckResult:
    return result(
        "removal_faithfulness",
        [
            metric(method, "deletion_ratio", deletion),
            metric(method, "insertion_ratio", insertion),
            metric(method, "faithfulness_correlation", faith, chance=0.0),
        ],
    )


@pytest.mark.parametrize(
    "deletion, insertion, faith, expected",
    [
        (0.8, 1.2, 0.3, "pass"),
        (0.8 + EPS, 1.2, 0.3, "warn"),
        (0.9, 1.2, 0.3, "warn"),
        (0.9 + EPS, 1.2, 0.3, "fail"),
        (0.8, 1.2 - EPS, 0.3, "warn"),
        (0.8, 1.2, 0.3 - EPS, "warn"),
        (0.8, 1.2, 0.1 + EPS, "warn"),
        (0.8, 1.2, 0.1, "fail"),  # fail *at or below* 0.1
        (0.0, 5.0, 0.1, "fail"),  # a fail on either measure wins
    ],
)
def test_c4_boundaries(deletion, insertion, faith, expected) -> None:
    assert status(removal(deletion, insertion, faith)) == expected


def test_c4_fails_a_method_whose_metrics_equal_the_random_controls() -> None:
    control = removal(1.02, 0.98, -0.01, method="random").metrics
    same = [m.model_copy(update={"method": "shap"}) for m in control]
    gates = evaluate_gates([result("removal_faithfulness", control + same)], DEFAULT)
    assert [(g.method, g.status) for g in gates] == [("shap", "fail")]


# -- C5 randomisation sanity ----------------------------------------------------------------------


def randomisation(signed: float, normalised: float, method: str = "ig") -> CheckResult:
    return result(
        "randomisation_sanity",
        [
            metric(method, "signed_spearman", signed, chance=0.0),
            metric(method, "normalised_spearman", normalised, chance=0.0),
            metric(method, "abs_spearman", 0.9, chance=0.0),  # reported, not gated
        ],
    )


@pytest.mark.parametrize(
    "signed, normalised, expected",
    [
        (0.3, 0.3, "pass"),
        (-0.9, 0.0, "pass"),
        (0.3 + EPS, 0.0, "warn"),
        (0.0, 0.3 + EPS, "warn"),
        (0.5, 0.5, "warn"),
        (0.5 + EPS, 0.0, "fail"),
        (0.0, 0.5 + EPS, "fail"),
        (1.0, 1.0, "fail"),  # an explanation that ignores the model
    ],
)
def test_c5_boundaries(signed, normalised, expected) -> None:
    assert status(randomisation(signed, normalised)) == expected


# -- C6 method agreement --------------------------------------------------------------------------


def agreement(fa: float, sa: float, pair: str = "shap~lime", k: int = 5, d: int = 17) -> list:
    return [
        metric(pair, "feature_agreement", fa, chance=chance_feature_agreement(k, d)),
        metric(pair, "sign_agreement", sa, chance=chance_sign_agreement(k, d)),
        metric(pair, "rank_agreement", 0.0, chance=1 / d),
        metric(pair, "rank_correlation", 0.0, chance=0.0),
    ]


@pytest.mark.parametrize(
    "fa, sa, expected",
    [
        (0.6, 0.6, "pass"),
        (0.6 - EPS, 0.6, "warn"),
        (0.6, 0.6 - EPS, "warn"),
        (0.4, 0.4, "warn"),
        (0.4 - EPS, 1.0, "fail"),
        (1.0, 0.4 - EPS, "fail"),
        (chance_feature_agreement(5, 17), chance_sign_agreement(5, 17), "fail"),
    ],
)
def test_c6_boundaries(fa, sa, expected) -> None:
    assert status(result("method_agreement", agreement(fa, sa))) == expected


def test_c6_gates_each_real_pair_and_never_the_pair_with_the_random_control() -> None:
    metrics = (
        agreement(0.6, 0.6) + agreement(0.2, 0.2, "shap~ig") + agreement(0.0, 0.0, "shap~random")
    )
    gates = evaluate_gates([result("method_agreement", metrics)], DEFAULT)
    assert [(g.method, g.status) for g in gates] == [("shap~lime", "pass"), ("shap~ig", "fail")]


# -- C7 global stability --------------------------------------------------------------------------


def global_stability(inclusions: list[float], halfwidths: list[float]) -> CheckResult:
    names = [f"f{i}" for i in range(len(inclusions))]
    return result(
        "global_stability",
        [
            metric(n, "top_k_inclusion_shap", v, chance=0.3)
            for n, v in zip(names, inclusions, strict=True)
        ]
        + [metric(n, "rel_ci_halfwidth_shap", v) for n, v in zip(names, halfwidths, strict=True)]
        + [metric("f0", "top_k_inclusion_permutation", 0.0)],  # reported, not gated
    )


@pytest.mark.parametrize(
    "inclusions, halfwidths, expected",
    [
        ([1.0, 0.8], [0.0, 0.2], "pass"),  # the lowest inclusion and the widest CI decide
        ([1.0, 0.8 - EPS], [0.0, 0.2], "warn"),
        ([1.0, 0.8], [0.0, 0.2 + EPS], "warn"),
        ([0.6, 0.9], [0.1, 0.1], "warn"),
        ([0.6 - EPS, 1.0], [0.1, 0.1], "fail"),
        ([0.6, 1.0], [5.0, 0.1], "warn"),  # a wide interval alone never fails
    ],
)
def test_c7_boundaries(inclusions, halfwidths, expected) -> None:
    gate = only_gate(global_stability(inclusions, halfwidths))
    assert (gate.status, gate.method) == (expected, None)


# -- thresholds come from the policy --------------------------------------------------------------


@pytest.mark.parametrize(
    "checks, check_result, expected, threshold_text",
    [
        (
            {"completeness": {"shap_tolerance": 1e-3}},
            result("completeness", [metric("shap", "relative_error", 0, values=[5e-4])]),
            "pass",
            "1e-03",
        ),
        (
            {"rerun_stability": {"fa_median_min": 0.5, "warn_fa_median_min": 0.4}},
            rerun(fa=0.45),
            "warn",
            ">= 0.5",
        ),
        (
            {"perturbation": {"fa_median_min": 0.95, "warn_fa_min": 0.9}},
            perturbation(0.85, 0.1),
            "fail",
            ">= 0.95",
        ),
        (
            {"removal": {"deletion_ratio_max": 0.5, "warn_deletion_ratio_max": 0.6}},
            removal(0.65, 2.0, 0.9),
            "fail",
            "<= 0.5",
        ),
        (
            {"randomisation": {"spearman_max": 0.1, "fail_above": 0.2}},
            randomisation(0.15, 0.0),
            "warn",
            "<= 0.1",
        ),
        (
            {"agreement": {"fa_min": 1.0, "sa_min": 1.0, "warn_min": 0.99}},
            result("method_agreement", agreement(0.9, 0.9)),
            "fail",
            ">= 1.0",
        ),
        (
            {"min_pass_rate": 0.5},
            rerun(fa_rate=0.5, conv_rate=0.5),
            "pass",
            ">= 50%",
        ),
        (
            {"global_stability": {"inclusion_min": 0.5, "warn_min": 0.5}},
            global_stability([0.55], [0.1]),
            "pass",
            ">= 50%",
        ),
    ],
)
def test_the_judges_read_their_thresholds_from_the_policy(
    checks, check_result, expected, threshold_text
) -> None:
    spec = ChecksSpec.model_validate(checks)
    gate = only_gate(check_result, spec)
    assert gate.status == expected
    assert threshold_text in gate.expected
    assert status(check_result, DEFAULT) != expected  # the defaults would judge it otherwise


# -- errors, the random control, non-check results ------------------------------------------------


@pytest.mark.parametrize("check", sorted(CODES))
def test_an_error_result_gives_one_error_gate_whatever_its_metrics(check) -> None:
    broken = result(check, [metric("shap", "anything", 0.0)], error="ValueError: boom")
    gate = only_gate(broken)
    assert (gate.status, gate.method) == ("error", None)
    assert gate.actual == "ValueError: boom"
    assert gate.meaning == (
        f"{CODES[check]} could not be computed, so this aspect of the explanations is unverified."
    )  # error gates have no method: never attributed to "the global importance ranking"


@pytest.mark.parametrize(
    "check_result",
    [
        rerun(fa=0.1, method="random"),
        removal(1.0, 1.0, 0.0, method="random"),
        result("method_agreement", agreement(0.0, 0.0, "shap~random")),
        result("method_agreement", agreement(0.0, 0.0, "lime~random")),
    ],
)
def test_the_random_control_is_never_gated(check_result) -> None:
    assert evaluate_gates([check_result], DEFAULT) == []


def test_only_check_results_are_gated_in_order() -> None:
    c5, c1 = (
        randomisation(0.9, 0.9),
        result("completeness", [metric("shap", "relative_error", 0.0, values=[0.0])]),
    )
    assert [(g.code, g.status) for g in evaluate_gates([c5, c1], DEFAULT)] == [
        ("C5", "fail"),
        ("C1", "pass"),
    ]


# -- meaning ---------------------------------------------------------------------------------------

WHO = {
    "shap": "SHAP",
    "lime": "LIME",
    "ig": "integrated gradients",
    "shap~lime": "SHAP and LIME",
    "shap~ig": "SHAP and integrated gradients",
}
PER_METHOD = [(c, m) for c in sorted(CODES) if c != "global_stability" for m in WHO]


@pytest.mark.parametrize("check, method", [*PER_METHOD, ("global_stability", None)])
def test_meaning_names_the_method_and_differs_between_pass_and_fail(check, method) -> None:
    who = WHO.get(method, "global importance ranking")
    bare = result(check, [])
    texts = {s: meaning(bare, method, s) for s in ("pass", "warn", "fail", "error")}
    for text in (texts["pass"], texts["warn"], texts["fail"]):
        assert text.strip() and who in text
    assert texts["pass"] != texts["fail"]
    assert texts["warn"] == texts["fail"]  # a warning reads as a caveat, like a failure
    assert texts["error"].startswith(f"{CODES[check]} could not be computed")
    if method is not None:
        assert who in texts["error"]


def test_gates_carry_their_meaning_actual_and_expected() -> None:
    gate = only_gate(result("method_agreement", agreement(0.2, 0.2)))
    assert gate.meaning == meaning(result("method_agreement", []), "shap~lime", "fail")
    assert "SHAP and LIME disagree" in gate.meaning
    assert gate.actual.startswith("top-5 feature agreement 0.20, sign agreement 0.20")
    assert gate.expected == "feature >= 0.6 and sign >= 0.6"
