"""The heat-maps section of an image model: mean maps per group, one colour scale, a caveat.

Built from one :class:`ImageMapsResult`. For each method (Grad-CAM, integrated gradients,
occlusion) the section shows its settings and a grid of the mean maps of every group of every
family (predicted class first, then each cohort family), each an embedded PNG drawn by
:mod:`reportgen.render.heatmap_png` on the scale 0 to 1 shared by every map of the report. A
withheld group shows its label and the reason, never a map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from reportgen.render.format import fmt_int, fmt_num, join_words, plural
from reportgen.render.heatmap_png import (
    TARGET_PX,
    data_uri,
    legend_png,
    map_png,
    scale_factor,
)
from reportgen.render.views import Fact
from reportgen.results.document import Result
from reportgen.results.imaging import ImageMapsResult, MapFamily, MeanMap, MethodMaps

PREDICTED_CLASS = "predicted_class"
"""The ``by`` of the family that splits images by the model's predicted class."""
METHOD_TITLES = {"gradcam": "Grad-CAM", "ig": "Integrated gradients", "occlusion": "Occlusion"}
METHOD_WORDS = {"gradcam": "Grad-CAM", "ig": "integrated gradients", "occlusion": "occlusion"}
"""Method names inside a sentence."""
METHOD_NOUNS = {"gradcam": "Grad-CAM", "ig": "integrated-gradients", "occlusion": "occlusion"}
SETTING_LABELS = {
    "layer": "Layer",
    "upsampling": "Upsampled to the image by",
    "steps": "Integration steps",
    "rule": "Integration rule",
    "baseline": "Baseline",
    "window": "Occluding window",
    "stride": "Stride",
    "fill": "Occluded pixels set to",
}
LEGEND_LOW = "0 = no positive relevance"
LEGEND_HIGH = "1 = the image's strongest"
LEGEND_CAPTION = "One colour scale for every heat-map in this report."
REGIONS = (
    ("top-left corner", "top centre", "top-right corner"),
    ("left side", "centre", "right side"),
    ("bottom-left corner", "bottom centre", "bottom-right corner"),
)
"""The nine regions a map's relevance is located in, by thirds of its height and width."""
FOCUS_DENSITY = 2.0
"""A map is 'concentrated' in a region holding at least this many times its area's share."""
SPREAD = "spread across the image"
BLANK = "blank (no positive relevance)"
CONCENTRATED = "concentrated"


@dataclass(frozen=True)
class MapFigure:
    """One group's mean map, or its label and why it is withheld."""

    group: str
    count: str
    """``212 images``; ``withheld`` for a withheld group."""
    image: str | None
    """The map as a ``data:image/png;base64,...`` URI; None when withheld."""
    width: str
    height: str
    """The image's size in pixels (the withheld box takes the same place)."""
    alt: str
    suppressed: str | None
    """Why the map is withheld, shown in a grey box in its place."""


@dataclass(frozen=True)
class MapFamilyView:
    title: str
    by: str
    """What the images are split by, in words: ``by predicted class``, ``by column site``."""
    figures: tuple[MapFigure, ...]


@dataclass(frozen=True)
class MapMethodView:
    """One method's settings and its grid of mean maps, family by family."""

    method: str
    anchor: str
    title: str
    settings: tuple[Fact, ...]
    finding: str | None
    """Where the method's mean maps per predicted class lie, in words."""
    families: tuple[MapFamilyView, ...]


@dataclass(frozen=True)
class ColourLegend:
    image: str
    """The colour bar, value 0 at the left to 1 at the right, as a ``data:`` URI."""
    low: str
    high: str
    caption: str
    alt: str


@dataclass(frozen=True)
class HeatmapsView:
    kind: Literal["image_maps"]
    template: str
    heading: str
    intro: str
    facts: tuple[Fact, ...]
    legend: ColourLegend
    methods: tuple[MapMethodView, ...]
    caveat_heading: str
    caveats: tuple[str, ...]
    """The plain-words warnings a clinician needs before reading a map."""


