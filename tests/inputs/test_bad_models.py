"""A model that cannot serve the policy is refused by `validate` in one sentence, exit 3 (issue #8).

Each broken model is a real TorchScript archive built here from a few lines of torch, run
against the credit example's preprocessing (54 encoded columns, classes good/bad).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from click.testing import CliRunner

from reportgen.cli import main
from tests.conftest import ROOT, policy_with


class _WrongWidth(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(20, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


class _Raises(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] > 0:
            raise RuntimeError("the scoring service is down")
        return x


class _NanOnLongLoans(torch.nn.Module):
    """NaN logits for rows whose standardised duration (encoded column 0) exceeds 2."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(54, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.linear(x)
        return torch.where(x[:, :1] > 2.0, torch.full_like(logits, float("nan")), logits)


class _ThreeOutputs(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(54, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def _validate(
    credit_policy: Path, tmp_path: Path, module: torch.nn.Module
) -> tuple[int, str, Path]:
    model = tmp_path / "model.pt"
    torch.jit.save(torch.jit.script(module), str(model))
    policy = policy_with(credit_policy, tmp_path)
    data = yaml.safe_load(policy.read_text(encoding="utf-8"))
    data["models"][0]["path"] = str(model)
    policy.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(policy)])
    reference = Path(data["datasets"]["reference"]["path"])
    return result.exit_code, result.stderr, reference


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (
            _WrongWidth(),
            "model 'credit-mlp' failed on a batch of 700 row(s): RuntimeError: mat1 and mat2 "
            "shapes cannot be multiplied (704x54 and 20x2) (on {ref} (datasets.reference); its "
            "preprocessing encodes each row as 54 columns)",
        ),
        (
            _Raises(),
            "model 'credit-mlp' failed on a batch of 700 row(s): RuntimeError: the scoring "
            "service is down (on {ref} (datasets.reference); its preprocessing encodes each row "
            "as 54 columns)",
        ),
        (
            _ThreeOutputs(),
            "model 'credit-mlp' returned outputs of shape (700, 3) for 700 row(s); expected "
            "(700, 2) (2 classes) (on {ref} (datasets.reference); its preprocessing encodes each "
            "row as 54 columns)",
        ),
    ],
    ids=["wrong-input-width", "raises", "wrong-output-width"],
)
def test_a_broken_model_is_one_sentence(credit_policy, tmp_path, module, message) -> None:
    code, stderr, reference = _validate(credit_policy, tmp_path, module)
    assert code == 3
    assert stderr.splitlines() == ["error: " + message.format(ref=reference)]


def test_nan_outputs_on_some_rows_name_how_many_and_the_first(credit_policy, tmp_path) -> None:
    code, stderr, reference = _validate(credit_policy, tmp_path, _NanOnLongLoans())
    spec = json.loads((ROOT / "examples" / "credit" / "preprocessing.json").read_text())
    duration = next(f for f in spec["features"] if f["name"] == "duration_in_month")
    frame = pd.read_csv(reference)
    long = ((frame["duration_in_month"] - duration["center"]) / duration["scale"] > 2.0).to_numpy()
    assert spec["features"][0] is duration and 0 < long.sum() < len(long)
    assert code == 3
    assert stderr.splitlines() == [
        f"error: model 'credit-mlp' returns NaN or infinite outputs on {long.sum()} row(s) of "
        f"{reference} (datasets.reference), first at data row {np.argmax(long) + 1}"
    ]
