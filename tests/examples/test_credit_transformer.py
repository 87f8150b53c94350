"""The credit example's transformer (issue 13): it declares its attention as the policy reference
describes, its attention section runs on every evaluation row, and its training script gives the
shipped weights and training log."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from reportgen.analyses.attention import declares_attention, run_attention
from reportgen.analyses.context import ModelData
from reportgen.inputs import resolve_inputs
from reportgen.policy import LoadedPolicy, load_policy
from tests.conftest import ROOT

CREDIT = ROOT / "examples" / "credit"


def test_the_transformer_declares_attention_over_one_token_per_feature() -> None:
    loaded = load_policy(CREDIT / "transformer-policy.yaml")
    raw = loaded.policy.model_dump(by_alias=True)
    raw["explanations"]["global"]["methods"] = ["permutation"]  # no SHAP: attention alone
    policy = type(loaded.policy).model_validate(raw)
    inputs = resolve_inputs(LoadedPolicy(policy, loaded.path, loaded.sha256))
    data = ModelData.build(inputs, inputs.models[0])
    assert declares_attention(data.model)
    result = run_attention(data)
    features = policy.data.features.numeric + policy.data.features.categorical
    assert (result.rows, result.layers, result.heads) == (300, 2, 2)
    assert result.features == features and len(result.ranking) == len(features)
    for head in result.heads_attention:  # each head's CLS row is a distribution
        assert head.to_cls + sum(head.to_features) == pytest.approx(1.0, abs=1e-5)
    assert sum(item.value for item in result.ranking) < 1.0  # the CLS token keeps a share
    assert result.shap_spearman is None
    assert (result.cost.model_rows, result.cost.model_calls) == (300, 5)
    assert np.isfinite([item.value for item in result.ranking]).all()


@pytest.mark.slow
def test_retraining_gives_the_shipped_transformer(tmp_path: Path) -> None:
    """The same weights and the same training log, byte for byte (the archive itself also
    records where the script lay, so it is compared by its weights)."""
    copy = tmp_path / "credit"
    (copy / "data").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "mlp_training.py", tmp_path)
    for name in (
        "train_transformer.py",
        "preprocessing.json",
        "data/reference.csv",
        "data/evaluation.csv",
    ):
        shutil.copy(CREDIT / name, copy / name)
    subprocess.run([sys.executable, str(copy / "train_transformer.py")], check=True, cwd=ROOT)
    log = "transformer_training_log.csv"
    assert (copy / log).read_bytes() == (CREDIT / log).read_bytes()
    made = torch.jit.load(str(copy / "transformer.pt")).state_dict()
    shipped = torch.jit.load(str(CREDIT / "transformer.pt")).state_dict()
    assert made.keys() == shipped.keys()
    assert all(torch.equal(made[k], shipped[k]) for k in made)