def build_heatmaps(
    result: ImageMapsResult,
    anchor: str,
    *,
    min_group_size: int | None,
    localisation_checked: bool,
    heading: str,
    template: str,
) -> HeatmapsView:
    """The heat-maps section of one image model; ``anchor`` prefixes its ids.

    ``min_group_size`` is the privacy gate's minimum cohort size (None for documents that
    predate the gate); ``localisation_checked`` says whether check C8 compared the maps with
    annotated masks.

    Raises:
        RenderError: a stored map is not a non-empty grid of finite numbers.
        MissingDependencyError: matplotlib is not installed.
    """
    return HeatmapsView(
        kind="image_maps",
        template=template,
        heading=heading,
        intro=_intro(result),
        facts=(
            Fact("Images explained", fmt_int(result.images)),
            Fact("Image size", f"{result.height} \u00d7 {result.width} pixels"),
            Fact("Output explained", result.explained),
        ),
        legend=colour_legend(),
        methods=tuple(_method(m, f"{anchor}-maps-{m.method}") for m in result.methods),
        caveat_heading="Reading these maps with care",
        caveats=caveats(min_group_size, localisation_checked=localisation_checked),
    )


def colour_legend() -> ColourLegend:
    """The colour bar shared by every map of the report."""
    return ColourLegend(
        image=data_uri(legend_png()),
        low=LEGEND_LOW,
        high=LEGEND_HIGH,
        caption=LEGEND_CAPTION,
        alt="Colour scale from dark (0, no positive relevance) to bright (1, the image's "
        "strongest relevance)",
    )


def _intro(result: ImageMapsResult) -> str:
    size = f"{result.height} \u00d7 {result.width} pixels"
    return (
        "A heat-map colours each pixel of an image by how much it supports the model's output, "
        f"here {result.explained}. The maps below summarise "
        f"{plural(result.images, 'evaluation image')} of {size}, for each method first per "
        "predicted class, then per cohort. Each image's map keeps only its positive relevance "
        "and is divided by its own maximum, so every image counts the same and 1 marks the "
        "image's strongest pixels; the maps of a group's images are then averaged. Every map "
        "uses the same colour scale, so one colour means one value throughout: a faint mean map "
        "means the group's images do not agree on where the relevance lies."
    )


def caveats(min_group_size: int | None, *, localisation_checked: bool) -> tuple[str, ...]:
    """What a heat-map can and cannot tell a clinician, in plain words."""
    if localisation_checked:
        check = (
            "Check C8 measures exactly this: it compares each image's map with the finding a "
            "clinician outlined on it (see \u2018Can these explanations be trusted?\u2019)."
        )
    else:
        check = (
            "No check in this report compared the maps with findings outlined by a clinician, "
            "so nothing here tests whether they point at the finding."
        )
    if min_group_size is None:
        privacy = "This section shows no patient's image: every map is a mean over a group."
    else:
        privacy = (
            "This section shows no patient's image: every map is the mean of at least "
            f"{plural(min_group_size, 'image')}, and smaller groups are withheld (grey boxes). "
            "An individual image appears in a report only when its policy opts in."
        )
    return (
        "A heat-map shows where the model's output is sensitive, not why the model decided as it "
        "did, and not whether the decision is right.",
        "A map can look plausible and still come from a model that relies on a shortcut, such as "
        f"a marker, a ruler or the scanner, rather than on the finding itself. {check}",
        "Studies of saliency methods found that they localise findings less well than "
        "radiologists do: a map is not a segmentation and not a diagnosis.",
        "A mean map hides how individual images differ: a bright spot may come from a few "
        "images, and a faint map may mean the images disagree on where to look.",
        privacy,
    )


def _method(method: MethodMaps, anchor: str) -> MapMethodView:
    title = METHOD_TITLES.get(method.method, method.method)
    return MapMethodView(
        method=method.method,
        anchor=anchor,
        title=title,
        settings=_settings(method),
        finding=method_finding(method),
        families=tuple(family_view(family, title) for family in method.families),
    )


