"""Cross-key rules of a decision's fair-lending settings, reported like every policy problem.

An attribute must be declared sensitive; groups a policy names for a banded attribute (the
reference, the decomposed pair) must be among its bands. Groups of a column of labels are values
from the data: they are checked once the data is read (:mod:`reportgen.inputs.groups`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from reportgen.policy.bands import band_labels, band_named
from reportgen.policy.fair_lending import HIGHEST_APPROVAL, FairLendingAttribute
from reportgen.policy.schema import Policy

Problem = tuple[tuple[int | str, ...], str]


def fair_lending_problems(policy: Policy) -> Iterator[Problem]:
    """Every cross-key problem of ``decision.fair_lending``."""
    decision = policy.decision
    if decision is None or decision.fair_lending is None:
        return
    where: tuple[int | str, ...] = ("decision", "fair_lending")
    sensitive = policy.data.sensitive
    if not sensitive:
        yield (
            where,
            "fair lending compares the groups of sensitive attributes, and data.sensitive "
            "declares none",
        )
        return
    for i, item in enumerate(decision.fair_lending.attributes):
        yield from _attribute_problems(item, (*where, "attributes", i), sensitive)


def _attribute_problems(
    item: FairLendingAttribute, where: tuple[int | str, ...], sensitive: list[str]
) -> Iterator[Problem]:
    if item.attribute not in sensitive:
        close = difflib.get_close_matches(item.attribute, sensitive, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        yield (
            (*where, "attribute"),
            f"'{item.attribute}' is not a sensitive attribute (data.sensitive: "
            f"{', '.join(sensitive)}): fair lending compares groups of sensitive attributes "
            f"only{hint}",
        )
        return
    if item.bands is None:
        return
    labels = ", ".join(band_labels(item.bands))
    if item.reference != HIGHEST_APPROVAL and band_named(item.reference, item.bands) is None:
        yield (
            (*where, "reference"),
            f"'{item.reference}' is not one of the bands of '{item.attribute}' ({labels}); name "
            f"a band or '{HIGHEST_APPROVAL}'",
        )
    for j, group in enumerate(item.decompose or []):
        if band_named(group, item.bands) is None:
            yield (
                (*where, "decompose", j),
                f"'{group}' is not one of the bands of '{item.attribute}' ({labels})",
            )
