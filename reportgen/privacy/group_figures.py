"""Publishing figures per group of a sensitive attribute: fair lending and calibration.

The groups of one attribute split the evaluation rows like a cohort family and are protected
the same way (:func:`reportgen.privacy.families.plan_family`): a group below the minimum size is
suppressed, further groups are suppressed complementarily so that none can be worked out from
the total, and groups labelled by values from the data (not policy bands) are merged into one
``(other values)`` row, never named. Both results are planned from the same sizes, so they
suppress the same groups. On top of that:

* an adverse impact ratio or a standardized mean difference compares a group with the reference
  group: with the reference suppressed, none is shown (each would give the suppressed group's
  approval rate or mean score away);
* a score-gap decomposition is shown only when both of its groups are published;
* the reliability diagram's bins split the rows like a family of their own, but other results
  publish how many rows lie on each side of the decision cutoff (approvals) and of 0.5 (the
  predicted classes): the bins are therefore protected within each segment between those
  thresholds, against the segment's total, so a suppressed bin cannot be worked out from them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

from reportgen.privacy.families import UNPROTECTABLE, WHOLE_FAMILY, FamilyPlan, plan_family
from reportgen.privacy.suppression import reason
from reportgen.results.credit import (
    AttributeFairness,
    CalibrationFigures,
    CalibrationGroups,
    CalibrationResult,
    FairLendingGroup,
    FairLendingResult,
    ReliabilityBin,
)
from reportgen.results.document import Suppressed

Declared = Callable[[str, list[float] | None], bool]
"""Whether an attribute's group labels are declared (bands, a feature's levels) rather than
values from the data: ``declared(attribute, bands)``."""

RELIABILITY = "calibration: reliability diagram"
REFERENCE_SUPPRESSED = (
    "The reference group is suppressed, so no group is compared with it: no adverse impact ratio "
    "or standardized mean difference is shown."
)
GAP_SUPPRESSED = "The score gap is not decomposed: one of its two groups is suppressed."


def fair_lending_family(attribute: str) -> str:
    """The name a fair-lending attribute's suppressions are listed under."""
    return f"fair lending: {attribute}"


def calibration_family(attribute: str) -> str:
    return f"calibration: {attribute}"


def publish_fair_lending(
    result: FairLendingResult, *, minimum: int, declared: Declared
) -> tuple[FairLendingResult, list[Suppressed]]:
    """The publishable form of ``result`` and what was suppressed in it."""
    attributes, suppressed = [], []
    for item in result.attributes:
        plan = _plan(
            [(g.label, g.size) for g in item.groups], minimum, declared(item.attribute, item.bands)
        )
        family = fair_lending_family(item.attribute)
        suppressed += _listed(plan, family, result.model, minimum)
        attributes.append(_attribute(item, plan, minimum))
    return result.model_copy(update={"attributes": attributes}), suppressed


def _attribute(item: AttributeFairness, plan: FamilyPlan, minimum: int) -> AttributeFairness:
    if plan.withheld:
        return item.model_copy(
            update={"reference": None, "groups": [], "decomposition": None, "notes": [_WITHHELD]}
        )
    figures = {g.label: g for g in item.groups}
    compared = item.reference in plan.published
    groups = [
        _group(figures[label], compared) if label in plan.published else _hidden(label, minimum)
        for label in plan.rows
    ]
    notes = list(item.notes)
    if item.reference is not None and not compared:
        notes.append(REFERENCE_SUPPRESSED)
    decomposition = item.decomposition
    if (
        decomposition is not None
        and not {
            decomposition.group,
            decomposition.compared_with,
        }
        <= plan.published
    ):
        decomposition = None
        notes.append(GAP_SUPPRESSED)
    return item.model_copy(
        update={
            "reference": item.reference if compared else None,
            "groups": groups,
            "decomposition": decomposition,
            "notes": notes,
        }
    )


def _group(group: FairLendingGroup, compared: bool) -> FairLendingGroup:
    if compared:
        return group
    return group.model_copy(
        update={
            "reference": False,
            "adverse_impact_ratio": None,
            "standardized_mean_difference": None,
        }
    )


