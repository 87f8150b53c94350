"""Issue #15: results.json has an exported JSON Schema, kept in sync with the code, and
documents of every result kind validate against it (published ones too: tests/test_end_to_end)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import pytest

from reportgen.results.io import canonical_json
from reportgen.results.json_schema import REGENERATE, SCHEMA_FILE, main, results_schema_text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "render"))  # the render tests' document fixtures

from image_cases_fixture import make_image_cases  # noqa: E402
from imaging_fixture import make_image_maps, make_localisation  # noqa: E402
from privacy_fixture import make_private_document  # noqa: E402
from recourse_fixture import make_recourse  # noqa: E402
from trust_fixture import make_checked_document  # noqa: E402

SCHEMA = json.loads((ROOT / SCHEMA_FILE).read_text())


def test_the_committed_schema_is_the_generated_one() -> None:
    assert (ROOT / SCHEMA_FILE).read_text() == results_schema_text(), (
        f"{SCHEMA_FILE} is stale; run `{REGENERATE}` and commit it"
    )
    assert main(["--check", "--root", str(ROOT)]) == 0


def _every_kind() -> dict:
    doc = make_private_document(local_cases=True)
    extra = [r for r in make_checked_document().results if r.kind == "check"]
    extra += [make_image_maps(), make_image_cases(), make_localisation(), make_recourse()]
    doc = doc.model_copy(update={"results": [*doc.results, *extra]})
    return json.loads(canonical_json(doc))


def test_a_document_with_every_kind_validates() -> None:
    document = _every_kind()
    assert {r["kind"] for r in document["results"]} >= {
        "global_shap",
        "check",
        "image_maps",
        "image_cases",
        "recourse",
        "cohorts",
    }
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d["results"][0].update(kind="heatmap"),
        lambda d: d["run"].pop("seed"),
        lambda d: d["privacy"].update(min_cohort_size="eleven"),
    ],
    ids=["unknown kind", "missing seed", "wrong type"],
)
def test_a_damaged_document_does_not_validate(damage) -> None:  # type: ignore[no-untyped-def]
    document = _every_kind()
    damage(document)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(document)
