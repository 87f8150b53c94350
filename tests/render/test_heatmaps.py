"""The heat-maps section and check C8 in the report of an image model (#10).

The view-model is tested as a function of a hand-built :class:`ImageMapsResult`; the templates
render it strictly; the PDF carries the maps as images.
"""

from __future__ import annotations

import base64
import io
import random

import numpy as np
import pypdf
import pytest
from imaging_fixture import (
    C8_IMAGES,
    ESCAPED_SITE,
    IMAGES,
    LAYER,
    MARKED,
    MIN_GROUP,
    MODEL,
    WITHHELD_REASON,
    blob,
    make_image_maps,
    make_imaging_document,
    make_localisation,
)
from page_checks import References, external_references
from PIL import Image
from render_fixture import META

from reportgen.errors import RenderError
from reportgen.render import build_view, render_html, render_pdf
from reportgen.render.heatmap_png import (
    LEGEND_SIZE,
    PNG_PREFIX,
    TARGET_PX,
    colour_of,
    level,
    map_png,
    palette,
    scale_factor,
)
from reportgen.render.heatmaps import (
    BLANK,
    LEGEND_HIGH,
    LEGEND_LOW,
    SPREAD,
    HeatmapsView,
    MapFigure,
    build_heatmaps,
    focus,
    method_finding,
)
from reportgen.render.html import make_environment, render_template
from reportgen.render.method_text import check_text, image_maps_text
from reportgen.render.summary import build_summary
from reportgen.render.trust import build_trust
from reportgen.render.views import PageSection
from reportgen.results.imaging import ImageMapsResult

PNG_LIMIT = 6 * 1024
"""Bytes one embedded map may take (#10: images small)."""


def _view(result: ImageMapsResult | None = None, *, checked: bool = True) -> HeatmapsView:
    return build_heatmaps(
        result or make_image_maps(),
        "model-1",
        min_group_size=MIN_GROUP,
        localisation_checked=checked,
        heading="Heat-maps",
        template="_heatmaps.html",
    )


def _png(uri: str) -> bytes:
    assert uri.startswith(PNG_PREFIX)
    return base64.b64decode(uri[len(PNG_PREFIX) :], validate=True)


def _decoded(uri: str) -> Image.Image:
    image = Image.open(io.BytesIO(_png(uri)))
    image.load()
    return image


def _figures(view: HeatmapsView) -> list[MapFigure]:
    return [f for m in view.methods for family in m.families for f in family.figures]


@pytest.fixture(scope="module")
def view() -> HeatmapsView:
    return _view()


# --- the view-model --------------------------------------------------------------------------


def test_every_method_shows_every_group_of_every_family_in_order(view: HeatmapsView) -> None:
    assert [m.title for m in view.methods] == ["Grad-CAM", "Integrated gradients", "Occlusion"]
    assert [m.anchor for m in view.methods] == [
        "model-1-maps-gradcam",
        "model-1-maps-ig",
        "model-1-maps-occlusion",
    ]
    for method in view.methods:
        assert [(f.title, f.by) for f in method.families] == [
            ("Predicted class", "by predicted class"),
            ("Site", "by column site"),
        ]
        groups = [[fig.group for fig in f.figures] for f in method.families]
        assert groups == [["healthy", "lesion"], ["site A", ESCAPED_SITE, "site C"]]


def test_captions_carry_the_group_and_its_number_of_images(view: HeatmapsView) -> None:
    gradcam = view.methods[0]
    assert [(f.group, f.count) for f in gradcam.families[0].figures] == [
        ("healthy", "180 images"),
        ("lesion", "212 images"),
    ]
    lesion = gradcam.families[0].figures[1]
    assert lesion.alt == "Mean Grad-CAM map of predicted class lesion, 212 images"


def test_a_withheld_group_carries_its_reason_and_no_image(view: HeatmapsView) -> None:
    withheld = [f for f in _figures(view) if f.suppressed is not None]
    assert len(withheld) == 3  # site C, once per method
    for figure in withheld:
        assert figure.group == "site C"
        assert figure.image is None
        assert figure.count == "withheld"
        assert figure.suppressed == f"Withheld: {WITHHELD_REASON}."
        assert (figure.width, figure.height) == (str(TARGET_PX), str(TARGET_PX))
    assert all(f.image is not None for f in _figures(view) if f.suppressed is None)