def _hidden(label: str, minimum: int) -> FairLendingGroup:
    return FairLendingGroup(label=label, size=None, suppressed=reason(minimum))


_WITHHELD = (
    "Every group of this attribute is withheld: with the published total, one of its small "
    "groups could be worked out whatever else is suppressed."
)


def publishable_groups(sizes: Mapping[str, int], minimum: int, declared: bool) -> frozenset[str]:
    """The groups of one attribute this module publishes, given their sizes: what the
    fair-lending analysis chooses its reference group and decomposed pair among."""
    plan = _plan(list(sizes.items()), minimum, declared)
    return frozenset() if plan.withheld else plan.published


def publish_calibration(
    result: CalibrationResult, *, minimum: int, declared: Declared
) -> tuple[CalibrationResult, list[Suppressed]]:
    """The publishable form of ``result`` and what was suppressed in it."""
    bins, suppressed = _reliability(result, minimum)
    attributes = []
    for item in result.attributes:
        plan = _plan(
            [(g.label, g.size) for g in item.groups], minimum, declared(item.attribute, item.bands)
        )
        suppressed += _listed(plan, calibration_family(item.attribute), result.model, minimum)
        attributes.append(_calibration_groups(item, plan, minimum))
    update = {"reliability": bins, "attributes": attributes}
    return result.model_copy(update=update), suppressed


def _calibration_groups(
    item: CalibrationGroups, plan: FamilyPlan, minimum: int
) -> CalibrationGroups:
    figures = {g.label: g for g in item.groups}
    groups = [
        figures[label]
        if label in plan.published
        else CalibrationFigures(label=label, size=None, suppressed=reason(minimum))
        for label in plan.rows
    ]
    return item.model_copy(update={"groups": groups})


def _reliability(
    result: CalibrationResult, minimum: int
) -> tuple[list[ReliabilityBin], list[Suppressed]]:
    """The diagram's bins, protected within each segment between the result's thresholds."""
    cuts = [0.0, *result.thresholds, float("inf")]
    hidden: set[str] = set()
    for low, high in itertools.pairwise(cuts):
        segment = [b for b in result.reliability if low <= b.low < high]
        plan = _plan([(_bin_label(b), b.count) for b in segment], minimum, declared=True)
        if plan.withheld:  # the segment's total is published elsewhere: hide every bin in it
            hidden |= {_bin_label(b) for b in segment if b.count}
        else:
            hidden |= set(plan.suppressed)
    published = [
        ReliabilityBin(low=b.low, high=b.high, count=None, suppressed=reason(minimum))
        if _bin_label(b) in hidden
        else b
        for b in result.reliability
    ]
    suppressed = [
        Suppressed(family=RELIABILITY, model=result.model, cohort=label, reason=reason(minimum))
        for label in (_bin_label(b) for b in result.reliability)
        if label in hidden
    ]
    return published, suppressed


def _bin_label(b: ReliabilityBin) -> str:
    return f"scores {b.low:g}\u2013{b.high:g}"


def _plan(sizes: Sequence[tuple[str, int | None]], minimum: int, declared: bool) -> FamilyPlan:
    counts = {label: int(size or 0) for label, size in sizes}
    return plan_family(counts, total=sum(counts.values()), minimum=minimum, declared=declared)


def _listed(plan: FamilyPlan, family: str, model: str, minimum: int) -> list[Suppressed]:
    if plan.withheld:
        return [Suppressed(family=family, model=model, cohort=WHOLE_FAMILY, reason=UNPROTECTABLE)]
    return [
        Suppressed(family=family, model=model, cohort=label, reason=reason(minimum))
        for label in plan.suppressed
    ]


__all__ = [
    "GAP_SUPPRESSED",
    "REFERENCE_SUPPRESSED",
    "RELIABILITY",
    "calibration_family",
    "fair_lending_family",
    "publish_calibration",
    "publish_fair_lending",
    "publishable_groups",
]