def _settings(method: MethodMaps) -> tuple[Fact, ...]:
    facts = [
        Fact(SETTING_LABELS.get(key, key.replace("_", " ").capitalize()), value)
        for key, value in method.settings.items()
    ]
    if method.completeness is not None:
        facts.append(Fact("Completeness gap (median)", fmt_num(method.completeness)))
    return tuple(facts)


def family_view(family: MapFamily, title: str) -> MapFamilyView:
    """One family's grid of mean maps (``title`` names the kind of map in the alt texts)."""
    return MapFamilyView(
        title=family.name[:1].upper() + family.name[1:],
        by="by predicted class" if family.by == PREDICTED_CLASS else f"by column {family.by}",
        figures=tuple(_figure(group, family.name, title) for group in family.groups),
    )


def _figure(group: MeanMap, family: str, title: str) -> MapFigure:
    if group.values is None or group.suppressed is not None:
        reason = (group.suppressed or "no images in this group").strip().rstrip(".")
        return MapFigure(
            group=group.group,
            count="withheld",
            image=None,
            width=str(TARGET_PX),
            height=str(TARGET_PX),
            alt=f"{title} map of {family} {group.group} withheld: {reason}",
            suppressed=f"Withheld: {reason}.",
        )
    rows, columns = len(group.values), len(group.values[0]) if group.values else 0
    factor = scale_factor(rows, columns)
    count = plural(group.images or 0, "image")
    return MapFigure(
        group=group.group,
        count=count,
        image=data_uri(map_png(group.values)),
        width=str(columns * factor),
        height=str(rows * factor),
        alt=f"Mean {title} map of {family} {group.group}, {count}",
        suppressed=None,
    )


def focus(values: Sequence[Sequence[float]]) -> str | None:
    """Where a map's relevance lies, in words: the region of the image (a ninth, by thirds of
    height and width) whose share of the relevance is largest against its area, when it holds
    at least :data:`FOCUS_DENSITY` times its area's share; else :data:`SPREAD`; :data:`BLANK`
    for a map with no positive relevance.

    None for a map smaller than 3 x 3 pixels.
    """
    grid = np.clip(np.asarray(values, dtype=np.float64), 0.0, None)
    if grid.ndim != 2 or min(grid.shape) < 3:
        return None
    if grid.sum() <= 0:
        return BLANK
    rows = np.array_split(np.arange(grid.shape[0]), 3)
    columns = np.array_split(np.arange(grid.shape[1]), 3)
    density = np.array(
        [[grid[np.ix_(r, c)].sum() / (len(r) * len(c)) for c in columns] for r in rows]
    )
    density /= grid.mean()
    row, column = np.unravel_index(int(np.argmax(density)), density.shape)
    if density[row, column] < FOCUS_DENSITY:
        return SPREAD
    return f"{CONCENTRATED} in the {REGIONS[row][column]}"


def method_finding(method: MethodMaps) -> str | None:
    """Where the method's mean maps per predicted class lie, in one sentence; None when no
    predicted class has a map to describe."""
    family = next((f for f in method.families if f.by == PREDICTED_CLASS), None)
    if family is None:
        return None
    parts: list[str] = []
    previous = None
    for group in family.groups:
        where = focus(group.values) if group.values is not None else None
        if where is None:
            continue
        said = where
        if (
            previous is not None
            and previous.startswith(CONCENTRATED)
            and where.startswith(CONCENTRATED)
        ):
            said = where.removeprefix(CONCENTRATED).lstrip()  # "... and in the centre"
        parts.append(f"{said} for '{group.group}'")
        previous = where
    if not parts:
        return None
    noun = METHOD_NOUNS.get(method.method, method.method)
    return f"Averaged per predicted class, the {noun} maps are {join_words(parts)}."


def image_maps_of(results: Sequence[Result]) -> ImageMapsResult | None:
    """The model's heat-maps result, if it is an image model that has one."""
    return next((r for r in results if isinstance(r, ImageMapsResult)), None)


__all__ = [
    "ColourLegend",
    "HeatmapsView",
    "MapFamilyView",
    "MapFigure",
    "MapMethodView",
    "build_heatmaps",
    "caveats",
    "colour_legend",
    "family_view",
    "focus",
    "image_maps_of",
    "method_finding",
]