def test_one_colour_scale_the_same_value_has_the_same_colour_in_every_map(
    view: HeatmapsView,
) -> None:
    """Each map holds 0.5 at its top-left pixel but peaks elsewhere at 0.39 to 1.0: a map
    scaled to its own range would colour 0.5 differently."""
    expected = colour_of(MARKED)
    seen = set()
    for figure in _figures(view):
        if figure.image is not None:
            seen.add(_decoded(figure.image).convert("RGB").getpixel((0, 0)))
    assert seen == {expected}
    assert colour_of(0.0) != colour_of(1.0) and colour_of(0.5) not in (colour_of(0), colour_of(1))
    legend = _decoded(view.legend.image).convert("RGB")
    assert legend.size == LEGEND_SIZE
    assert legend.getpixel((level(MARKED), 5)) == expected
    assert legend.getpixel((0, 0)) == colour_of(0.0)
    assert legend.getpixel((legend.width - 1, 0)) == colour_of(1.0)


def test_each_image_is_a_png_of_the_map_enlarged_by_whole_blocks(view: HeatmapsView) -> None:
    result = make_image_maps()
    stored = [g for m in result.methods for f in m.families for g in f.groups]
    for group, figure in zip(stored, _figures(view), strict=True):
        if group.values is None:
            continue
        assert figure.image is not None
        values = np.asarray(group.values)
        factor = scale_factor(*values.shape)
        image = _decoded(figure.image)
        assert image.format == "PNG" and image.mode == "P"
        assert image.size == (values.shape[1] * factor, values.shape[0] * factor)
        assert (figure.width, figure.height) == (str(image.width), str(image.height))
        levels = np.rint(values * 255).astype(np.uint8)
        enlarged = np.repeat(np.repeat(levels, factor, axis=0), factor, axis=1)
        assert np.array_equal(np.asarray(image), enlarged)
    shapes = {(f.width, f.height) for f in _figures(view) if f.image is not None}
    assert shapes == {("128", "128"), ("128", "96")}  # 32 x 32 and 24 x 32 stored maps


def test_pngs_stay_small_even_for_a_map_of_pure_noise(view: HeatmapsView) -> None:
    sizes = [len(_png(f.image)) for f in _figures(view) if f.image is not None]
    draw = random.Random(10)
    noise = [[draw.random() for _ in range(32)] for _ in range(32)]
    worst = len(map_png(noise))
    legend = len(_png(view.legend.image))
    assert max(sizes) < PNG_LIMIT and worst < PNG_LIMIT and legend < PNG_LIMIT
    assert worst < 3500  # measured 2.85 KB for 32 x 32 uniform noise at 128 px


def test_the_same_map_always_gives_the_same_bytes() -> None:
    values = blob(16, 16, peak=1.0)
    assert map_png(values) == map_png(values)
    assert (
        _view().methods[0].families[0].figures[1].image
        == _view().methods[0].families[0].figures[1].image
    )


def test_bad_map_values_are_refused_in_one_sentence() -> None:
    with pytest.raises(RenderError, match="not a finite number"):
        map_png([[0.1, float("nan")]])
    with pytest.raises(RenderError, match="non-empty 2-D grid"):
        map_png([])
    with pytest.raises(RenderError, match="not a rectangle"):
        map_png([[0.1, 0.2], [0.3]])


def test_values_outside_the_scale_take_its_end_colours() -> None:
    assert level(-0.2) == 0 and level(1.7) == 255 and level(0.5) == 128
    assert len(palette()) == 256


def test_settings_and_the_explained_output_are_named(view: HeatmapsView) -> None:
    settings = {m.method: {f.label: f.value for f in m.settings} for m in view.methods}
    assert settings["gradcam"] == {"Layer": LAYER, "Upsampled to the image by": "bilinear"}
    assert settings["ig"] == {
        "Integration steps": "32",
        "Integration rule": "Gauss-Legendre",
        "Baseline": "the normalised zero image",
        "Completeness gap (median)": "0.00210",
    }
    assert settings["occlusion"] == {
        "Occluding window": "8 x 8 px",
        "Stride": "4 px",
        "Occluded pixels set to": "0 (normalised)",
    }
    facts = {f.label: f.value for f in view.facts}
    assert facts == {
        "Images explained": "392",
        "Image size": "64 \u00d7 64 pixels",
        "Output explained": "the logit of each image's predicted class",
    }


def test_the_legend_says_what_zero_and_one_mean(view: HeatmapsView) -> None:
    assert view.legend.low == LEGEND_LOW == "0 = no positive relevance"
    assert view.legend.high == LEGEND_HIGH == "1 = the image's strongest"


def test_the_caveat_speaks_to_clinicians_and_names_c8(view: HeatmapsView) -> None:
    text = " ".join(view.caveats)
    for words in (
        "where the model's output is sensitive, not why",
        "a marker, a ruler or the scanner",
        "Check C8",
        "localise findings less well than radiologists",
        "mean map hides how individual images differ",
        f"at least {MIN_GROUP} images",
        "only when its policy opts in",
    ):
        assert words in text
    unchecked = " ".join(_view(checked=False).caveats)
    assert "Check C8" not in unchecked and "nothing here tests whether" in unchecked


