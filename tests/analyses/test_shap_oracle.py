"""Our vectorised SHAP estimators against shap itself, the oracle (issue 12).

shap's ExactExplainer and PermutationExplainer are run row by row exactly as reportgen used to
call them; ours must give the same values (and, for the permutation estimator with the same
seeds, the same orders, hence the same values and standard errors) to 1e-10.
"""

from __future__ import annotations

import numpy as np
import pytest
import shap

from reportgen.analyses.context import ModelData
from reportgen.analyses.explain import explain_shap, shap_exact, shap_permutation
from reportgen.analyses.explain.shap_exact import exact_values
from reportgen.analyses.explain.shap_game import Game
from reportgen.inputs import resolve_inputs
from reportgen.inputs.models import ModelAdapter
from reportgen.policy import load_policy
from tests.analyses.test_shap_truths import interacting
from tests.analyses.toy_models import FunctionModel, numeric_codec
from tests.conftest import ROOT


def softmax(codes: np.ndarray) -> np.ndarray:
    logits = np.column_stack(
        [codes[:, 0] * codes[:, 1], np.tanh(codes[:, 2]), codes[:, 3] ** 2 - codes[:, 4]]
    )
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def binary(codes: np.ndarray) -> np.ndarray:
    p = 1 / (1 + np.exp(-(interacting(codes) + codes[:, 4] * codes[:, 5])))
    return np.column_stack([1 - p, p])


TOYS = {
    "regression": (lambda c: interacting(c) + c[:, 4] * c[:, 5], None),
    "binary": (binary, ["no", "yes"]),
    "multiclass": (softmax, ["a", "b", "c"]),
}


def toy(kind: str, rng: np.random.Generator) -> tuple[ModelAdapter, np.ndarray, np.ndarray]:
    """A toy model, a background and rows with ties (whole rows, single features, a feature
    equal in every row) so that shortcuts for unchanged background rows are exercised."""
    fn, classes = TOYS[kind]
    background = np.round(rng.normal(size=(12, 6)), 1)
    background[:, 5] = np.round(background[:, 5])
    rows = np.round(rng.normal(size=(6, 6)), 1)
    rows[:, 5] = np.round(rows[:, 5])
    rows[0] = background[3]
    rows[1, :4] = background[2, :4]
    background[:, 2] = rows[2, 2]  # row 2: feature 2 is never a player
    return FunctionModel(fn, numeric_codec(6), classes), background, rows


def shap_exact_values(model: ModelAdapter, rows: np.ndarray, background: np.ndarray):
    masker = shap.maskers.Independent(background, max_samples=len(background))
    explainer = shap.explainers.Exact(model.predict_codes, masker)
    found = [explainer(rows[i : i + 1], max_evals=2**20, silent=True) for i in range(len(rows))]
    return np.concatenate([np.asarray(f.values).reshape(1, rows.shape[1], -1) for f in found])


def shap_permutation_values(model, rows, background, seeds, permutations):
    """shap's values and stated standard errors, as reportgen used to state them."""
    d = rows.shape[1]
    masker = shap.maskers.Independent(background, max_samples=len(background))
    explainer = shap.explainers.Permutation(model.predict_codes, masker)
    values, errors = [], []
    for i in range(len(rows)):
        np.random.seed(int(seeds[i]) % 2**32)
        found = explainer(
            rows[i : i + 1], max_evals=permutations * (2 * d + 1), error_bounds=True, silent=True
        )
        values.append(np.asarray(found.values).reshape(1, d, -1))
        errors.append(np.asarray(found.error_std).reshape(1, d, -1))
    return np.concatenate(values), np.concatenate(errors)


@pytest.fixture(scope="module")
def credit() -> ModelData:
    inputs = resolve_inputs(load_policy(ROOT / "policies" / "credit.yaml"))
    return ModelData.build(inputs, inputs.models[0])


@pytest.fixture(scope="module")
def medical() -> ModelData:
    inputs = resolve_inputs(load_policy(ROOT / "policies" / "medical.yaml"))
    return ModelData.build(inputs, inputs.models[0])


@pytest.mark.parametrize("kind", sorted(TOYS))
def test_exact_equals_shaps_exact_explainer(rng, kind):
    model, background, rows = toy(kind, rng)
    ours = explain_shap(model, rows, background=background, seeds=np.zeros(6), estimator="exact")
    np.testing.assert_allclose(
        ours.values, shap_exact_values(model, rows, background), rtol=0, atol=1e-10
    )
    np.testing.assert_allclose(ours.base, model.predict_codes(background).reshape(12, -1).mean(0))
    assert ours.additivity_error.max() < 1e-9
    assert np.all(ours.values[2, 2] == 0)  # never a player: exactly zero


