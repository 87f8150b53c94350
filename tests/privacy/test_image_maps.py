"""Issue #10: mean heat-maps are published like cohorts, never a small group's map."""

from __future__ import annotations

from reportgen.privacy.families import OTHER_VALUES
from reportgen.privacy.image_maps import publish_mean_maps
from reportgen.results.document import Cost
from reportgen.results.imaging import ImageMapsResult, MapFamily, MeanMap, MethodMaps

MAP = [[0.5, 1.0], [0.0, 0.25]]


def _result(by: str, sizes: dict[str, int]) -> ImageMapsResult:
    groups = [MeanMap(group=g, images=n, values=MAP) for g, n in sizes.items()]
    family = MapFamily(name="site", by=by, groups=groups)
    methods = [
        MethodMaps(method=m, settings={}, families=[family], seconds=0.0) for m in ("gradcam", "ig")
    ]
    return ImageMapsResult(
        model="cnn",
        images=sum(sizes.values()),
        height=2,
        width=2,
        layer="features.relu3",
        explained="the logit of each image's predicted class",
        methods=methods,
        cost=Cost(model_rows=0, model_calls=0, wall_seconds=0.0, model_seconds=0.0),
    )


def test_a_one_image_site_is_merged_and_never_named() -> None:
    """A data-labelled family (sites read from the index): the site of one image loses its map
    and its name; it and a complementary group appear as '(other values)' without a map."""
    result = _result("site", {"north": 40, "south": 30, "tiny": 1})
    published, withheld = publish_mean_maps(result, minimum=11, banded=lambda _: False)
    for method in published.methods:
        groups = {g.group: g for g in method.families[0].groups}
        assert "tiny" not in groups
        assert groups[OTHER_VALUES].values is None and groups[OTHER_VALUES].images is None
        shown = [g for g in groups.values() if g.values is not None]
        assert all(g.images is not None and g.images >= 11 for g in shown)
    assert "tiny" not in str(published.model_dump()) and "tiny" not in str(withheld)
    assert [(s.family, s.cohort) for s in withheld] == [("mean maps: site", OTHER_VALUES)]


def test_a_declared_family_keeps_its_labels_and_protects_the_small_group() -> None:
    """Predicted classes are public labels: a small class is listed as withheld, and enough
    others are withheld that it cannot be derived from the total."""
    result = _result("predicted_class", {"normal": 50, "lesion": 3, "unclear": 20})
    published, withheld = publish_mean_maps(result, minimum=11, banded=lambda _: False)
    groups = {g.group: g for g in published.methods[0].families[0].groups}
    assert groups["lesion"].values is None and groups["lesion"].suppressed
    hidden = [g for g in groups.values() if g.values is None]
    assert len(hidden) >= 2  # complementary suppression
    assert {s.cohort for s in withheld} == {g.group for g in hidden}
    assert len(withheld) == len(hidden)  # listed once, not once per method
