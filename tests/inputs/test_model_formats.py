"""The credit network exported as a torch.export program (.pt2) and as ONNX explains like the
TorchScript archive it came from (issue 15): the same outputs, the same global SHAP ranking.

Both files are exported here from the released examples/credit/model.pt: its weights go into a
plain torch module of the same layers (the exporters take an nn.Module, not a scripted one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from click.testing import CliRunner

from reportgen.analyses.context import ModelData
from reportgen.analyses.explain.registry import ExplainSettings, explainers_for
from reportgen.analyses.global_importance import run_global_shap
from reportgen.cli import main
from reportgen.engine import plan
from reportgen.inputs.model_edits import pruned, quantized
from reportgen.inputs.models import TorchAdapter
from reportgen.inputs.onnx_model import OnnxAdapter, load_onnx
from reportgen.inputs.preprocessing import load_preprocessing
from reportgen.inputs.resolve import ResolvedInputs, resolve_inputs
from reportgen.policy import load_policy
from reportgen.policy.schema import ModelSpec
from tests.conftest import ROOT, policy_with

CREDIT = ROOT / "examples" / "credit"


def released_network() -> torch.nn.Sequential:
    """The credit TorchScript network's weights in an equal nn.Sequential (Linear, ReLU, ...)."""
    state = torch.jit.load(str(CREDIT / "model.pt")).state_dict()
    layers: list[torch.nn.Module] = []
    for key in sorted(k for k in state if k.endswith(".weight")):
        if layers:
            layers.append(torch.nn.ReLU())
        out_features, in_features = state[key].shape
        layers.append(torch.nn.Linear(in_features, out_features))
    network = torch.nn.Sequential(*layers)
    network.load_state_dict(state)
    return network.eval()


def export_formats(network: torch.nn.Module, folder: Path, width: int) -> dict[str, Path]:
    """``network`` saved as a .pt2 program and an ONNX graph, both with a free batch size."""
    example = (torch.zeros(64, width),)
    batch = ({0: torch.export.Dim.DYNAMIC},)
    program = folder / "model.pt2"
    torch.export.save(torch.export.export(network, example, dynamic_shapes=batch), str(program))
    graph = folder / "model.onnx"
    torch.onnx.export(network, example, str(graph), dynamic_shapes=batch, verbose=False)
    return {"torch_export": program, "onnx": graph}


def credit_policy_as(tmp_path: Path, fmt: str, model: Path, **shap: Any) -> Path:
    """The credit policy with its model replaced by ``model`` of format ``fmt``."""
    folder = tmp_path / fmt
    folder.mkdir(exist_ok=True)
    path = policy_with(ROOT / "policies" / "credit.yaml", folder)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["models"][0] |= {"format": fmt, "path": str(model)}
    data["explanations"]["shap"] = {**data["explanations"].get("shap", {}), **shap}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return export_formats(released_network(), tmp_path_factory.mktemp("formats"), 54)


@pytest.fixture(scope="module")
def resolved(
    exported: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, ResolvedInputs]:
    """The credit inputs resolved with each format, SHAP on a small budget (20 background rows,
    40 global rows)."""
    tmp = tmp_path_factory.mktemp("policies")
    budget = {"background_size": 20, "global_rows": 40}
    models = {"torchscript": CREDIT / "model.pt", **exported}
    return {
        fmt: resolve_inputs(load_policy(credit_policy_as(tmp, fmt, path, **budget)))
        for fmt, path in models.items()
    }


def test_each_format_loads_as_its_adapter(resolved: dict[str, ResolvedInputs]) -> None:
    kinds = {fmt: type(inputs.models[0].tabular) for fmt, inputs in resolved.items()}
    assert kinds == {
        "torchscript": TorchAdapter,
        "torch_export": TorchAdapter,
        "onnx": OnnxAdapter,
    }
    assert {fmt: inputs.models[0].tabular.format for fmt, inputs in resolved.items()} == {
        f: f for f in resolved
    }
    assert {inputs.models[0].tabular.dtype for inputs in resolved.values()} == {"float32"}


