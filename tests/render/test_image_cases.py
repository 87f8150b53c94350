"""Individual images with their heat-map overlays, shown only on the policy's opt-in, and no
tabular audit-cases section for an image model (#10).

The view-model is tested as a function of a hand-built :class:`ImageCasesResult` whose pixels
and map values are known, so each overlay pixel has a closed-form colour; the template renders
it strictly; the PDF carries every image.
"""

from __future__ import annotations

import base64
import io
import random

import numpy as np
import pypdf
import pytest
from image_cases_fixture import (
    HALF,
    HEALTHY_ID,
    LESION_ID,
    MASSES,
    METHODS,
    PEAK,
    SIZE,
    ZERO,
    make_image_cases,
)
from imaging_fixture import MODEL, make_imaging_document
from page_checks import References, external_references
from PIL import Image
from privacy_fixture import make_private_document
from render_fixture import META

from reportgen.errors import RenderError
from reportgen.render import build_view, render_html, render_pdf
from reportgen.render.heatmap_png import PNG_PREFIX, TARGET_PX, palette
from reportgen.render.html import make_environment, render_template
from reportgen.render.image_cases import (
    NO_MASK,
    OPT_IN,
    PSEUDONYMOUS_IDS,
    ImageCasesView,
    build_image_cases,
    ordered_methods,
)
from reportgen.render.method_text import image_cases_text
from reportgen.render.overlay_png import OVERLAY_ALPHA, grey_png, grid_of, overlay_png
from reportgen.render.privacy import CASES_WITHHELD
from reportgen.render.views import PageSection
from reportgen.results.document import ResultDocument
from reportgen.results.imaging import ImageCasesResult

HEADING = "Individual images (shown by policy opt-in)"
FACTOR = TARGET_PX // SIZE
GREY_LIMIT = 5 * 1024
OVERLAY_LIMIT = 10 * 1024
"""Bytes one embedded image or overlay of the fixture may take (#10: images small). Measured on
the imaging example's 64 x 64 scans at 128 px: the grey image 3.4 to 3.8 KB, an overlay 5.5 to
6.5 KB for a smooth map, about 10 KB for a speckled one."""


def _view(
    result: ImageCasesResult | None = None, *, pseudonymous: bool = True, checked: bool = True
) -> ImageCasesView:
    return build_image_cases(
        result or make_image_cases(),
        "model-1",
        pseudonymous=pseudonymous,
        localisation_checked=checked,
        heading=HEADING,
        template="_image_cases.html",
    )


def _png(uri: str) -> bytes:
    assert uri.startswith(PNG_PREFIX)
    return base64.b64decode(uri[len(PNG_PREFIX) :], validate=True)


def _decoded(uri: str) -> Image.Image:
    image = Image.open(io.BytesIO(_png(uri)))
    image.load()
    return image


def _grey_byte(value: float) -> int:
    return int(np.rint(value * 255))


@pytest.fixture(scope="module")
def view() -> ImageCasesView:
    return _view()


# --- the view-model --------------------------------------------------------------------------


def test_each_case_shows_its_id_classes_probability_and_outcome(view: ImageCasesView) -> None:
    assert [(c.case_id, c.outcome) for c in view.cases] == [
        (LESION_ID, "classified correctly"),
        (HEALTHY_ID, "misclassified"),
    ]
    assert [c.anchor for c in view.cases] == ["model-1-image-case-1", "model-1-image-case-2"]
    assert [{f.label: f.value for f in c.facts} for c in view.cases] == [
        {
            "True class": "lesion",
            "Predicted class": "lesion",
            "Probability of the predicted class": "0.931",
        },
        {
            "True class": "healthy",
            "Predicted class": "lesion",
            "Probability of the predicted class": "0.581",
        },
    ]


def test_the_image_comes_first_then_one_overlay_per_method_in_the_heatmaps_order(
    view: ImageCasesView,
) -> None:
    for case in view.cases:
        assert [p.title for p in case.pictures] == [
            "Image",
            "Grad-CAM",
            "Integrated gradients",
            "Occlusion",
        ]
    lesion = view.cases[0]
    assert lesion.pictures[0].alt == f"Image of case {LESION_ID}, true class lesion"
    assert lesion.pictures[1].alt == (
        f"Grad-CAM map of case {LESION_ID} over its image, explaining the predicted class lesion"
    )
    assert ordered_methods(["occlusion", "zeta", "ig", "alpha", "gradcam"]) == [
        "gradcam",
        "ig",
        "occlusion",
        "alpha",
        "zeta",
    ]


def test_relevance_mass_only_under_the_overlays_of_an_image_with_an_outline(
    view: ImageCasesView,
) -> None:
    lesion, healthy = view.cases
    assert [p.mass for p in lesion.pictures] == [
        None,
        "Relevance mass 0.62",
        "Relevance mass 0.41",
        "Relevance mass 0.08",
    ]
    assert lesion.mass_note is None
    assert [p.mass for p in healthy.pictures] == [None] * 4
    assert healthy.mass_note == NO_MASK
    assert MASSES["gradcam"] == 0.6213  # shown to two decimals, as C8 shows it
    assert view.mass_meaning is not None
    for words in ("share of the map's positive relevance", "inside the outline", "Check C8"):
        assert words in view.mass_meaning
    assert "Check C8" not in (_view(checked=False).mass_meaning or "")


