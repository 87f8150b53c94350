"""A .pt2 or ONNX model that cannot serve the policy is refused in one sentence (issue 15): a
graph whose input width differs from the preprocessing's encoded width, a file that is no such
model, and onnxruntime missing (MissingDependencyError naming the extra to install)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from test_model_formats import credit_policy_as, export_formats

from reportgen.errors import InputError, MissingDependencyError
from reportgen.inputs.resolve import resolve_inputs
from reportgen.policy import load_policy


@pytest.fixture(scope="module")
def too_narrow(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A network taking 20 columns where the credit preprocessing encodes 54."""
    network = torch.nn.Sequential(torch.nn.Linear(20, 2)).eval()
    return export_formats(network, tmp_path_factory.mktemp("narrow"), 20)


def _refusal(tmp_path: Path, fmt: str, model: Path) -> str:
    with pytest.raises(InputError) as caught:
        resolve_inputs(load_policy(credit_policy_as(tmp_path, fmt, model)))
    return str(caught.value)


@pytest.mark.parametrize(
    ("fmt", "what"), [("onnx", "ONNX graph"), ("torch_export", "torch.export program")]
)
def test_a_network_of_another_width_is_refused_at_load(
    tmp_path: Path, too_narrow: dict[str, Path], fmt: str, what: str
) -> None:
    assert _refusal(tmp_path, fmt, too_narrow[fmt]) == (
        f"{too_narrow[fmt]} (models[0].path): the {what} takes rows of 20 columns but the "
        "preprocessing encodes each row as 54 (models[0].preprocessing)"
    )


@pytest.mark.parametrize(
    ("fmt", "what"),
    [
        ("onnx", "not a loadable ONNX model"),
        ("torch_export", "not a loadable torch.export program (.pt2)"),
    ],
)
def test_a_file_that_is_no_model_of_its_format_is_refused(
    tmp_path: Path, fmt: str, what: str
) -> None:
    corrupt = tmp_path / "model.bin"
    corrupt.write_bytes(b"these bytes are no model")
    message = _refusal(tmp_path, fmt, corrupt)
    assert message.startswith(f"{corrupt}: {what} (models[0].path): ")
    assert "\n" not in message


def test_onnx_without_onnxruntime_names_the_extra(
    tmp_path: Path, too_narrow: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now fails
    with pytest.raises(MissingDependencyError) as caught:
        resolve_inputs(load_policy(credit_policy_as(tmp_path, "onnx", too_narrow["onnx"])))
    assert str(caught.value) == (
        "onnxruntime is needed for this step but is not installed; install it with: "
        "pip install 'reportgen[onnx]'"
    )