def test_the_finding_says_where_each_class_map_lies(view: HeatmapsView) -> None:
    assert view.methods[0].finding == (
        "Averaged per predicted class, the Grad-CAM maps are concentrated in the top-left "
        "corner for 'healthy' and in the centre for 'lesion'."
    )


def test_a_blank_class_map_is_said_to_be_blank() -> None:
    result = make_image_maps()
    gradcam = result.methods[0]
    healthy, lesion = gradcam.families[0].groups
    blank = healthy.model_copy(update={"values": [[0.0] * 32 for _ in range(32)]})
    families = [gradcam.families[0].model_copy(update={"groups": [blank, lesion]})]
    method = gradcam.model_copy(update={"families": families})
    assert method_finding(method) == (
        "Averaged per predicted class, the Grad-CAM maps are blank (no positive relevance) for "
        "'healthy' and concentrated in the centre for 'lesion'."
    )


def test_focus_closed_forms() -> None:
    corner = [[1.0 if r > 20 and c > 20 else 0.0 for c in range(30)] for r in range(30)]
    assert focus(corner) == "concentrated in the bottom-right corner"
    assert focus([[0.3] * 9 for _ in range(9)]) == SPREAD
    assert focus([[0.0] * 9 for _ in range(9)]) == BLANK
    assert focus([[1.0, 0.0]]) is None
    # two thirds of the relevance evenly in one ninth: density 6 -> concentrated
    left = [[1.0 if c < 3 and 3 <= r < 6 else 0.0625 for c in range(9)] for r in range(9)]
    assert focus(left) == "concentrated in the left side"


# --- templates, page and PDF -----------------------------------------------------------------


def _section_html(view: HeatmapsView) -> str:
    entry = PageSection(
        anchor="model-1-image_maps", heading=view.heading, template=view.template, section=view
    )
    return render_template(make_environment(), view.template, {"entry": entry, "section": view})


def test_the_section_renders_strictly_with_every_map_and_withheld_box(view: HeatmapsView) -> None:
    html = _section_html(view)
    found = References()
    found.feed(html)
    published = sum(1 for f in _figures(view) if f.image is not None)
    assert found.tags["img"] == published + len(view.methods)  # the maps and a legend each
    assert all(src.startswith(PNG_PREFIX) for src in found.images)
    assert html.count('class="map-withheld"') == 3
    assert html.count(f"Withheld: {WITHHELD_REASON}.") == 3
    assert "site &lt;b&gt;B&lt;/b&gt;" in html and ESCAPED_SITE not in html
    assert LEGEND_LOW in html and "1 = the image&#39;s strongest" in html
    assert 'id="model-1-maps-occlusion"' in html
    assert "212 images" in html and "Reading these maps with care" in html
    assert external_references(html) == []


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(make_imaging_document(), META)


def test_the_image_models_page_is_self_contained_and_orders_its_sections(page: str) -> None:
    assert external_references(page) == []
    headings = ["Can these explanations be trusted?", "Model performance", "Heat-maps"]
    positions = [page.index(f">{h}</h2>") for h in headings]
    assert positions == sorted(positions)
    assert "Global importance" not in page and "Cohorts</h2>" not in page
    assert "<dt>Input</dt><dd>images of 64 \u00d7 64 pixels</dd>" in page


def test_the_pdf_holds_the_maps_as_images(page: str) -> None:
    data = render_pdf(page)
    reader = pypdf.PdfReader(io.BytesIO(data))
    images = [image for p in reader.pages for image in p.images]
    published = sum(1 for f in _figures(_view()) if f.image is not None)
    assert len(images) >= published + 3  # every map and the legend of each method
    sizes = {image.image.size for image in images}
    assert (128, 128) in sizes and (128, 96) in sizes and LEGEND_SIZE in sizes
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Heat-maps" in text and "0 = no positive relevance" in text


# --- C8 in the trust section -----------------------------------------------------------------


def _c8_view():  # type: ignore[no-untyped-def]
    doc = make_imaging_document()
    (check,) = build_trust(
        [make_localisation()], doc.gates, MODEL, "model-1", heading="Trust", template="_trust.html"
    ).checks
    return check


