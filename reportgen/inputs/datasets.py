"""Load and check the datasets a policy names: CSV or Parquet, every declared column sound.

Messages never echo the file's content (a policy may point at a file it should not read):
they name the file, the column and the data row, and what was expected.
"""

from __future__ import annotations

import csv
import difflib
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from reportgen._lazy import require
from reportgen.errors import InputError
from reportgen.policy.schema import DatasetSpec, DataSpec


def load_dataset(
    path: Path, spec: DatasetSpec, data: DataSpec, *, key: str, shown: str | None = None
) -> pd.DataFrame:
    """Read ``path`` and check it against the policy's data declaration.

    ``key`` is the policy key naming the file (``datasets.reference``), used in messages;
    ``shown`` is how messages name the file (default: ``path``), e.g. with the link it came from.

    Returns:
        The frame with exactly the declared columns: id, features, sensitive, target.

    Raises:
        InputError: missing or empty file, unreadable format, duplicate or missing columns,
            non-numeric or date values in a numeric feature, missing or infinite values,
            duplicate ids.
    """
    shown = shown or str(path)
    where = f"{shown} ({key})"
    declared = [data.id_column, *data.feature_names, *data.sensitive, data.target]
    frame = select_columns(read_table(path, spec, key, shown), declared, where)
    for column in data.features.numeric:
        frame[column] = _numeric(frame[column], column, where)
    _check_complete(frame, where)
    for column in [*data.features.categorical, data.target, data.id_column]:
        frame[column] = frame[column].astype(str)
    check_ids(frame, data.id_column, where)
    return frame.reset_index(drop=True)


def load_decisions(path: Path, data: DataSpec, *, key: str = "--data") -> pd.DataFrame:
    """Read a decision file: the evaluation data's layout, the target and sensitive columns
    optional (read, if present, by nothing).

    Returns:
        The frame with the id column and the features, checked as :func:`load_dataset` checks
        them.

    Raises:
        InputError: missing or empty file, unreadable format, a missing id or feature column,
            non-numeric values in a numeric feature, missing values, duplicate ids.
    """
    where = f"{path} ({key})"
    if not path.is_file():
        raise InputError(f"{path}: decision file not found ({key})")
    spec = DatasetSpec(path=str(path))
    declared = [data.id_column, *data.feature_names]
    frame = select_columns(read_table(path, spec, key, str(path)), declared, where)
    for column in data.features.numeric:
        frame[column] = _numeric(frame[column], column, where)
    _check_complete(frame, where)
    for column in [*data.features.categorical, data.id_column]:
        frame[column] = frame[column].astype(str)
    check_ids(frame, data.id_column, where)
    return frame.reset_index(drop=True)


def select_columns(frame: pd.DataFrame, declared: list[str], where: str) -> pd.DataFrame:
    """The ``declared`` columns of ``frame``, in that order.

    Raises:
        InputError: a declared column is missing (close matches among the file's are named).
    """
    missing = [c for c in declared if c not in frame.columns]
    if missing:
        raise InputError(f"{where}: {_missing_columns(missing, list(frame.columns))}")
    return frame[declared].copy()


def check_ids(frame: pd.DataFrame, id_column: str, where: str) -> None:
    """Raises InputError when an id repeats (the first repeat's data row is named)."""
    duplicated = frame[id_column].astype(str).duplicated()
    if duplicated.any():
        raise InputError(
            f"{where}: id column '{id_column}' must be unique, "
            f"{int(duplicated.sum())} row(s) repeat an id "
            f"(first at data row {int(np.argmax(duplicated)) + 1})"
        )


def read_table(path: Path, spec: DatasetSpec, key: str, shown: str) -> pd.DataFrame:
    """The file at ``path`` as a frame (CSV cells as text).

    Raises:
        InputError: missing, empty, unreadable, no data rows, or a column named twice.
    """
    if not path.is_file():
        raise InputError(f"{shown}: dataset file not found ({key}.path)")
    if path.stat().st_size == 0:
        raise InputError(f"{shown}: dataset file is empty ({key}); expected a header and data rows")
    fmt = spec.format or {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(
        path.suffix.lower()
    )
    if fmt is None:
        raise InputError(
            f"{shown}: cannot tell the format from the suffix; set {key}.format to csv or parquet"
        )
    try:
        if fmt == "csv":
            _check_header(path, key, shown)
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        else:
            require("pyarrow")
            frame = pd.read_parquet(path)
    except UnicodeDecodeError as exc:
        raise InputError(f"{shown}: cannot be read as {fmt} ({key}): not UTF-8 text") from exc
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(f"{shown}: cannot be read as {fmt} ({key}): {_reason(exc)}") from exc
    if frame.empty:
        raise InputError(f"{shown}: dataset has no data rows ({key})")
    repeated = frame.columns[frame.columns.duplicated()]
    if len(repeated):
        raise InputError(
            f"{shown} ({key}): column '{repeated[0]}' appears more than once; "
            "each column needs its own name"
        )
    return frame


def _check_header(path: Path, key: str, shown: str) -> None:
    """Refuse a CSV header that names a column twice (pandas would silently rename one)."""
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    repeated = sorted(name for name, n in Counter(header).items() if n > 1)
    if repeated:
        positions = [i + 1 for i, name in enumerate(header) if name == repeated[0]]
        raise InputError(
            f"{shown} ({key}): the header names column '{repeated[0]}' more than once "
            f"(columns {', '.join(map(str, positions))}); each column needs its own name"
        )


def _reason(exc: Exception) -> str:
    """What went wrong reading a file, without quoting any of its content."""
    if isinstance(exc, pd.errors.ParserError):
        return "malformed rows (a row with more fields than the header, or an open quote)"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return f"not a valid file of this format ({type(exc).__name__})"


def _missing_columns(missing: list[str], present: list[str]) -> str:
    """Which declared columns are missing; close matches among the file's columns, if any."""
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, [str(c) for c in present], n=1, cutoff=0.8)
        if close:
            hints.append(f"'{name}' (the file has '{close[0]}')")
    hint = f"; did you mean: {', '.join(hints)}?" if hints else ""
    return (
        f"missing declared column(s) {missing}; the file has {len(present)} other column(s){hint}"
    )


def _numeric(column: pd.Series, name: str, where: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column) or pd.api.types.is_timedelta64_dtype(column):
        raise InputError(
            f"{where}: numeric feature '{name}' holds dates or durations ({column.dtype}); "
            "store it as a number (e.g. days since an event) or declare it categorical"
        )
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise InputError(
            f"{where}: numeric feature '{name}' has non-numeric values in {int(bad.sum())} row(s), "
            f"first at data row {row + 1}"
        )
    return values.astype(np.float64)


def _check_complete(frame: pd.DataFrame, where: str) -> None:
    for name in frame.columns:
        column = frame[name]
        invalid = column.isna().to_numpy()
        if pd.api.types.is_numeric_dtype(column):
            invalid = invalid | ~np.isfinite(column.to_numpy(dtype=np.float64, na_value=np.nan))
        if invalid.any():
            raise InputError(
                f"{where}: column '{name}' has missing or infinite values in {int(invalid.sum())} "
                f"row(s), first at data row {int(np.argmax(invalid)) + 1}; "
                "reportgen needs complete data"
            )
