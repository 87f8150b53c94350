"""Trust checks C1, C2, C4, C5 and C6 on the bundled example models: known-good methods pass,
deliberately broken or random "explainers" fail, and the random control sits at chance.

Budgets are small (20 background rows, 10 to 15 checked instances, 3 reruns) so each test takes
a few seconds; every assertion is on a gate status or a metric value, never on "it ran".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from reportgen.analyses.checks import CHECKS, Check, planned_checks, run_check
from reportgen.analyses.checks.metrics import chance_feature_agreement
from reportgen.analyses.checks.randomisation import run_randomisation
from reportgen.analyses.context import ModelData
from reportgen.analyses.explain import Attribution
from reportgen.analyses.explain.attribution import completeness_error
from reportgen.analyses.explain.registry import Explainer, ig_explainer
from reportgen.conditions import evaluate_gates
from reportgen.inputs import ResolvedInputs, resolve_inputs
from reportgen.inputs.models import ModelAdapter, TorchAdapter
from reportgen.policy import load_policy
from reportgen.policy.loader import LoadedPolicy
from reportgen.policy.schema import Policy
from reportgen.results.document import CheckMetric, CheckResult, GateOutcome
from tests.conftest import ROOT, policy_with

CHECK = {c.code: c for c in CHECKS}

SMALL: dict[str, Any] = {
    "explanations": {
        "shap": {"background_size": 20, "global_rows": 30, "permutations": 2},
        "lime": {"num_samples": 500},
        "local": {"sample_size": 4},
    },
    "checks": {
        "audit_sample": {"size": 10},
        "rerun_stability": {"reruns": 3},
        "perturbation": {"instances": 5, "draws": 3},
        "removal": {"random_orders": 5, "faithfulness_runs": 30},
        "randomisation": {"instances": 10},
        "global_stability": {"shap_bootstrap": 50, "permutation_bootstrap": 10},
    },
}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) else value
    return out


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], ResolvedInputs]:
    """Example name -> its policy's inputs, loaded once per module."""
    cache: dict[str, ResolvedInputs] = {}

    def get(name: str) -> ResolvedInputs:
        if name not in cache:
            folder = tmp_path_factory.mktemp(name)
            source = ROOT / "policies" / f"{name}.yaml"
            cache[name] = resolve_inputs(load_policy(policy_with(source, folder)))
        return cache[name]

    return get


def model_data(inputs: ResolvedInputs, *edits: dict[str, Any]) -> ModelData:
    """The first model's ModelData under the inputs' policy with ``edits`` merged in, in turn."""
    loaded = inputs.loaded
    raw = loaded.policy.model_dump(by_alias=True)
    for edit in edits:
        raw = _merge(raw, edit)
    policy = Policy.model_validate(raw)
    inputs = replace(inputs, loaded=LoadedPolicy(policy, loaded.path, loaded.sha256))
    return ModelData.build(inputs, inputs.models[0])


def gates(result: CheckResult, data: ModelData) -> dict[str | None, GateOutcome]:
    assert result.error is None, result.error
    return {g.method: g for g in evaluate_gates([result], data.checks)}


def metric_of(result: CheckResult, method: str, name: str) -> CheckMetric:
    (found,) = [m for m in result.metrics if m.method == method and m.metric == name]
    return found


# -- C2: rerun stability --------------------------------------------------------------------------


def test_c2_fails_lime_with_too_few_samples_and_passes_it_with_enough(resolved) -> None:
    credit = resolved("credit")
    lime_only = {"explanations": {"local": {"methods": ["lime"]}}}
    outcome, fa = {}, {}
    for samples in (100, 5000):  # 100 is the policy's minimum; CHECKS.md: 5 k warns at worst
        data = model_data(
            credit, SMALL, lime_only, {"explanations": {"lime": {"num_samples": samples}}}
        )
        assert CHECK["C2"] in planned_checks(data)  # LIME is stochastic, so C2 applies
        result = run_check(CHECK["C2"], data)
        found = gates(result, data)
        assert set(found) == {"lime"}  # the random control is reported, never gated
        outcome[samples] = found["lime"].status
        fa[samples] = metric_of(result, "lime", "fa_rerun").median
        control = metric_of(result, "random", "fa_rerun")
        chance = chance_feature_agreement(data.checks.top_k, data.evaluation.shape[1])
        assert control.chance == pytest.approx(chance)
        assert abs(control.median - chance) <= 0.15  # random reruns overlap at chance
    assert outcome[100] == "fail"
    assert outcome[5000] in ("pass", "warn")
    assert fa[100] < data.checks.rerun_stability.warn_fa_median_min <= fa[5000]


# -- C4 and C6: random attributions --------------------------------------------------------------


@pytest.fixture(scope="module")
def random_as_shap(resolved) -> ModelData:
    """Credit data whose "shap" explainer hands out random N(0, 1) attributions."""
    data = model_data(resolved("credit"), SMALL, {"checks": {"audit_sample": {"size": 15}}})
    rows = data.check_rows
    other = data.seeds(999, rows)  # random draws of their own, not the control's
    random = data.explain("random", data.evaluation[rows], data.targets(rows), other)
    data._attributions["shap"] = replace(random, method="shap")  # the check sample's cache
    return data


