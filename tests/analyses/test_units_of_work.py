"""Issue #9: a row's explanation depends on the row and its own seed, never on its shard."""

from __future__ import annotations

import numpy as np
import pytest

from reportgen.analyses.context import ModelData
from reportgen.analyses.work import InProcess, join, split, unit_seed, unit_seeds
from reportgen.inputs import resolve_inputs
from reportgen.policy import LoadedPolicy, load_policy
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def credit_data() -> ModelData:
    """The credit example with small explainer budgets."""
    loaded = load_policy(ROOT / "policies" / "credit.yaml")
    raw = loaded.policy.model_dump(by_alias=True)
    raw["explanations"]["lime"]["num_samples"] = 300
    raw["explanations"]["shap"]["permutations"] = 2
    policy = type(loaded.policy).model_validate(raw)
    inputs = resolve_inputs(LoadedPolicy(policy, loaded.path, loaded.sha256))
    return ModelData.build(inputs, inputs.models[0])


@pytest.mark.parametrize("method", ["shap", "lime", "ig", "random"])
def test_explaining_rows_together_or_alone_gives_the_same_bits(credit_data: ModelData, method):
    data = credit_data
    rows = data.check_rows[:6]
    codes, targets = data.evaluation[rows], data.targets(rows)
    seeds = data.seeds(7, rows)
    together = data.explain(method, codes, targets, seeds)
    alone = [
        data.explain(method, codes[i : i + 1], targets[i : i + 1], seeds[i : i + 1])
        for i in range(6)
    ]
    for field in ("values", "base", "output", "fit"):
        joined = np.concatenate([getattr(a, field) for a in alone])
        assert np.array_equal(getattr(together, field), joined), (method, field)
    again = data.explain(method, codes, targets, seeds + 1)
    assert np.array_equal(again.values, together.values) == (method == "ig")  # seeds matter


def test_a_runner_cut_into_shards_returns_every_unit_in_order(credit_data: ModelData) -> None:
    data = credit_data
    rows = data.global_rows[:9]
    one = InProcess(data.model).map(_double, {"k": 3}, {"x": rows, "y": rows * 1.5})
    five = InProcess(data.model, shards=5).map(_double, {"k": 3}, {"x": rows, "y": rows * 1.5})
    assert np.array_equal(one["x"], five["x"]) and one["tag"] == five["tag"]
    assert [len(p["x"]) for p in split({"x": rows}, 4)] == [2, 2, 3, 2]
    assert join([{"a": np.arange(2), "b": ["p"]}, {"a": np.arange(1), "b": ["q"]}]) == {
        "a": pytest.approx([0, 1, 0]),
        "b": ["p", "q"],
    }


def _double(model, shared, rows):
    return {"x": rows["x"] * 2 + shared["k"], "tag": [f"r{int(v)}" for v in rows["y"]]}


def test_unit_seeds_depend_on_the_key_only() -> None:
    assert unit_seed(42, 3, 17) == unit_seed(42, 3, 17)
    assert len({unit_seed(42, 3, u) for u in range(1000)}) == 1000
    assert unit_seed(42, 3, 17) != unit_seed(42, 4, 17) != unit_seed(43, 3, 17)
    assert unit_seeds(42, 3, [5, 6], [1, 1]).tolist() == [
        unit_seed(42, 3, 5, 1),
        unit_seed(42, 3, 6, 1),
    ]
