"""Canonical JSON for the results document: sorted keys, no NaN, UTF-8, newline-terminated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from reportgen import __version__
from reportgen.errors import InputError
from reportgen.results.document import RESULT_KINDS, ResultDocument

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


def load_results(path: str | Path, *, verb: str = "read") -> ResultDocument:
    """Read a results.json: the one reader of results documents.

    ``verb`` says what the caller means to do with it (``"render"``), for the message that
    refuses a result of a kind this version does not know.

    Raises:
        InputError: missing file, not JSON, a result of an unknown kind, or not a results
            document of this schema version.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: results file not found") from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable JSON file ({exc})") from exc
    unknown = _unknown_kind(data)
    if unknown is not None:
        index, kind = unknown
        raise InputError(
            f"{path}: results[{index}] has kind {kind!r}, which this version of reportgen "
            f"({__version__}) cannot {verb}; {verb} it with the version that produced it"
        )
    try:
        return ResultDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(
            f"{path}: not a reportgen results document: {where}: {first['msg']}"
        ) from exc


def _unknown_kind(data: object) -> tuple[int, str] | None:
    """The first entry of ``results`` tagged with a kind no result type of this version has.

    Entries without a string ``kind`` are left to the schema's own message.
    """
    results = data.get("results") if isinstance(data, dict) else None
    for index, result in enumerate(results if isinstance(results, list) else []):
        kind = result.get("kind") if isinstance(result, dict) else None
        if isinstance(kind, str) and kind not in RESULT_KINDS:
            return index, kind
    return None