def test_outputs_match_the_torchscript_model_within_1e_6(
    resolved: dict[str, ResolvedInputs],
) -> None:
    evaluation = resolved["torchscript"].evaluation.frame
    outputs = {
        fmt: inputs.models[0].tabular.predict(evaluation) for fmt, inputs in resolved.items()
    }
    assert outputs["torchscript"].shape == (300, 2)
    for fmt in ("torch_export", "onnx"):
        worst = np.abs(outputs[fmt] - outputs["torchscript"]).max()
        print(f"{fmt}: max |probability difference| from torchscript {worst:.3g}")
        assert worst <= 1e-6, fmt
    # the encoded rows the SHAP estimators mix go through predict_inputs to the same outputs
    onnx = resolved["onnx"].models[0].tabular
    codes = onnx.codec.to_codes(evaluation)
    inputs = onnx.model_inputs(codes)
    assert inputs.dtype == np.float32
    assert inputs.shape == (300, 54)
    assert onnx.input_features.shape == (54,)
    np.testing.assert_array_equal(onnx.predict_inputs(inputs), outputs["onnx"])


def test_global_shap_ranks_the_features_alike_with_values_within_1e_5(
    resolved: dict[str, ResolvedInputs],
) -> None:
    found = {}
    for fmt, inputs in resolved.items():
        result = run_global_shap(ModelData.build(inputs, inputs.models[0]))
        found[fmt] = {i.feature: i.value for i in result.importances}
    ranking = list(found["torchscript"])
    assert sorted(ranking) == sorted(resolved["onnx"].models[0].tabular.feature_names)
    for fmt in ("torch_export", "onnx"):
        assert list(found[fmt]) == ranking, fmt
        worst = max(abs(found[fmt][f] - found["torchscript"][f]) for f in ranking)
        print(f"{fmt}: max |mean |SHAP| difference| from torchscript {worst:.3g}")
        assert worst <= 1e-5, (fmt, worst)


def test_gradient_methods_run_on_the_program_and_not_on_onnx(
    resolved: dict[str, ResolvedInputs],
) -> None:
    settings = ExplainSettings.of(resolved["torchscript"].loaded.policy)
    methods = {}
    ig = {}
    for fmt, inputs in resolved.items():
        data = ModelData.build(inputs, inputs.models[0])
        found = explainers_for(
            data.model, settings, background=data.reference[:20], reference=data.reference
        )
        methods[fmt] = sorted(found)
        if "ig" in found:
            rows = data.evaluation[:3]
            ig[fmt] = found["ig"].explain(rows, np.ones(3, dtype=np.int64), np.zeros(3)).values
    assert methods == {
        "torchscript": ["ig", "lime", "shap"],
        "torch_export": ["ig", "lime", "shap"],
        "onnx": ["lime", "shap"],
    }
    np.testing.assert_allclose(ig["torch_export"], ig["torchscript"], atol=1e-6)


def test_analyses_a_format_cannot_run_are_skipped_with_the_reason_stated(
    resolved: dict[str, ResolvedInputs],
) -> None:
    skipped = {}
    for fmt, inputs in resolved.items():
        data = ModelData.build(inputs, inputs.models[0])
        _, passed_over = plan(inputs.loaded.policy, "credit-mlp", data)
        skipped[fmt] = {s.analysis: s.reason for s in passed_over}
    assert skipped["torchscript"] == skipped["torch_export"] == {}
    gradients = (
        "it reads gradients of the model, which reportgen takes from torch networks only "
        "(torchscript, torch_export); model 'credit-mlp' is onnx"
    )
    assert skipped["onnx"] == {
        "global_gradients": gradients,
        "randomisation_sanity": gradients,
        "edits": "edits change the weights of a torch classifier (torchscript or torch_export); "
        "model 'credit-mlp' is a classifier of format onnx",
        "network": "network internals read a torch network's layers (torchscript or "
        "torch_export); model 'credit-mlp' is of format onnx",
        "training_history": "the training history is read for torch models (torchscript or "
        "torch_export); model 'credit-mlp' is of format onnx",
    }


