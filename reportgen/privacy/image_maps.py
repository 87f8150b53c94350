"""Publishing mean heat-maps and a network's channel maps: each family of groups planned like a
cohort family.

A group's mean map is published only when the group holds at least the minimum cohort size
and cannot be worked out from the family's other groups and its total (complementary
suppression; small groups of a data-labelled family are merged first); a family that cannot be
protected is left out whole. What was withheld is returned for the Privacy section, once per
family (every method's maps split the images the same way).
"""

from __future__ import annotations

from collections.abc import Callable

from reportgen.policy.privacy import PREDICTED_CLASS
from reportgen.privacy.families import UNPROTECTABLE, WHOLE_FAMILY, plan_family
from reportgen.privacy.suppression import reason
from reportgen.results.document import Suppressed
from reportgen.results.imaging import ImageMapsResult, MapFamily, MeanMap
from reportgen.results.network import ChannelMap, NetworkResult


def publish_mean_maps(
    result: ImageMapsResult, *, minimum: int, banded: Callable[[str], bool]
) -> tuple[ImageMapsResult, list[Suppressed]]:
    """The publishable form of ``result`` and the groups withheld.

    Args:
        minimum: the policy's minimum cohort size.
        banded: whether a column's groups are bands the policy declares (public labels).
    """
    withheld: list[Suppressed] = []
    methods = []
    for number, method in enumerate(result.methods):
        families = []
        for family in method.families:
            plan = plan_family(
                {g.group: g.images or 0 for g in family.groups},
                total=result.images,
                minimum=minimum,
                declared=family.by == PREDICTED_CLASS or banded(family.by),
            )
            name = f"mean maps: {family.name}"
            if plan.withheld:
                if number == 0:
                    withheld.append(_suppressed(name, result.model, WHOLE_FAMILY, UNPROTECTABLE))
                continue
            groups = {g.group: g for g in family.groups}
            shown = [
                groups[label]
                if label in plan.published
                else MeanMap(group=label, images=None, suppressed=reason(minimum))
                for label in plan.rows
            ]
            if number == 0:
                withheld += [
                    _suppressed(name, result.model, label, reason(minimum))
                    for label in plan.suppressed
                ]
            families.append(MapFamily(name=family.name, by=family.by, groups=shown))
        methods.append(method.model_copy(update={"families": families}))
    return result.model_copy(update={"methods": methods}), withheld


def publish_channel_maps(
    result: NetworkResult, *, minimum: int
) -> tuple[NetworkResult, list[Suppressed]]:
    """The publishable form of a network result (its channel maps per predicted class, a
    declared family) and the classes withheld."""
    maps = result.channel_maps
    if maps is None:
        return result, []
    plan = plan_family(
        {g.group: g.images or 0 for g in maps.groups},
        total=maps.images,
        minimum=minimum,
        declared=True,
    )
    name = f"channel maps: {maps.layer}"
    if plan.withheld:
        groups = [
            ChannelMap(group=g.group, images=None, suppressed=UNPROTECTABLE) for g in maps.groups
        ]
        withheld = [_suppressed(name, result.model, WHOLE_FAMILY, UNPROTECTABLE)]
    else:
        by_label = {g.group: g for g in maps.groups}
        groups = [
            by_label[label]
            if label in plan.published
            else ChannelMap(group=label, images=None, suppressed=reason(minimum))
            for label in plan.rows
        ]
        withheld = [
            _suppressed(name, result.model, label, reason(minimum)) for label in plan.suppressed
        ]
    published = maps.model_copy(update={"groups": groups})
    return result.model_copy(update={"channel_maps": published}), withheld


def _suppressed(family: str, model: str, cohort: str, why: str) -> Suppressed:
    return Suppressed(family=family, model=model, cohort=cohort, reason=why)