def test_exact_equals_shaps_exact_explainer_on_the_credit_model(credit):
    """17 features: 2^17 coalitions; ten features vary (the background agrees on the rest), so
    shap enumerates 2^10 of them and we call the model only on the distinct rows."""
    rows = credit.evaluation[credit.global_rows[:2]].copy()
    rows[1, 10:] = rows[0, 10:]
    background = credit.background[:4].copy()
    background[:, 10:] = rows[0, 10:]
    model = credit.model
    values, output = exact_values(Game.of(model, background), rows)
    np.testing.assert_allclose(
        values, shap_exact_values(model, rows, background), rtol=0, atol=1e-10
    )
    base = model.predict_codes(background).mean(axis=0)
    assert np.abs(values.sum(axis=1) + base - output).max() < 1e-9


@pytest.mark.parametrize("kind", sorted(TOYS))
def test_permutation_equals_shaps_permutation_explainer_with_its_orders(rng, kind):
    model, background, rows = toy(kind, rng)
    seeds = np.arange(6) + 40
    ours = explain_shap(
        model, rows, background=background, seeds=seeds, estimator="permutation", permutations=4
    )
    values, error_std = shap_permutation_values(model, rows, background, seeds, 4)
    np.testing.assert_allclose(ours.values, values, rtol=0, atol=1e-10)
    # the budget is shap's: row 2 has five players, so more orders fit in 4 * (2 * 6 + 1) evals
    np.testing.assert_array_equal(ours.orders, [4, 4, 4 * 13 // 11, 4, 4, 4])
    stated = error_std / np.sqrt(2 * ours.orders)[:, None, None]
    np.testing.assert_allclose(ours.standard_error, stated, rtol=0, atol=1e-10)
    assert ours.additivity_error.max() < 1e-9


def test_permutation_equals_shaps_permutation_explainer_on_the_credit_model(credit):
    rows = credit.evaluation[credit.global_rows[:3]]
    seeds = credit.seeds(5, credit.global_rows[:3])
    ours = explain_shap(
        credit.model,
        rows,
        background=credit.background,
        seeds=seeds,
        estimator="permutation",
        permutations=3,
    )
    values, error_std = shap_permutation_values(credit.model, rows, credit.background, seeds, 3)
    np.testing.assert_allclose(ours.values, values, rtol=0, atol=1e-10)
    stated = error_std / np.sqrt(2 * ours.orders)[:, None, None]
    np.testing.assert_allclose(ours.standard_error, stated, rtol=0, atol=1e-10)
    assert ours.additivity_error.max() < 1e-9


@pytest.mark.parametrize("example", ["credit", "medical"])
def test_other_orders_land_within_the_stated_errors_of_a_high_budget_reference(request, example):
    data: ModelData = request.getfixturevalue(example)
    rows = data.global_rows[:4]
    codes, background = data.evaluation[rows], data.background[:25]

    def run(salt: int, permutations: int):
        return explain_shap(
            data.model,
            codes,
            background=background,
            seeds=data.seeds(salt, rows),
            estimator="permutation",
            permutations=permutations,
        )

    estimate, reference = run(1, 10), run(2, 150)
    spread = np.sqrt(estimate.standard_error**2 + reference.standard_error**2)
    error = np.abs(estimate.values - reference.values)
    assert np.all(error <= 4 * spread + 1e-12)
    assert np.mean(error <= 2 * spread + 1e-12) > 0.9
    assert reference.standard_error.max() < estimate.standard_error.max() / 2


def test_early_stopping_reaches_the_target_and_stops_rows_independently(credit):
    rows = credit.global_rows[:8]
    codes, seeds = credit.evaluation[rows], credit.seeds(3, rows)

    def run(codes: np.ndarray, seeds: np.ndarray, target: float | None):
        return explain_shap(
            credit.model,
            codes,
            background=credit.background[:30],
            seeds=seeds,
            estimator="permutation",
            permutations=40,
            target_error=target,
        )

    full = run(codes, seeds, None)
    target = float(np.median(full.row_error)) * 2
    stopped = run(codes, seeds, target)
    assert stopped.target_error == target
    assert np.all((stopped.row_error <= target) | (stopped.orders == full.orders))
    rounds = stopped.orders % shap_permutation.ROUND == 0
    assert np.all(rounds | (stopped.orders == full.orders))  # whole rounds, or the whole budget
    assert stopped.orders.mean() < full.orders.mean()  # most rows stopped early
    assert stopped.additivity_error.max() < 1e-9
    alone = [run(codes[i : i + 1], seeds[i : i + 1], target) for i in range(len(rows))]
    assert np.array_equal(np.concatenate([a.values for a in alone]), stopped.values)
    assert np.array_equal(np.concatenate([a.orders for a in alone]), stopped.orders)


@pytest.mark.parametrize("estimator", ["exact", "permutation"])
def test_chunking_does_not_change_a_bit(rng, monkeypatch, estimator):
    model, background, rows = toy("multiclass", rng)
    seeds = np.arange(6) + 9

    def run():
        return explain_shap(
            model, rows, background=background, seeds=seeds, estimator=estimator, permutations=7
        )

    whole = run()
    for module in (shap_exact, shap_permutation):
        monkeypatch.setattr(module, "MEMORY_LIMIT", 1)  # one row, one background row at a time
    chunked = run()
    assert np.array_equal(whole.values, chunked.values)
    assert np.array_equal(whole.standard_error, chunked.standard_error)