class _Probabilities(torch.nn.Module):
    """The credit network with its softmax inside the graph."""

    def __init__(self) -> None:
        super().__init__()
        self.network = released_network()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.network(x), dim=1)


@pytest.mark.parametrize(
    ("name", "network", "settings"),
    [
        ("probabilities", _Probabilities(), {"output": "probabilities"}),
        ("one-logit", torch.nn.Linear(54, 1), {"classes": ["good", "bad"]}),
        ("regressor", torch.nn.Linear(54, 1), {"task": "regression", "classes": None}),
    ],
)
def test_onnx_outputs_equal_torch_for_probabilities_one_logit_and_regression(
    tmp_path: Path, name: str, network: torch.nn.Module, settings: dict[str, Any]
) -> None:
    network.eval()
    graph = export_formats(network, tmp_path, 54)["onnx"]
    preprocessing = load_preprocessing(CREDIT / "preprocessing.json")
    spec = ModelSpec.model_validate(
        {"name": "m", "format": "onnx", "path": "-", "task": "classification"}
        | {"classes": ["good", "bad"], "preprocessing": "-"}
        | settings
    )
    adapter = load_onnx(graph, spec, preprocessing, "models[0]")
    evaluation = pd.read_csv(CREDIT / "data" / "evaluation.csv")
    codes = preprocessing.codec.to_codes(evaluation)
    with torch.inference_mode():
        raw = network(torch.from_numpy(preprocessing.encode(codes))).double()
    if name == "one-logit":
        expected = torch.cat([1 - torch.sigmoid(raw), torch.sigmoid(raw)], dim=1).numpy()
    elif name == "regressor":
        expected = raw.numpy()[:, 0]
    else:
        expected = raw.numpy()
    found = adapter.predict_codes(codes)
    assert found.shape == expected.shape
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("fmt", ["torch_export", "onnx"])
def test_init_recognises_the_format_and_drafts_a_policy_that_validates(
    tmp_path: Path, exported: dict[str, Path], fmt: str
) -> None:
    out = tmp_path / "draft.yaml"
    args = ["init", "--data", str(CREDIT / "data" / "reference.csv"), "--domain", "credit"]
    args += ["--model", str(exported[fmt]), "--preprocessing", str(CREDIT / "preprocessing.json")]
    result = CliRunner().invoke(main, [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model_format"] == fmt
    model = load_policy(out).policy.models[0]
    assert (model.format, model.classes, model.output) == (fmt, ["good", "bad"], "logits")
    assert CliRunner().invoke(main, ["validate", str(out)]).exit_code == 0


def test_edits_of_the_program_equal_those_of_the_torchscript_archive(
    resolved: dict[str, ResolvedInputs],
) -> None:
    codes = (
        resolved["torchscript"]
        .models[0]
        .tabular.codec.to_codes(resolved["torchscript"].evaluation.frame)
    )
    models = {fmt: resolved[fmt].models[0].tabular for fmt in ("torchscript", "torch_export")}
    assert all(isinstance(m, TorchAdapter) for m in models.values())
    before = models["torch_export"].predict_codes(codes)
    for edit in (lambda m: pruned(m, 0.8), quantized, lambda m: m.randomised(7)):
        edited = {fmt: edit(m).predict_codes(codes) for fmt, m in models.items()}
        assert np.abs(edited["torch_export"] - before).max() > 1e-3  # the edit changed outputs
        np.testing.assert_array_equal(edited["torch_export"], edited["torchscript"])
    np.testing.assert_array_equal(models["torch_export"].predict_codes(codes), before)


def test_onnx_outputs_do_not_depend_on_how_rows_are_batched(
    resolved: dict[str, ResolvedInputs],
) -> None:
    onnx = resolved["onnx"].models[0].tabular
    codes = onnx.codec.to_codes(resolved["onnx"].evaluation.frame)
    whole = onnx.predict_codes(codes)
    for start, stop in [(0, 1), (37, 101), (250, 300)]:
        np.testing.assert_array_equal(onnx.predict_codes(codes[start:stop]), whole[start:stop])
