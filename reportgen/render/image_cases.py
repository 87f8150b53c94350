"""The individual images of an image model, shown only when the policy opts in.

Built from one :class:`ImageCasesResult`. Each case shows its image in grey beside the same
image with each method's map laid over it (:mod:`reportgen.render.overlay_png`: the map's
colour on the report's one scale, its opacity proportional to the map's value), the
pseudonymous id, the true and predicted class with the probability, and, where a clinician
outlined the finding on the image, each map's relevance mass. The legend is the heat-maps'
own, so one colour means one value throughout the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from reportgen.errors import RenderError
from reportgen.render.cases import join_counts
from reportgen.render.format import fmt_fixed, fmt_num, plural
from reportgen.render.heatmap_png import data_uri, scale_factor
from reportgen.render.heatmaps import METHOD_TITLES, ColourLegend, colour_legend
from reportgen.render.overlay_png import OVERLAY_ALPHA, grey_png, grid_of, overlay_png
from reportgen.render.views import Fact
from reportgen.results.imaging import ImageCase, ImageCasesResult

OPT_IN = (
    "These are patient images. They appear only because this report's policy opts in to "
    "showing individual images (privacy.image_cases); without it a report shows no "
    "patient's image, only mean maps over groups."
)
PSEUDONYMOUS_IDS = (
    "Each image is named by a pseudonymous id (a keyed hash; the key is never published), "
    "not by its record identifier."
)
RECORD_IDS = "Each image is named by the evaluation data's record identifier."
NO_MASK = "No finding is outlined on this image, so no relevance mass is measured."
CORRECT = "classified correctly"
WRONG = "misclassified"


@dataclass(frozen=True)
class CasePicture:
    """The image, or the image with one method's map laid over it."""

    title: str
    """``Image`` for the plain image, else the method: ``Grad-CAM``."""
    image: str
    """A ``data:image/png;base64,...`` URI."""
    width: str
    height: str
    alt: str
    mass: str | None
    """``Relevance mass 0.62`` under an overlay of an image with an outlined finding."""


@dataclass(frozen=True)
class ImageCaseView:
    case_id: str
    anchor: str
    outcome: str
    """``classified correctly`` or ``misclassified``."""
    facts: tuple[Fact, ...]
    """True class, predicted class and the probability of the predicted class."""
    pictures: tuple[CasePicture, ...]
    """The image first, then one overlay per method."""
    mass_note: str | None
    """Why no relevance mass is shown, for an image with no outlined finding."""


@dataclass(frozen=True)
class ImageCasesView:
    kind: Literal["image_cases"]
    template: str
    heading: str
    privacy: tuple[str, ...]
    """The sentences saying these are patient images, shown by opt-in, under which ids."""
    intro: str
    overlay: str
    """How an overlay is drawn, its opacity stated."""
    legend: ColourLegend
    mass_meaning: str | None
    """What relevance mass means, in words; None when no shown image has an outlined finding."""
    cases: tuple[ImageCaseView, ...]


def build_image_cases(
    result: ImageCasesResult,
    anchor: str,
    *,
    pseudonymous: bool,
    localisation_checked: bool,
    heading: str,
    template: str,
) -> ImageCasesView:
    """The individual-images section of one image model; ``anchor`` prefixes its ids.

    ``pseudonymous``: the privacy gate replaced the ids (False only for documents that predate
    the gate); ``localisation_checked``: check C8 ran on the model.

    Raises:
        RenderError: an image or map is not a non-empty grid of finite numbers, or a map's
            shape is not its image's; the message names the case.
        MissingDependencyError: matplotlib is not installed.
    """
    with_mask = any(case.relevance_mass for case in result.cases)
    return ImageCasesView(
        kind="image_cases",
        template=template,
        heading=heading,
        privacy=(OPT_IN, PSEUDONYMOUS_IDS if pseudonymous else RECORD_IDS),
        intro=_intro(result),
        overlay=overlay_sentence(),
        legend=colour_legend(),
        mass_meaning=mass_meaning(localisation_checked) if with_mask else None,
        cases=tuple(
            _case(case, f"{anchor}-image-case-{i}") for i, case in enumerate(result.cases, 1)
        ),
    )


