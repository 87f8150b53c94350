"""Do the fair-lending attributes read the way the policy splits them? Checked once data is read.

A numeric sensitive column (age) is split into the policy's bands, a column of labels into its
values. A group the policy names for a column of labels (the reference, the decomposed pair) must
be one of its values in the evaluation data. Problems are policy errors (exit 2), all at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

import pandas as pd

from reportgen.errors import PolicyError
from reportgen.inputs.columns import numeric_values
from reportgen.policy.fair_lending import HIGHEST_APPROVAL, FairLendingAttribute, assessed
from reportgen.policy.loader import LoadedPolicy


def check_fair_lending_columns(loaded: LoadedPolicy, evaluation: pd.DataFrame) -> None:
    """Raise a PolicyError listing every fair-lending attribute that does not fit its column.

    Raises:
        PolicyError: a numeric column without bands, a column of labels with bands, or a named
            group that is not a value of its column.
    """
    decision = loaded.policy.decision
    if decision is None or decision.fair_lending is None:
        return
    spec = decision.fair_lending
    listed = bool(spec.attributes)
    problems = []
    for i, item in enumerate(assessed(spec, loaded.policy.data.sensitive)):
        if item.attribute not in evaluation.columns:
            continue  # a dataset without a declared column is refused when it loads
        key = f"decision.fair_lending.attributes[{i}]" if listed else None
        problems += [f"{loaded.path}: {p}" for p in _problems(item, evaluation, key)]
    if problems:
        summary = problems[0] if len(problems) == 1 else f"{loaded.path}: {len(problems)} problems"
        raise PolicyError(summary, problems)


def _problems(
    item: FairLendingAttribute, evaluation: pd.DataFrame, key: str | None
) -> Iterator[str]:
    """``key`` is the attribute's key path, or None when it is assessed by default (unlisted)."""
    column = evaluation[item.attribute]
    numbers = numeric_values(column)
    name = item.attribute
    if numbers is not None and item.bands is None:
        if key is None:
            yield (
                f"decision.fair_lending.attributes: sensitive column '{name}' of the evaluation "
                f"data holds numbers: list it with band edges, e.g. "
                f"{{attribute: {name}, bands: [25, 35, 50, 65]}}"
            )
        else:
            yield (
                f"{key}.bands: column '{name}' of the evaluation data holds numbers: give band "
                "edges, e.g. bands: [25, 35, 50, 65]"
            )
        return
    if numbers is None and item.bands is not None:
        yield (
            f"{key}.bands: column '{name}' of the evaluation data holds labels, not numbers, so "
            "its groups are its labels; remove the bands"
        )
        return
    if numbers is not None or key is None:
        return  # bands are checked with the policy; an unlisted attribute names no group
    values = sorted(set(column.dropna().astype(str)))
    if item.reference != HIGHEST_APPROVAL and item.reference not in values:
        yield f"{key}.reference: {_not_a_value(item.reference, name, values)}"
    for j, group in enumerate(item.decompose or []):
        if group not in values:
            yield f"{key}.decompose[{j}]: {_not_a_value(group, name, values)}"


def _not_a_value(group: str, column: str, values: list[str]) -> str:
    close = difflib.get_close_matches(group, values, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"'{group}' is not a value of column '{column}' in the evaluation data{hint}"


__all__ = ["check_fair_lending_columns"]
