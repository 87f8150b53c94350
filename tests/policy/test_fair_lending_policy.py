"""Issue #11: fair-lending and calibration settings of a credit decision, checked like every key.

Key-level and cross-key problems are in the invalid-policy table (``fair_lending_*.yaml``); here
the defaults, the band spellings a policy may use, and the rules only the data can decide
(a numeric attribute needs bands, a named group of a column of labels must be one of its values),
which ``reportgen validate`` reports as policy errors (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.errors import PolicyError
from reportgen.inputs import resolve_inputs
from reportgen.policy.bands import band_labels, band_named
from reportgen.policy.fair_lending import FairLendingSpec, assessed
from reportgen.policy.loader import load_policy
from tests.conftest import ROOT, policy_with


def _credit(tmp_path: Path, fair_lending: dict[str, Any]) -> Path:
    path = policy_with(ROOT / "policies" / "credit.yaml", tmp_path)
    policy = yaml.safe_load(path.read_text())
    policy["decision"]["fair_lending"] = fair_lending
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return path


def _data_problems(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        resolve_inputs(load_policy(path))
    return [p.removeprefix(f"{path}: ") for p in caught.value.problems]


def test_the_defaults_are_the_four_fifths_rule_and_every_sensitive_attribute() -> None:
    spec = FairLendingSpec()
    assert (spec.air.fail_below, spec.air.warn_below, spec.bootstrap) == (0.8, 0.9, 1000)
    chosen = assessed(spec, ["sex", "age"])
    assert [(a.attribute, a.reference, a.bands) for a in chosen] == [
        ("sex", "highest_approval_rate", None),
        ("age", "highest_approval_rate", None),
    ]


def test_a_band_is_named_with_a_hyphen_or_an_en_dash() -> None:
    assert band_labels([25, 35.5]) == ["<25", "25\u201335.5", "35.5+"]
    assert band_named("25-35.5", [25, 35.5]) == "25\u201335.5"
    assert band_named("25\u201335.5", [25, 35.5]) == "25\u201335.5"
    assert band_named("65+", [25, 35.5]) is None


def test_a_numeric_attribute_assessed_by_default_must_be_listed_with_bands(tmp_path: Path) -> None:
    assert _data_problems(_credit(tmp_path, {})) == [
        "decision.fair_lending.attributes: sensitive column 'age_in_years' of the evaluation data "
        "holds numbers: list it with band edges, e.g. {attribute: age_in_years, bands: [25, 35, "
        "50, 65]}"
    ]


def test_groups_of_a_column_of_labels_are_its_values(tmp_path: Path) -> None:
    attributes = [
        {"attribute": "age_in_years"},
        {"attribute": "foreign_worker", "bands": [1]},
        {
            "attribute": "personal_status_and_sex",
            "reference": "male : singel",
            "decompose": ["female", "male : single"],
        },
    ]
    assert _data_problems(_credit(tmp_path, {"attributes": attributes})) == [
        "decision.fair_lending.attributes[0].bands: column 'age_in_years' of the evaluation data "
        "holds numbers: give band edges, e.g. bands: [25, 35, 50, 65]",
        "decision.fair_lending.attributes[1].bands: column 'foreign_worker' of the evaluation "
        "data holds labels, not numbers, so its groups are its labels; remove the bands",
        "decision.fair_lending.attributes[2].reference: 'male : singel' is not a value of column "
        "'personal_status_and_sex' in the evaluation data; did you mean 'male : single'?",
        "decision.fair_lending.attributes[2].decompose[0]: 'female' is not a value of column "
        "'personal_status_and_sex' in the evaluation data",
    ]


def test_validate_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = _credit(tmp_path, {"attributes": [{"attribute": "foreign_worker", "bands": [1]}]})
    result = CliRunner().invoke(main, ["validate", str(path), "--json"])
    assert result.exit_code == 2, result.output
    assert "decision.fair_lending.attributes[0].bands" in json.loads(result.stdout)["error"]
