"""How a data column reads: as numbers or as labels (sensitive columns have no declared kind)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def numeric_values(column: pd.Series) -> np.ndarray | None:
    """The column as floats when it is numeric, or text whose every value reads as a number
    (sensitive columns arrive from CSV as text); None when it holds labels."""
    if pd.api.types.is_bool_dtype(column):
        return None
    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    numbers = pd.to_numeric(column, errors="coerce")
    if (numbers.isna() & column.notna()).any() or column.isna().all():
        return None
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)
