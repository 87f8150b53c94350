"""Display names of columns (``data.labels``): what a reader of the report sees in place of a
column name, units included, e.g. ``duration_in_month: "Loan duration (months)"``.

Labels are presentation only: results keep column names and the report maps them when it is
drawn. Every key must be a column the policy declares, so a misspelt key is an error rather
than a label that silently never shows.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from pydantic import StringConstraints

if TYPE_CHECKING:
    from reportgen.policy.consistency import Problem
    from reportgen.policy.schema import DataSpec

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
"""One display name: 1 to 80 characters, surrounding blanks dropped."""

LABELS_DESCRIPTION = (
    "Display names of columns, e.g. duration_in_month: 'Loan duration (months)': "
    "shown wherever a person reads the report (charts, tables, summaries, reasons) in place of "
    "the column name; results.json keeps the column names. Keys must be declared columns "
    "(features, target, id column, sensitive or image columns); 1 to 80 characters each."
)


def declared_columns(data: DataSpec) -> list[str]:
    """Every column the policy names, in declaration order: features, target, id column,
    sensitive columns and the image index's columns."""
    columns = [*data.feature_names, data.target, data.id_column, *data.sensitive]
    if data.images is not None:
        columns += [data.images.image_column, *data.images.cohort_columns]
        columns += [data.images.mask_column] if data.images.mask_column is not None else []
    return list(dict.fromkeys(columns))


def label_problems(data: DataSpec) -> Iterator[Problem]:
    """A problem for each ``data.labels`` key that is not a declared column."""
    columns = declared_columns(data)
    for key in data.labels:
        if key not in columns:
            close = difflib.get_close_matches(key, columns, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            yield (
                ("data", "labels", key),
                f"'{key}' is not a declared column; a label needs a feature, the target, the id "
                f"column or a sensitive column (data.sensitive){hint}",
            )
