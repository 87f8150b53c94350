"""Which cohorts of one family are published, and under what label.

A family's labels are either *declared* (band edges from the policy, a feature's levels, the
model's classes) or *values from the data* (a sensitive text column: nationalities, names...).
Declared labels are public: a suppressed cohort still shows its label. A value from the data is
itself personal data when few people hold it, so such a family's cohorts below the minimum size
are merged into one row, ``(other values)``, before suppression: the merged row is protected
like any small cohort (complementary suppression adds the smallest published cohorts to it until
a reader cannot work anything out), and no suppressed value is ever printed, nor how many there
were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reportgen.privacy.suppression import suppress

OTHER_VALUES = "(other values)"
"""The one label of a data-labelled family's suppressed cohorts."""
WHOLE_FAMILY = "all cohorts"
"""The cohort named when a whole family is withheld."""
UNPROTECTABLE = (
    "withheld: with the published total, one of its small cohorts could be worked out whatever "
    "else is suppressed"
)


@dataclass(frozen=True)
class FamilyPlan:
    """What of one family is published.

    ``rows`` are the labels to show, in order (a data-labelled family's suppressed cohorts all
    appear as one ``OTHER_VALUES`` row); ``published`` the cohorts whose figures are shown;
    ``suppressed`` the labels listed as suppressed. ``withheld`` is True when no suppression can
    protect the family against the published total: nothing of it may be shown.
    """

    rows: tuple[str, ...]
    published: frozenset[str]
    suppressed: tuple[str, ...]
    withheld: bool = False


WITHHELD = FamilyPlan((), frozenset(), (), withheld=True)


def plan_family(
    sizes: Mapping[str, int], *, total: int, minimum: int, declared: bool
) -> FamilyPlan:
    """Plan the publication of a family with cohort ``sizes`` out of ``total`` people.

    Args:
        declared: whether the labels are declared by the policy or the model (public), rather
            than values read from the data.
    """
    if declared:
        kept = suppress(sizes, minimum=minimum, total=total)
        if not kept.total_publishable:
            return WITHHELD
        hidden = tuple(label for label in sizes if label in kept.suppressed)
        return FamilyPlan(tuple(sizes), frozenset(kept.published), hidden)
    small = [label for label, n in sizes.items() if 0 < n < minimum]
    merged = {label: n for label, n in sizes.items() if label not in small}
    if small:
        merged[OTHER_VALUES] = sum(sizes[label] for label in small)
    kept = suppress(merged, minimum=minimum, total=total)
    if not kept.total_publishable:
        return WITHHELD
    published = frozenset(label for label in sizes if label in kept.published)
    rows = tuple(dict.fromkeys(label if label in published else OTHER_VALUES for label in sizes))
    return FamilyPlan(rows, published, (OTHER_VALUES,) if OTHER_VALUES in rows else ())
