"""The training history kind: read from the log the policy names, released epoch and gap, and
the kind's wiring (wanted when a model names a log; torch models only, the report says why)."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from reportgen.analyses.context import ModelData
from reportgen.analyses.training_history import applies, run_training_history, why_not
from reportgen.inputs.models import ModelAdapter
from reportgen.kinds import planned, registry
from reportgen.policy import load_policy
from reportgen.policy.schema import Policy
from reportgen.privacy.rules import PrivacyRule
from tests.analyses.toy_models import D, torch_model
from tests.conftest import FIXTURES, ROOT

CREDIT = load_policy(ROOT / "policies" / "credit.yaml").policy


def _policy(log: dict[str, object] | None) -> Policy:
    raw = CREDIT.model_dump(by_alias=True)
    raw["models"][0]["training_log"] = log
    return type(CREDIT).model_validate(raw)


def _data(model: ModelAdapter, log: dict[str, object] | None) -> ModelData:
    x = np.zeros((4, D))
    return ModelData(
        model=model,
        reference=x,
        evaluation=x,
        target=np.zeros(4, dtype=np.int64),
        ids=np.arange(4).astype(str),
        policy=_policy(log),
        positive_index=1,
        policy_dir=FIXTURES / "data",
    )


def _mlp() -> ModelAdapter:
    return torch_model(torch.nn.Linear(D, 2), ["good", "bad"], name=CREDIT.models[0].name)


def test_the_result_holds_the_curves_the_released_epoch_and_the_gap() -> None:
    result = run_training_history(_data(_mlp(), {"path": "training_log.csv"}))
    assert (result.epochs, result.val_loss) == ([1, 2, 3, 4, 5], [1.0, 0.7, 0.55, 0.55, 0.6])
    assert result.train_loss == [0.9, 0.6, 0.4, 0.3, 0.2]
    assert [(m.name, m.values) for m in result.metrics] == [
        ("accuracy", [0.5, None, 0.8, 0.82, 0.83])
    ]
    assert (result.released_epoch, result.lowest_val_epoch) == (3, 3)
    assert result.released_from == "the lowest validation loss"
    assert result.gap == 0.55 - 0.4
    assert result.log_format == "csv" and result.cost.model_rows == 0
    digest = hashlib.sha256((FIXTURES / "data" / "training_log.csv").read_bytes())
    assert result.log_sha256 == digest.hexdigest()


def test_a_declared_epoch_sets_the_gap_there() -> None:
    result = run_training_history(_data(_mlp(), {"path": "training_log.csv", "released_epoch": 5}))
    assert (result.released_epoch, result.lowest_val_epoch) == (5, 3)
    assert result.gap == 0.6 - 0.2


def test_the_kind_is_an_aggregate_of_torch_models_that_name_a_log() -> None:
    kind = registry()["training_history"]
    assert kind.privacy is PrivacyRule.AGGREGATE
    assert kind in planned(_policy({"path": "training_log.csv"}))
    assert kind not in planned(_policy(None))
    assert applies(_data(_mlp(), {"path": "training_log.csv"}))
    assert not applies(_data(_mlp(), None))
    assert why_not(_data(_mlp(), None)) == (
        "model 'credit-mlp' names no training log (models[0].training_log)"
    )
