"""Issue #10: an imaging policy's keys are checked like every other, all problems at once."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from reportgen.errors import PolicyError
from reportgen.policy.loader import load_policy

ROOT = Path(__file__).resolve().parents[2]
BASE: dict[str, Any] = yaml.safe_load((ROOT / "policies" / "medical-imaging.yaml").read_text())


def _problems(tmp_path: Path, change: Any) -> list[str]:
    policy = copy.deepcopy(BASE)
    change(policy)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return [p.removeprefix(f"{path}: ") for p in caught.value.problems]


def test_the_bundled_imaging_policies_load() -> None:
    for path in (
        ROOT / "policies" / "medical-imaging.yaml",
        ROOT / "examples/imaging/shortcut-policy.yaml",
    ):
        policy = load_policy(path).policy
        assert policy.data.kind == "images" and policy.data.image.height == 64


def _set(path: str, value: Any) -> Any:
    def change(policy: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = policy
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value

    return change


CASES = {
    "images without kind": (
        _set("data.kind", "tabular"),
        "data: images applies to kind 'images' only; set kind: images or remove images",
    ),
    "kind without images": (
        _set("data.images", None),
        "data: kind 'images' needs images: the image size, channels and columns",
    ),
    "features on images": (
        _set("data.features", {"numeric": ["age"]}),
        "data: kind 'images' takes no features: the model's input is the image",
    ),
    "normalisation per channel": (
        _set("data.images.normalisation", {"mean": [0.5, 0.5, 0.5], "std": [0.2, 0.2, 0.2]}),
        "data.images: normalisation gives 3 value(s) per statistic for 1 channel(s)",
    ),
    "zero std": (
        _set("data.images.normalisation.std", [0.0]),
        "data.images.normalisation: every std must be positive, got [0.0]",
    ),
    "two channels": (
        _set("data.images.channels", 2),
        "data.images.channels: must be 1 or 3, got 2",
    ),
    "skops image model": (
        _set("models.0.format", "skops"),
        "models[0].format: image models must be torch_export or torchscript, not 'skops'",
    ),
    "regression image model": (
        lambda p: p["models"][0].update(task="regression", classes=None, positive_class=None),
        "models[0].task: image models must be classifiers in this version",
    ),
    "no Grad-CAM layer": (
        _set("models.0.layer", None),
        "models[0].layer: Grad-CAM needs the layer whose activations it weighs, e.g. layer: "
        "features.conv3 (or remove gradcam from explanations.images.methods)",
    ),
    "Grad-CAM on TorchScript": (
        _set("models.0.format", "torchscript"),
        "models[0].format: Grad-CAM needs hooks on the model's layers, which TorchScript does "
        "not allow: save the model with torch.export (format: torch_export) or remove gradcam "
        "from explanations.images.methods",
    ),
    "C8 on a method not computed": (
        _set("explanations.images.methods", ["gradcam"]),
        "checks.localisation.methods: ['ig'] are not computed: add them to "
        "explanations.images.methods or remove them",
    ),
    "occlusion stride beyond window": (
        _set("explanations.images.occlusion", {"window": 4, "stride": 8}),
        "explanations.images.occlusion: stride (8) must be at most window (4)",
    ),
    "cohort on an undeclared column": (
        _set("privacy.cohorts", [{"name": "hospital", "by": "hospital"}]),
        "privacy.cohorts[0].by: 'hospital' is not a declared column; expected a feature, a "
        "sensitive column (data.sensitive), a cohort column (data.images.cohort_columns) or "
        "'predicted_class'",
    ),
    "image column is the target": (
        _set("data.images.image_column", "label"),
        "data: column 'label' is declared twice, in target and in images.image_column",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_imaging_policy_problem(tmp_path: Path, name: str) -> None:
    change, expected = CASES[name]
    problems = _problems(tmp_path, change)
    assert any(p.startswith(expected) for p in problems), problems


def test_tabular_policies_refuse_image_keys(tmp_path: Path) -> None:
    policy = yaml.safe_load((ROOT / "policies" / "credit.yaml").read_text())
    policy["models"][0]["layer"] = "features.0"
    policy["models"][0]["format"] = "torch_export"
    del policy["models"][0]["preprocessing"]
    path = tmp_path / "credit.yaml"
    path.write_text(yaml.safe_dump(policy))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    problems = [p.removeprefix(f"{path}: ") for p in caught.value.problems]
    assert "models[0].layer: layer applies to image models (data.kind: images) only" in problems
    assert (
        "models[0].preprocessing: a torch_export model needs preprocessing: the JSON file "
        "declaring how raw features are encoded; none is given"
    ) in problems
