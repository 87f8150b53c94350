"""The committed JSON Schema and policy reference are exactly what the schema generates."""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from reportgen.policy import Policy
from reportgen.policy.reference import (
    REFERENCE_FILE,
    REGENERATE,
    SCHEMA_FILE,
    SCHEMA_ID,
    generated_files,
    json_schema,
    main,
    markdown_reference,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("relative", [SCHEMA_FILE, REFERENCE_FILE], ids=str)
def test_committed_file_matches_the_schema(relative: Path) -> None:
    path = ROOT / relative
    expected = generated_files(ROOT)[path]
    assert path.is_file(), f"{relative} is missing; run `{REGENERATE}`"
    committed = path.read_text(encoding="utf-8")
    assert committed == expected, f"{relative} is stale; run `{REGENERATE}` and commit it"


def test_json_schema_is_canonical_and_spells_keys_as_yaml() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    assert schema["title"] == "reportgen policy"
    assert "global" in schema["$defs"]["ExplanationsSpec"]["properties"]
    text = (ROOT / SCHEMA_FILE).read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_json_schema_states_factory_defaults() -> None:
    shap = json_schema()["$defs"]["ShapSpec"]["properties"]
    assert shap["background_size"]["default"] == 100
    methods = json_schema()["$defs"]["GlobalSpec"]["properties"]["methods"]
    assert methods["default"] == ["shap", "permutation"]


def _fields(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every field of the schema as (key path as in the reference, FieldInfo)."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{info.alias or name}"
        yield path, info
        annotation = info.annotation
        options = [a for a in get_args(annotation) if a is not type(None)]
        if get_origin(annotation) in (Union, types.UnionType) and len(options) == 1:
            annotation = options[0]  # an optional section is documented too
        if get_origin(annotation) is list and isinstance(get_args(annotation)[0], type):
            item = get_args(annotation)[0]
            if issubclass(item, BaseModel):
                yield from _fields(item, f"{path}[].")
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _fields(annotation, f"{path}.")
        else:  # an optional mapping (decision, schedule) is documented like a required one
            models = [a for a in get_args(annotation) if isinstance(a, type)]
            models = [a for a in models if issubclass(a, BaseModel)]
            if len(models) == 1 and type(None) in get_args(annotation):
                yield from _fields(models[0], f"{path}.")


def _reference_rows() -> dict[str, list[str]]:
    rows = {}
    for line in markdown_reference().splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells
    return rows


def test_every_field_is_documented_with_a_description() -> None:
    rows = _reference_rows()
    fields = dict(_fields(Policy))
    assert len(fields) > 40
    undocumented = [path for path, info in fields.items() if not (info.description or "").strip()]
    assert undocumented == [], "fields without a description in schema.py"
    missing = sorted(set(fields) - set(rows))
    assert missing == [], "fields absent from the reference"
    empty = [path for path, cells in rows.items() if len(cells) != 4 or not cells[3]]
    assert empty == [], "reference rows without a description"
    assert sorted(rows) == sorted(fields), "reference rows that are not schema fields"


def test_reference_shows_defaults_and_aliases() -> None:
    rows = _reference_rows()
    assert rows["explanations.global.methods"][2] == "`[shap, permutation]`"
    assert rows["models[].batch_size"][1:3] == ["a whole number (>= 1, <= 1000000)", "`8192`"]
    assert rows["datasets.reference.path"][2] == "required"
    assert "explanations.global_" not in rows


def test_check_flags_a_stale_file_and_write_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--check", "--root", str(tmp_path)]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert main(["--write", "--root", str(tmp_path)]) == 0
    assert main(["--check", "--root", str(tmp_path)]) == 0
    for path, text in generated_files(tmp_path).items():
        assert path.read_text(encoding="utf-8") == text
