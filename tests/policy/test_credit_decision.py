"""Issue #11: a credit decision is declared once, and a prohibited basis cannot be scored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reportgen.errors import PolicyError
from reportgen.policy.loader import load_policy

ROOT = Path(__file__).resolve().parents[2]


def _problems(tmp_path: Path, change: Any) -> list[str]:
    policy = yaml.safe_load((ROOT / "policies" / "credit.yaml").read_text())
    change(policy)
    path = tmp_path / "credit.yaml"
    path.write_text(yaml.safe_dump(policy))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return [p.removeprefix(f"{path}: ") for p in caught.value.problems]


def test_the_credit_policy_declares_its_decision() -> None:
    decision = load_policy(ROOT / "policies" / "credit.yaml").policy.decision
    assert decision is not None and decision.adverse_class == "bad" and decision.cutoff == 0.5


def test_a_sensitive_column_used_as_a_model_input_is_refused(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, lambda p: p["data"]["features"]["numeric"].append("age_in_years")
    )
    assert problems == [
        "data.sensitive: 'age_in_years' is a sensitive attribute and also a model input "
        "(data.features): a prohibited basis cannot be scored in a credit decision; remove it "
        "from the features"
    ]


def test_the_adverse_class_is_one_of_the_models_classes(tmp_path: Path) -> None:
    problems = _problems(tmp_path, lambda p: p["decision"].update(adverse_class="bda"))
    assert problems == [
        "decision.adverse_class: 'bda' is not one of the classes ['good', 'bad'] of model "
        "'credit-mlp'"
    ]


@pytest.mark.parametrize("cutoff", [0.0, 1.0, -0.2])
def test_the_cutoff_lies_strictly_between_0_and_1(tmp_path: Path, cutoff: float) -> None:
    problems = _problems(tmp_path, lambda p: p["decision"].update(cutoff=cutoff))
    assert len(problems) == 1 and problems[0].startswith("decision.cutoff: ")


def test_recourse_names_model_features_and_directions_only_for_numbers(tmp_path: Path) -> None:
    def change(policy: dict[str, Any]) -> None:
        policy["decision"]["recourse"] = {
            "immutable": ["credit_histroy"],
            "monotone": {"purpose": "decrease"},
        }

    assert _problems(tmp_path, change) == [
        "decision.recourse.immutable: 'credit_histroy' is not a model feature (data.features)",
        "decision.recourse.monotone: 'purpose' is categorical: only numeric features take a "
        "direction",
    ]