def _intro(result: ImageCasesResult) -> str:
    counts = Counter(case.predicted for case in result.cases)
    return (
        f"{plural(len(result.cases), 'evaluation image')}, drawn per predicted class "
        f"({join_counts(sorted(counts.items()))}). Each is shown in grey as the model saw it "
        "(channels averaged), then with each method's heat-map of its predicted class laid "
        "over it. Each map is divided by its own maximum, so 1 marks that image's strongest "
        "pixels."
    )


def overlay_sentence() -> str:
    """How an overlay is drawn, in words, its opacity stated."""
    percent = round(OVERLAY_ALPHA * 100)
    return (
        "In an overlay each pixel takes the map's colour on the scale below, the same scale as "
        f"every heat-map in this report, with an opacity of {fmt_num(OVERLAY_ALPHA, 1)} times "
        f"the map's value: {percent} % where the map is 1, proportionally less below, and none "
        "where it is 0, so the image shows unchanged where the map finds no positive relevance."
    )


def mass_meaning(localisation_checked: bool) -> str:
    """What the relevance mass under an overlay means."""
    text = (
        "Relevance mass, given under an overlay when a clinician outlined the finding on the "
        "image, is the share of the map's positive relevance that lies inside the outline: 1 "
        "means all of it, 0 none; a map spread evenly over the image would score the "
        "outline's share of the image's area."
    )
    if localisation_checked:
        text += " Check C8 summarises this score over the correctly classified images."
    return text


def _case(case: ImageCase, anchor: str) -> ImageCaseView:
    where = f"image case {case.case_id}"
    pixels = grid_of(case.pixels, f"{where}: the image")
    plain = _picture(
        "Image", grey_png(pixels), pixels, f"Image of case {case.case_id}, true class {case.label}"
    )
    overlays = tuple(_overlay(case, method, pixels) for method in ordered_methods(case.maps))
    return ImageCaseView(
        case_id=case.case_id,
        anchor=anchor,
        outcome=CORRECT if case.predicted == case.label else WRONG,
        facts=(
            Fact("True class", case.label),
            Fact("Predicted class", case.predicted),
            Fact("Probability of the predicted class", fmt_num(case.probability)),
        ),
        pictures=(plain, *overlays),
        mass_note=None if case.relevance_mass else NO_MASK,
    )


def _overlay(case: ImageCase, method: str, pixels: np.ndarray) -> CasePicture:
    title = METHOD_TITLES.get(method, method)
    where = f"image case {case.case_id}, {title} map"
    values = grid_of(case.maps[method], where)
    try:
        png = overlay_png(pixels, values)
    except RenderError as exc:
        raise RenderError(f"{where}: {exc}") from exc
    alt = (
        f"{title} map of case {case.case_id} over its image, explaining the predicted class "
        f"{case.predicted}"
    )
    mass = case.relevance_mass.get(method)
    label = None if mass is None else f"Relevance mass {fmt_fixed(mass, 2)}"
    return _picture(title, png, pixels, alt, mass=label)


def _picture(
    title: str, png: bytes, pixels: np.ndarray, alt: str, *, mass: str | None = None
) -> CasePicture:
    rows, columns = pixels.shape
    factor = scale_factor(rows, columns)
    return CasePicture(
        title=title,
        image=data_uri(png),
        width=str(columns * factor),
        height=str(rows * factor),
        alt=alt,
        mass=mass,
    )


def ordered_methods(methods: Iterable[str]) -> list[str]:
    """The methods in the heat-maps section's order (Grad-CAM, integrated gradients,
    occlusion), any other after them by name: stored dicts come back sorted by key."""
    known = list(METHOD_TITLES)
    return sorted(methods, key=lambda m: (known.index(m) if m in known else len(known), m))


__all__ = [
    "NO_MASK",
    "OPT_IN",
    "PSEUDONYMOUS_IDS",
    "CasePicture",
    "ImageCaseView",
    "ImageCasesView",
    "build_image_cases",
    "mass_meaning",
    "ordered_methods",
    "overlay_sentence",
]
