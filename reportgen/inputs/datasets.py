"""Load and check the datasets a policy names: CSV or Parquet, every declared column sound."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from reportgen._lazy import require
from reportgen.errors import InputError
from reportgen.policy.schema import DatasetSpec, DataSpec


def load_dataset(path: Path, spec: DatasetSpec, data: DataSpec, *, key: str) -> pd.DataFrame:
    """Read ``path`` and check it against the policy's data declaration.

    ``key`` is the policy key naming the file (``datasets.reference``), used in messages.

    Returns:
        The frame with exactly the declared columns: id, features, sensitive, target.

    Raises:
        InputError: missing or empty file, unreadable format, missing columns, non-numeric values
            in a numeric feature, missing or infinite values, duplicate ids.
    """
    frame = _read(path, spec, key)
    where = f"{path} ({key})"
    declared = [data.id_column, *data.feature_names, *data.sensitive, data.target]
    missing = [c for c in declared if c not in frame.columns]
    if missing:
        raise InputError(
            f"{where}: missing declared column(s) {missing}; the file has {list(frame.columns)}"
        )
    frame = frame[declared]
    for column in data.features.numeric:
        frame[column] = _numeric(frame[column], column, where)
    _check_complete(frame, where)
    for column in [*data.features.categorical, data.target, data.id_column]:
        frame[column] = frame[column].astype(str)
    duplicated = frame[data.id_column].duplicated()
    if duplicated.any():
        raise InputError(
            f"{where}: id column '{data.id_column}' must be unique, "
            f"{int(duplicated.sum())} row(s) repeat an id "
            f"(first at data row {int(np.argmax(duplicated)) + 1})"
        )
    return frame.reset_index(drop=True)


def _read(path: Path, spec: DatasetSpec, key: str) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"{path}: dataset file not found ({key}.path)")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: dataset file is empty ({key}); expected a header and data rows")
    fmt = spec.format or {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(
        path.suffix.lower()
    )
    if fmt is None:
        raise InputError(
            f"{path}: cannot tell the format from the suffix; set {key}.format to csv or parquet"
        )
    try:
        if fmt == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        else:
            require("pyarrow")
            frame = pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: cannot be read as {fmt} ({key}): {exc}") from exc
    if frame.empty:
        raise InputError(f"{path}: dataset has no data rows ({key})")
    return frame


def _numeric(column: pd.Series, name: str, where: str) -> pd.Series:
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise InputError(
            f"{where}: numeric feature '{name}' has non-numeric values in {int(bad.sum())} row(s), "
            f"first at data row {row + 1}: {str(column.iloc[row])!r}"
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
