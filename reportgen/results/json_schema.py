"""The JSON Schema of results.json, generated from the results document's pydantic models.

The file is generated, never edited by hand; run from the repository root::

    python -m reportgen.results.json_schema --write   # rewrite policies/results-schema.json
    python -m reportgen.results.json_schema --check   # exit 1 when it is stale

Every published results.json validates against it (tested), so tools outside reportgen can
read the results without importing it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from reportgen.results.document import ResultDocument

SCHEMA_FILE = Path("policies/results-schema.json")
SCHEMA_ID = "urn:reportgen:results"
REGENERATE = "python -m reportgen.results.json_schema --write"


def results_schema() -> dict[str, Any]:
    """The schema of a results document as it is written (serialisation mode)."""
    schema = ResultDocument.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "reportgen results document (results.json)",
    }


def results_schema_text() -> str:
    """:func:`results_schema` as canonical JSON: sorted keys, indent 2, trailing newline."""
    return json.dumps(results_schema(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reportgen.results.json_schema", description=__doc__.splitlines()[0]
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="write the generated file")
    action.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    args = parser.parse_args(argv)
    path = args.root / SCHEMA_FILE
    text = results_schema_text()
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return 0
    if args.check:
        print(f"stale: {path}; run `{REGENERATE}`", file=sys.stderr)
        return 1
    path.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