def test_c4_fails_random_attributions_and_reports_the_control_at_chance(random_as_shap) -> None:
    data = random_as_shap
    result = run_check(CHECK["C4"], data)
    found = gates(result, data)
    assert set(found) == {"shap", "lime", "ig"}
    assert found["shap"].status == "fail"
    assert found["ig"].status != "fail"  # a real method on the same rows is not failed
    control = {
        m: metric_of(result, "random", m).median for m in ("deletion_ratio", "insertion_ratio")
    }
    assert control["deletion_ratio"] == pytest.approx(1.0, abs=0.15)
    assert control["insertion_ratio"] == pytest.approx(1.0, abs=0.15)
    faith = metric_of(result, "random", "faithfulness_correlation")
    assert faith.chance == 0.0 and abs(faith.median) <= 0.15
    # the real gradient method beats chance on every faithfulness measure
    assert metric_of(result, "ig", "deletion_ratio").median < control["deletion_ratio"] - 0.1
    assert metric_of(result, "ig", "insertion_ratio").median > control["insertion_ratio"]
    assert metric_of(result, "ig", "faithfulness_correlation").median > 0.5


def test_c6_fails_random_attributions_against_real_methods(random_as_shap, resolved) -> None:
    result = run_check(CHECK["C6"], random_as_shap)
    found = gates(result, random_as_shap)
    assert set(found) == {"shap~lime", "shap~ig"}  # shap~random is reported, not gated
    assert found["shap~lime"].status == "fail"
    assert found["shap~ig"].status == "fail"
    data = random_as_shap
    chance = chance_feature_agreement(data.checks.top_k, data.evaluation.shape[1])
    for pair in ("shap~ig", "shap~random"):
        fa = metric_of(result, pair, "feature_agreement")
        assert fa.chance == pytest.approx(chance)
        assert abs(fa.median - chance) <= 0.2  # random vs anything agrees at chance

    real = model_data(resolved("credit"), SMALL, {"checks": {"audit_sample": {"size": 15}}})
    assert gates(run_check(CHECK["C6"], real), real)["shap~ig"].status == "pass"


# -- C5: randomisation sanity ---------------------------------------------------------------------


def _input_itself(data: ModelData) -> Callable[[ModelAdapter], Explainer]:
    """A model-independent "explainer": the row minus the background mean, whatever the model."""
    mean = data.background.mean(axis=0)

    def build(model: ModelAdapter) -> Explainer:
        def explain(codes: np.ndarray, target: np.ndarray, seed: int) -> Attribution:
            zeros = np.zeros(len(codes))
            return Attribution(codes - mean, zeros, zeros, "ig", zeros)

        return Explainer("ig", explain, stochastic=False, gradient=True)

    return build


def test_c5_passes_integrated_gradients_and_fails_an_explainer_that_ignores_the_model(
    resolved,
) -> None:
    data = model_data(resolved("credit"))  # the shipped policy: 30 instances, seed 42
    result = run_randomisation(
        data,
        explainers={
            "ig": lambda model: ig_explainer(
                model, data.explain_settings, background=data.background
            ),
            "input": _input_itself(data),
        },
    )
    assert result.instances == data.checks.randomisation.instances
    found = gates(result, data)
    spearman_max = data.checks.randomisation.spearman_max
    for name in ("signed_spearman", "normalised_spearman"):
        assert metric_of(result, "ig", name).median <= spearman_max
        assert metric_of(result, "input", name).median == pytest.approx(1.0)
    assert found["ig"].status == "pass"
    assert found["input"].status == "fail"


# -- C1: completeness -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["credit", "medical"])
def test_c1_shap_adds_up_to_1e6_and_ig_to_5_percent(resolved, name) -> None:
    data = model_data(resolved(name), SMALL)
    result = run_check(CHECK["C1"], data)
    found = gates(result, data)
    assert set(found) == {"shap", "ig"}  # LIME has no completeness property
    shap = metric_of(result, "shap", "relative_error")
    assert len(shap.values) == len(data.check_rows)
    assert max(shap.values) <= 1e-6
    ig = metric_of(result, "ig", "relative_error")
    assert np.mean(np.asarray(ig.values) <= 0.05) >= 0.9
    assert found["shap"].status == "pass" and found["ig"].status == "pass"

    # The same truths from the model itself, not from what the explainers recorded.
    rows, model = data.check_rows, data.model
    targets = data.targets(rows)
    f_x = model.predict_codes(data.evaluation[rows])[np.arange(len(rows)), targets]
    expected_f = model.predict_codes(data.background).mean(axis=0)[targets]
    shap_sum = data.attribution("shap").values
    eps = model.epsilon
    error = completeness_error(shap_sum, expected_f, f_x, tolerance=1e-6, epsilon=eps)
    assert np.max(error) <= 1e-6
    import torch

    assert isinstance(model, TorchAdapter)
    encoded = model.preprocessing.encode(data.background).mean(axis=0, keepdims=True)
    with torch.no_grad():  # IG's baseline: the encoded background mean
        f_0 = model.outputs(torch.from_numpy(encoded).float()).double().numpy()[0, targets]
    ig_error = completeness_error(
        data.attribution("ig").values, f_0, f_x, tolerance=0.05, epsilon=eps
    )
    assert np.mean(ig_error <= 0.05) >= 0.9


# -- errors inside a check ------------------------------------------------------------------------


@pytest.fixture
def broken_c6() -> Check:
    def boom(data: ModelData) -> CheckResult:
        raise ValueError("no second method to compare with")

    return replace(CHECK["C6"], run=boom)


def test_a_check_that_raises_becomes_an_error_result_and_an_error_gate(resolved, broken_c6) -> None:
    data = model_data(resolved("credit"), SMALL)
    result = run_check(broken_c6, data)
    assert (result.check, result.code, result.model) == ("method_agreement", "C6", "credit-mlp")
    assert result.error == "ValueError: no second method to compare with"
    assert result.metrics == []
    (gate,) = evaluate_gates([result], data.checks)
    assert (gate.status, gate.code, gate.method) == ("error", "C6", None)
    assert gate.actual == result.error
    assert "C6 could not be computed" in gate.meaning
