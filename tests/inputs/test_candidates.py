"""A candidate network named by the policy's edits is checked before any work: it must exist and
take the released model's encoded input (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from reportgen.errors import InputError
from reportgen.inputs import resolve_inputs
from reportgen.inputs.resolve import input_fingerprint
from reportgen.policy import load_policy
from tests.conftest import ROOT, policy_with


def _with_candidate(tmp_path: Path, path: str) -> Path:
    policy = policy_with(ROOT / "policies" / "credit.yaml", tmp_path)
    data = yaml.safe_load(policy.read_text())
    data["edits"] = {"assess": [{"kind": "candidate", "path": path}]}
    policy.write_text(yaml.safe_dump(data, sort_keys=False))
    return policy


def test_a_missing_candidate_is_one_sentence(tmp_path) -> None:
    loaded = load_policy(_with_candidate(tmp_path, "retrained.pt"))
    with pytest.raises(InputError) as error:
        resolve_inputs(loaded)
    assert str(error.value) == (
        f"{tmp_path / 'retrained.pt'}: candidate model file not found (edits.assess[0].path)"
    )


def test_a_candidate_of_another_input_width_is_one_sentence(tmp_path) -> None:
    torch.jit.save(torch.jit.script(torch.nn.Linear(6, 2)), str(tmp_path / "narrow.pt"))
    loaded = load_policy(_with_candidate(tmp_path, "narrow.pt"))
    with pytest.raises(InputError) as error:
        resolve_inputs(loaded)
    assert str(error.value) == (
        f"{tmp_path / 'narrow.pt'} (edits.assess[0].path): the candidate does not fit model "
        "'credit-mlp': it must take rows of 54 encoded columns and give the model's outputs"
    )


def test_the_candidate_file_is_part_of_the_run_fingerprint(tmp_path) -> None:
    path = tmp_path / "same.pt"
    path.write_bytes((ROOT / "examples" / "credit" / "model.pt").read_bytes())
    loaded = load_policy(_with_candidate(tmp_path, "same.pt"))
    resolve_inputs(loaded)  # the released network itself is a valid candidate
    before = input_fingerprint(loaded)
    torch.jit.save(torch.jit.script(torch.nn.Linear(54, 2)), str(path))
    assert input_fingerprint(loaded) != before