def test_c8_rows_show_each_metric_with_its_chance_and_the_random_control() -> None:
    check = _c8_view()
    assert check.title == "C8 \u00b7 Localisation of the annotated finding"
    assert check.scope.startswith("120 images checked: correctly classified")
    table = [(r.metric, r.method, r.median, r.tail, r.chance, r.control) for r in check.rows]
    assert table[:3] == [
        ("Relevance mass on the finding", "Grad-CAM", "0.41", "P10 0.32", "0.04", False),
        ("", "Occlusion", "0.06", "P10 0.00", "0.04", False),
        ("", "Random (control)", "0.04", "P10 0.00", "0.04", True),
    ]
    rates = [
        r for r in table if r[0] == "Pointing game: hit rate" or (r[0] == "" and r[2].endswith("%"))
    ]
    assert rates == [
        ("Pointing game: hit rate", "Grad-CAM", "91 %", "\u2014", "4 %", False),
        ("", "Occlusion", "13 %", "\u2014", "4 %", False),
        ("", "Random (control)", "4 %", "\u2014", "4 %", True),
    ]
    metrics = [r.metric for r in check.rows if r.metric]
    assert metrics == [
        "Relevance mass on the finding",
        "Pointing game: hit rate",
        "Relevance rank on the finding",
        "AUC of the map against the finding",
    ]
    assert [r.chance for r in check.rows if r.metric.startswith("AUC")] == ["0.50"]
    assert [(b.label, b.status_word) for b in check.badges] == [
        ("Grad-CAM", "PASS"),
        ("Occlusion", "FAIL"),
    ]
    assert "shortcut such as a marker, a ruler" in check.question
    assert check.chart is not None and check.chart.controls == (False, False, True)


def test_c8_renders_in_the_trust_section(page: str) -> None:
    assert "C8 \u00b7 Localisation of the annotated finding" in page
    assert "Pointing game: hit rate" in page and "Random (control)" in page
    assert ">91 %</td>" in page and ">4 %</td>" in page


# --- appendix and summary --------------------------------------------------------------------


def test_the_method_text_names_each_methods_settings() -> None:
    text = image_maps_text(make_image_maps(), 7)
    for words in (
        f"layer {LAYER}",
        "upsampled (bilinear)",
        "32 steps of the Gauss-Legendre rule",
        "from the normalised zero image",
        "a window of 8 x 8 px",
        "stride of 4 px",
        "set to 0 (normalised)",
        "divided by its own maximum",
        "[0, 1]",
        "averaged per group",
        "32 \u00d7 32",
        "minimum cohort size",
        "(seed 7)",
        "0.00210",
    ):
        assert words in text, words
    c8 = check_text(make_localisation(), 7)
    assert "hit rate" in c8 and "0.5 for the AUC" in c8 and "top 0 features" not in c8


def test_an_image_models_summary_speaks_of_images_maps_and_c8() -> None:
    doc = make_imaging_document()
    summary = build_summary(MODEL, doc.models[0], list(doc.results), doc.gates, "model-1")
    text = " ".join(summary.sentences)
    assert summary.sentences[0] == (
        "lesion_cnn is a binary classification model (torch_export) that predicts 'healthy' or "
        "'lesion' from images of 64 \u00d7 64 pixels."
    )
    assert f"On {IMAGES} evaluation images it reaches ROC AUC 0.941 and accuracy 0.885." in text
    assert (
        "concentrated in the top-left corner for 'healthy' and in the centre for 'lesion'" in text
    )
    assert (
        f"Check C8 compared the maps with the finding a clinician outlined on {C8_IMAGES} "
        "correctly classified images: the Grad-CAM maps point at it in 91 % of them, against "
        "4 % by chance (PASS) and the occlusion maps point at it in 13 %, against 4 % by chance "
        "(FAIL)."
    ) in text
    assert "a marker, a ruler or the scanner" in text
    assert "feature" not in text.lower()
    assert summary.estimators == (
        "Grad-CAM (layer features.3), integrated gradients (32 steps, Gauss-Legendre rule, "
        "baseline the normalised zero image) and occlusion (8 x 8 px window, stride 4 px): "
        "mean heat-maps over 392 images",
    )


def test_a_summary_without_c8_or_with_c8_in_error_says_so_plainly() -> None:
    doc = make_imaging_document(with_c8=False)
    summary = build_summary(MODEL, doc.models[0], list(doc.results), doc.gates, "model-1")
    assert not any("C8" in s for s in summary.sentences)
    broken = make_localisation().model_copy(update={"metrics": [], "error": "only 3 images."})
    summary = build_summary(MODEL, doc.models[0], [*doc.results, broken], [], "model-1")
    assert summary.sentences[-1] == (
        "Check C8 could not compare the maps with outlined findings: only 3 images."
    )


def test_the_performance_section_counts_images(page: str) -> None:
    (model,) = build_view(make_imaging_document(), META).models
    performance = next(s for s in model.sections if s.kind == "model_performance")
    assert performance.intro.startswith(f"Measured on {IMAGES} images of the evaluation data.")  # type: ignore[attr-defined]
    assert performance.count_heading == "Images"  # type: ignore[attr-defined]
