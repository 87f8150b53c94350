"""The policy's JSON Schema and Markdown reference, generated from the pydantic schema.

Both files are generated, never edited by hand; run from the repository root::

    python -m reportgen.policy.reference --write   # rewrite policies/schema.json and the docs
    python -m reportgen.policy.reference --check   # exit 1 when either file is stale
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema

from reportgen.policy.schema import SLUG_PATTERN, Policy, model_keys, type_in_words

SCHEMA_FILE = Path("policies/schema.json")
REFERENCE_FILE = Path("docs/policy-reference.md")
REGENERATE = "python -m reportgen.policy.reference --write"
SCHEMA_ID = "urn:reportgen:policy"


class _WithFactoryDefaults(GenerateJsonSchema):
    """Pydantic leaves ``default_factory`` defaults out of JSON Schema; editors need them."""

    def default_schema(self, schema: Any) -> Any:
        factory = schema.get("default_factory")
        if factory is not None and not schema.get("default_factory_takes_data"):
            schema = {k: v for k, v in schema.items() if k != "default_factory"}
            schema["default"] = factory()
        return super().default_schema(schema)


def json_schema() -> dict[str, Any]:
    """The policy as JSON Schema (draft 2020-12), keys spelt as in YAML (``global``)."""
    schema = Policy.model_json_schema(by_alias=True, schema_generator=_WithFactoryDefaults)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "reportgen policy",
    }


def json_schema_text() -> str:
    """:func:`json_schema` as canonical JSON: sorted keys, indent 2, trailing newline."""
    return json.dumps(json_schema(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Row:
    """One documented key: its path (``models[].name``), type, default and description."""

    path: str
    type: str
    default: str
    description: str


@dataclass
class Section:
    """The keys of one mapping of the policy (``data.features``), with its cross-key rules."""

    path: str
    model: type[BaseModel]
    rows: list[Row] = field(default_factory=list)

    @property
    def rules(self) -> list[str]:
        decorators = self.model.__pydantic_decorators__
        validators = [*decorators.model_validators.values(), *decorators.field_validators.values()]
        docs = [inspect.getdoc(getattr(v, "func", None)) for v in validators]
        return [" ".join(doc.split()) for doc in docs if doc]


def sections() -> list[Section]:
    """Every mapping of the policy, top level first, then depth first in schema order."""
    found: list[Section] = []
    _walk(Policy, "", found)
    return found


def _walk(model: type[BaseModel], path: str, found: list[Section]) -> None:
    section = Section(path, model)
    found.append(section)
    nested: list[tuple[type[BaseModel], str]] = []
    for name, info in model.model_fields.items():
        key = f"{path}.{info.alias or name}" if path else (info.alias or name)
        annotation: Any = _unless_none(info.annotation)
        if get_origin(annotation) is list and _is_model(get_args(annotation)[0]):
            nested.append((get_args(annotation)[0], f"{key}[]"))
        elif _is_model(annotation):
            nested.append((annotation, key))
        elif _optional_model(annotation) is not None:
            nested.append((_optional_model(annotation), key))
        section.rows.append(Row(key, _type(info, nested), _default(info), info.description or ""))
    for child, child_path in nested:
        _walk(child, child_path, found)


def _type(info: FieldInfo, nested: list[tuple[type[BaseModel], str]]) -> str:
    words = type_in_words(info.annotation, quote="`")
    if nested and nested[-1][0] in (info.annotation, *get_args(info.annotation)):
        words += f", see `{nested[-1][1]}`"
    limits = _limits(info)
    return f"{words} ({', '.join(limits)})" if limits else words


def _limits(info: FieldInfo) -> list[str]:
    annotation = info.annotation
    is_list = get_origin(annotation) is list or any(
        get_origin(member) is list for member in get_args(annotation)
    )  # an optional list (``list[float] | None``) counts its items too
    limits = []
    for meta in info.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(meta, attr, None) is not None:
                limits.append(f"{sign} {getattr(meta, attr)}")
        if getattr(meta, "min_length", None) is not None:
            unit = "item" if is_list else "character"
            limits.append(f"at least {meta.min_length} {unit}{'s' * (meta.min_length != 1)}")
        pattern = getattr(meta, "pattern", None)
        if pattern is not None:
            slug = pattern == SLUG_PATTERN
            limits.append(f"a lowercase slug: `{pattern}`" if slug else f"matching `{pattern}`")
    return limits


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True, validated_data={})
    if isinstance(value, BaseModel):
        return "all defaults"
    return f"`{_yaml(value)}`"


def _yaml(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if value == "":
        return '""'
    return str(value)


def markdown_reference() -> str:
    """The policy reference: one table per mapping (key path, type, default, description)."""
    lines = [
        "# Policy reference",
        "",
        f"<!-- Generated from reportgen/policy/schema.py by `{REGENERATE}`; do not edit. -->",
        "",
        "A policy is one YAML file per regulated use of a model. Every key is listed below; any "
        "other key is an error, so a misspelt setting is never silently ignored. Paths are "
        "relative to the policy file. `models[].name` means the `name` key of each item of the "
        f"`models` list. Editors can check a policy against the JSON Schema in "
        f"[`{SCHEMA_FILE}`](../{SCHEMA_FILE}).",
        "",
        f"Top-level keys: {', '.join(f'`{k}`' for k in model_keys(Policy))}.",
    ]
    for section in sections():
        lines += ["", f"## `{section.path}`" if section.path else "## Top level", ""]
        lines += [" ".join((inspect.getdoc(section.model) or "").split()), ""]
        lines += ["| Key | Type | Default | Description |", "|---|---|---|---|"]
        lines += [
            f"| `{r.path}` | {_cell(r.type)} | {_cell(r.default)} | {_cell(r.description)} |"
            for r in section.rows
        ]
        if section.rules:
            lines += ["", "Rules checked across keys:", ""]
            lines += [f"- {rule}" for rule in section.rules]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """One table cell: one line, pipes escaped, and outside code spans a ``<`` that would open an
    HTML tag (``<out>``) escaped."""
    parts = " ".join(text.split()).replace("|", "\\|").split("`")
    return "`".join(p if i % 2 else _TAG_START.sub("&lt;", p) for i, p in enumerate(parts))


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def _unless_none(annotation: Any) -> Any:
    """``X | None`` -> ``X``: an optional section is documented like any other."""
    options = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (Union, types.UnionType) and len(options) == 1:
        return options[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _optional_model(annotation: Any) -> Any:
    """The mapping of an optional one (``DecisionSpec | None``), else None."""
    members = [a for a in get_args(annotation) if a is not type(None)]
    if len(members) == 1 and len(get_args(annotation)) == 2 and _is_model(members[0]):
        return members[0]
    return None


def generated_files(root: Path) -> dict[Path, str]:
    """The generated files under ``root`` and the text each must hold."""
    return {root / SCHEMA_FILE: json_schema_text(), root / REFERENCE_FILE: markdown_reference()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reportgen.policy.reference", description=__doc__.splitlines()[0]
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="write the generated files")
    action.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated_files(args.root).items():
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(path)
        if args.write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path}")
    if args.check and stale:
        print(f"stale: {', '.join(map(str, stale))}; run `{REGENERATE}`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