def test_no_mass_meaning_when_no_shown_image_has_an_outline() -> None:
    result = make_image_cases()
    bare = [c.model_copy(update={"relevance_mass": {}}) for c in result.cases]
    view = _view(result.model_copy(update={"cases": bare}))
    assert view.mass_meaning is None
    assert all(c.mass_note == NO_MASK for c in view.cases)


def test_the_section_says_these_are_patient_images_shown_by_opt_in(view: ImageCasesView) -> None:
    assert view.privacy == (OPT_IN, PSEUDONYMOUS_IDS)
    assert "patient images" in OPT_IN and "(privacy.image_cases)" in OPT_IN
    assert "pseudonymous id" in PSEUDONYMOUS_IDS
    assert _view(pseudonymous=False).privacy[1] == (
        "Each image is named by the evaluation data's record identifier."
    )
    assert view.intro.startswith("2 evaluation images, drawn per predicted class (2 'lesion').")
    assert "opacity of 0.6 times the map's value: 60 % where the map is 1" in view.overlay
    assert view.legend.low == "0 = no positive relevance"


def test_every_png_is_valid_and_enlarged_by_whole_blocks(view: ImageCasesView) -> None:
    result = make_image_cases()
    for case, stored in zip(view.cases, result.cases, strict=True):
        for picture in case.pictures:
            image = _decoded(picture.image)
            assert image.format == "PNG"
            assert image.size == (SIZE * FACTOR, SIZE * FACTOR) == (128, 128)
            assert (picture.width, picture.height) == ("128", "128")
        grey = _decoded(case.pictures[0].image)
        assert grey.mode == "L"
        levels = np.rint(np.asarray(stored.pixels) * 255).astype(np.uint8)
        enlarged = np.repeat(np.repeat(levels, FACTOR, axis=0), FACTOR, axis=1)
        assert np.array_equal(np.asarray(grey), enlarged)
        for overlay in case.pictures[1:]:
            rgb = np.asarray(_decoded(overlay.image).convert("RGB"))
            assert rgb.shape == (128, 128, 3)
            blocks = rgb.reshape(SIZE, FACTOR, SIZE, FACTOR, 3)
            assert (blocks == blocks[:, :1, :, :1, :]).all()  # each pixel a 2 x 2 block


def _overlay_pixel(uri: str, row: int, column: int) -> tuple[int, ...]:
    rgb = np.asarray(_decoded(uri).convert("RGB"))
    block = rgb[row * FACTOR : (row + 1) * FACTOR, column * FACTOR : (column + 1) * FACTOR]
    assert (block == block[0, 0]).all()
    return tuple(int(channel) for channel in block[0, 0])


def test_overlay_colour_follows_its_rule_exactly(view: ImageCasesView) -> None:
    """shown = (1 - a m) grey + a m colour(m), a = 0.6, rounded: the plain grey where the map
    is 0, the scale's brightest colour at opacity a where it is 1."""
    result = make_image_cases()
    lesion = result.cases[0]
    for picture, method in zip(view.cases[0].pictures[1:], METHODS, strict=True):
        values = lesion.maps[method]
        assert values[PEAK[0]][PEAK[1]] == 1.0 and values[ZERO[0]][ZERO[1]] == 0.0
        g = _grey_byte(lesion.pixels[PEAK[0]][PEAK[1]])
        top = palette()[255]
        expected = tuple(int(np.rint((1 - OVERLAY_ALPHA) * g + OVERLAY_ALPHA * c)) for c in top)
        assert _overlay_pixel(picture.image, *PEAK) == expected
        assert expected != (g, g, g)
        g0 = _grey_byte(lesion.pixels[ZERO[0]][ZERO[1]])
        assert _overlay_pixel(picture.image, *ZERO) == (g0, g0, g0)
    gradcam = view.cases[0].pictures[1]
    g = _grey_byte(lesion.pixels[HALF[0]][HALF[1]])
    opacity = OVERLAY_ALPHA * 128 / 255  # 0.5 is level 128 of the scale's 256
    half = tuple(int(np.rint((1 - opacity) * g + opacity * c)) for c in palette()[128])
    assert _overlay_pixel(gradcam.image, *HALF) == half


def test_pngs_stay_small_even_for_a_map_of_pure_noise(view: ImageCasesView) -> None:
    grey = [len(_png(c.pictures[0].image)) for c in view.cases]
    overlays = [len(_png(p.image)) for c in view.cases for p in c.pictures[1:]]
    assert max(grey) < GREY_LIMIT and max(overlays) < OVERLAY_LIMIT
    draw = random.Random(10)
    noise = grid_of([[draw.random() for _ in range(SIZE)] for _ in range(SIZE)], "noise")
    worst = len(overlay_png(noise, noise))
    assert worst < 2 * OVERLAY_LIMIT  # measured 14 KB for a 64 x 64 noise map over a scan


