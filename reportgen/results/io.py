"""Canonical JSON for the results document: sorted keys, no NaN, UTF-8, newline-terminated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from reportgen.errors import InputError
from reportgen.results.document import ResultDocument

RESULTS_FILE = "results.json"
"""The results document's name wherever it is stored: in a version, or given to render."""


def canonical_json(data: BaseModel | dict[str, Any]) -> bytes:
    """Serialise to canonical JSON bytes; the same content always gives the same bytes.

    Raises:
        ValueError: the content holds NaN or infinity, which JSON cannot represent.
    """
    plain = data.model_dump(mode="json", by_alias=True) if isinstance(data, BaseModel) else data
    text = json.dumps(plain, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def load_results(path: str | Path) -> ResultDocument:
    """Read a results.json: the one reader of results documents.

    Raises:
        InputError: missing file, not JSON, or not a results document of this schema version.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: results file not found") from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable JSON file ({exc})") from exc
    try:
        return ResultDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(
            f"{path}: not a reportgen results document: {where}: {first['msg']}"
        ) from exc
