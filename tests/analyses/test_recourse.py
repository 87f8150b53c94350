"""Issue #11: recourse for declined cases is the nearest flipping change on its grid, respects
immutable features and one-way features, and is checked by re-scoring."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from reportgen.analyses.context import ModelData
from reportgen.analyses.recourse import Search, run_recourse
from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.policy.schema import Policy
from tests.analyses.toy_models import FunctionModel

WEIGHTS = np.array([1.5, -1.0, 0.8, 2.0])  # P(bad) = sigmoid(w . x - 1); x3 is categorical 0/1/2
CODEC = FeatureCodec(
    (
        Feature("debt", "numeric"),
        Feature("income", "numeric"),
        Feature("amount", "numeric"),
        Feature("history", "categorical", ("good", "fair", "poor")),
    )
)


def _p_bad(codes: np.ndarray) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(-(codes @ WEIGHTS - 1.0)))
    return np.column_stack([1 - p, p])


def _policy(recourse: dict[str, Any]) -> Policy:
    return Policy.model_validate(
        {
            "id": "toy",
            "title": "toy",
            "domain": "credit",
            "models": [
                {
                    "name": "fn",
                    "format": "skops",
                    "path": "-",
                    "task": "classification",
                    "classes": ["good", "bad"],
                }
            ],
            "data": {
                "features": {"numeric": ["debt", "income", "amount"], "categorical": ["history"]},
                "target": "y",
                "id_column": "id",
            },
            "datasets": {"reference": {"path": "-"}, "evaluation": {"path": "-"}},
            "decision": {"adverse_class": "bad", "cutoff": 0.5, "recourse": recourse},
            "explanations": {"local": {"sample_size": 30}},
        }
    )


def _data(recourse: dict[str, Any]) -> ModelData:
    rng = np.random.default_rng(0)
    reference = np.column_stack(
        [
            rng.normal(0.5, 1, 300),
            rng.normal(0, 1, 300),
            rng.normal(0, 1, 300),
            rng.integers(0, 3, 300),
        ]
    ).astype(np.float64)
    evaluation = np.column_stack(
        [rng.normal(1.0, 1, 60), rng.normal(0, 1, 60), rng.normal(0, 1, 60), rng.integers(0, 3, 60)]
    ).astype(np.float64)
    model = FunctionModel(_p_bad, CODEC, classes=["good", "bad"])
    return ModelData(
        model=model,
        reference=reference,
        evaluation=evaluation,
        target=(_p_bad(evaluation)[:, 1] > 0.5).astype(np.int64),
        ids=np.array([f"a{i}" for i in range(60)]),
        policy=_policy(recourse),
        positive_index=1,
    )


def test_every_declined_displayed_case_gets_a_rescored_recourse() -> None:
    data = _data({"max_changes": 2, "grid": 12})
    result = run_recourse(data)
    declined = [r for r in data.display_rows if data.predictions[r, 1] >= 0.5]
    assert len(result.cases) == len(declined) > 0
    for row, case in zip(declined, result.cases, strict=True):
        assert case.found and case.new_probability is not None and case.new_probability < 0.5
        changed = data.evaluation[row].copy()  # apply the shown changes and score again
        for change in case.changes:
            j = CODEC.names.index(change.feature)
            feature = CODEC.features[j]
            categorical = feature.kind == "categorical"
            changed[j] = (
                feature.levels.index(change.suggested) if categorical else float(change.suggested)
            )
        assert _p_bad(changed[None])[0, 1] == pytest.approx(case.new_probability, abs=1e-4)


def test_the_recourse_is_the_nearest_flipping_change_on_the_grid() -> None:
    """Brute force over the same grid: no flipping change with fewer features, or with as
    many but a smaller distance, exists."""
    data = _data({"max_changes": 2, "grid": 8})
    search = Search(data, data.policy.decision.recourse, adverse=1, cutoff=0.5)  # type: ignore[union-attr]
    rows = [r for r in data.display_rows if data.predictions[r, 1] >= 0.5][:6]
    for row in rows:
        x = data.evaluation[row]
        case = search.case(int(row))
        best: tuple[int, float] | None = None
        for size in (1, 2):
            for features in itertools.combinations(range(4), size):
                for values in itertools.product(*(search.candidates(j, x[j]) for j in features)):
                    z = x.copy()
                    z[list(features)] = values
                    if _p_bad(z[None])[0, 1] < 0.5:
                        d = sum(
                            float(z[j] != x[j]) if j == 3 else abs(z[j] - x[j]) / search.scale[j]
                            for j in features
                        )
                        if best is None or (size, d) < best:
                            best = (size, d)
            if best is not None:
                break
        assert best is not None and case.found
        assert len(case.changes) == best[0]
        assert case.distance == pytest.approx(best[1], abs=1e-6)


def test_immutable_features_never_change_and_one_way_features_move_one_way() -> None:
    data = _data({"immutable": ["history", "income"], "monotone": {"debt": "decrease"}, "grid": 10})
    result = run_recourse(data)
    assert result.cases
    for case in result.cases:
        for change in case.changes:
            assert change.feature not in ("history", "income")
            if change.feature == "debt":
                assert change.direction == "lower"
                assert float(change.suggested) < float(change.current)


def test_a_case_no_allowed_change_can_flip_says_so() -> None:
    """With only 'amount' free and only upwards (it raises P(bad)), nothing flips."""
    data = _data({"immutable": ["debt", "income", "history"], "monotone": {"amount": "increase"}})
    result = run_recourse(data)
    assert result.cases and all(not c.found and not c.changes for c in result.cases)