def test_the_same_case_always_gives_the_same_bytes() -> None:
    assert _view().cases[0].pictures == _view().cases[0].pictures


def test_bad_images_and_maps_are_refused_naming_the_case() -> None:
    result = make_image_cases()
    lesion = result.cases[0]
    broken = lesion.model_copy(update={"pixels": [[0.1, float("nan")]]})
    with pytest.raises(RenderError, match=f"^image case {LESION_ID}: the image: .*finite number"):
        _view(result.model_copy(update={"cases": [broken]}))
    small = {**lesion.maps, "ig": [[0.0] * 32 for _ in range(32)]}
    wrong = lesion.model_copy(update={"maps": small})
    message = (
        f"^image case {LESION_ID}, Integrated gradients map: a map of 32 x 32 pixels cannot be "
        "laid over an image of 64 x 64$"
    )
    with pytest.raises(RenderError, match=message):
        _view(result.model_copy(update={"cases": [wrong]}))
    with pytest.raises(RenderError, match="not a rectangle"):
        grey_png(grid_of([[0.1, 0.2], [0.3]], "x"))


def test_the_method_text_says_how_images_and_overlays_are_drawn() -> None:
    text = image_cases_text(make_image_cases(), 7)
    for words in (
        "2 images drawn per predicted class (2 'lesion') with seed 7",
        "channels averaged",
        "divided by its own maximum",
        "('magma') with an opacity of 0.6 times its value",
        "about 128 pixels by repeating each pixel",
        "share of the map's positive relevance inside the outline",
        "(privacy.image_cases)",
        "pseudonyms",
    ):
        assert words in text, words


# --- templates, page and PDF -----------------------------------------------------------------


def test_the_section_renders_strictly_with_every_image(view: ImageCasesView) -> None:
    escaped = make_image_cases()
    cases = [escaped.cases[0].model_copy(update={"case_id": "pz-<b>1</b>"}), escaped.cases[1]]
    marked = _view(escaped.model_copy(update={"cases": cases}))
    entry = PageSection(
        anchor="model-1-image_cases", heading=marked.heading, template=marked.template
    )
    html = render_template(make_environment(), marked.template, {"entry": entry, "section": marked})
    found = References()
    found.feed(html)
    assert found.tags["img"] == 1 + 2 * 4  # the legend, then image and 3 overlays per case
    assert all(src.startswith(PNG_PREFIX) for src in found.images)
    assert "pz-&lt;b&gt;1&lt;/b&gt;" in html and "pz-<b>1</b>" not in html
    assert OPT_IN.replace("'", "&#39;") in html
    assert "Relevance mass 0.62" in html and NO_MASK in html
    assert 'id="model-1-image-case-2"' in html and "misclassified" in html
    assert external_references(html) == []


def _with_cases(doc: ResultDocument) -> ResultDocument:
    return doc.model_copy(update={"results": [*doc.results, make_image_cases()]})


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(_with_cases(make_imaging_document()), META)


def test_the_cases_follow_the_heatmaps_and_the_page_stays_self_contained(page: str) -> None:
    assert external_references(page) == []
    headings = ["Model performance", "Heat-maps", HEADING]
    positions = [page.index(f">{h}</h2>") for h in headings]
    assert positions == sorted(positions)
    assert page.count(PNG_PREFIX) >= 1 + 2 * 4
    view = build_view(_with_cases(make_imaging_document()), META)
    how = {fact.label: fact.value for fact in view.method.how}
    assert "(privacy.image_cases)" in how[HEADING]


def test_the_pdf_holds_every_case_image(page: str, view: ImageCasesView) -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(page)))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Individual images" in text and LESION_ID in text and "Relevance mass 0.62" in text
    held = set()
    for pdf_page in reader.pages:
        for embedded in pdf_page.images:
            image = embedded.image
            if image is not None:
                held.add((image.mode, image.size, image.tobytes()))
    for case in view.cases:
        grey, *overlays = (_decoded(p.image) for p in case.pictures)
        assert (grey.mode, grey.size, grey.tobytes()) in held
        for overlay in overlays:
            assert ("RGB", overlay.size, overlay.convert("RGB").tobytes()) in held


# --- no tabular audit cases for an image model ------------------------------------------------


def test_an_image_model_has_no_audit_cases_section_even_when_cases_are_off() -> None:
    doc = make_imaging_document()
    assert doc.privacy is not None and not doc.privacy.local_cases
    (model,) = build_view(doc, META).models
    assert model.name == MODEL
    assert "local_explanations" not in [s.kind for s in model.sections]
    assert [s.kind for s in model.sections][-2:] == ["model_performance", "image_maps"]
    page = render_html(doc, META)
    assert "Audit cases" not in page


def test_a_tabular_model_still_says_its_audit_cases_are_withheld() -> None:
    doc = make_private_document(local_cases=False)
    sections = build_view(doc, META).models[0].sections
    assert sections[-1].kind == "local_explanations"
    assert sections[-1].heading == "Audit cases"
    assert f">{CASES_WITHHELD}</p>" in render_html(doc, META)
