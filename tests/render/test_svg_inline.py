"""Chart SVG made lean for the page: the same drawing in fewer nodes, ids that cannot collide."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from render_fixture import META, make_document

from reportgen.errors import RenderError
from reportgen.render import build_view
from reportgen.render.charts import chart_svg
from reportgen.render.svg_inline import inline_svg
from reportgen.render.views import ChartSpec

NS = {"s": "http://www.w3.org/2000/svg"}

# The shapes matplotlib writes: a DOCTYPE, metadata, a style sheet, named groups, a marker path
# drawn by <use>, a clip path, comments and indentation.
MATPLOTLIB_LIKE = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="100pt" height="50pt"
     viewBox="0 0 100 50" xmlns="http://www.w3.org/2000/svg" version="1.1">
 <metadata><rdf>anything</rdf></metadata>
 <defs>
  <style type="text/css">*{stroke-linejoin: round}</style>
 </defs>
 <g id="figure_1">
  <g id="axes_1">
   <!-- a comment -->
   <g id="line2d_1">
    <defs>
     <path id="m1" d="M 0 0 L 0 3.5" style="stroke: #444444; stroke-width: 0.8"/>
    </defs>
    <g>
     <use xlink:href="#m1" x="10" y="20" style="fill: #111111; stroke: #999999"/>
     <use xlink:href="#m1" x="0" y="0" clip-path="url(#p1)"/>
    </g>
   </g>
   <g id="text_1" transform="translate(5 6)">
    <text><tspan x="0">A &amp; B</tspan> <tspan x="9">&lt;c&gt;</tspan></text>
   </g>
   <path d="M 0 0 L 5 5" clip-path="url(#p1)" style="fill: none"/>
  </g>
 </g>
 <defs>
  <clipPath id="p1"><rect x="0" y="0" width="100" height="50"/></clipPath>
  <clipPath id="unused"><rect x="0" y="0" width="1" height="1"/></clipPath>
 </defs>
</svg>
"""


@pytest.fixture(scope="module")
def lean() -> ET.Element:
    return ET.fromstring(inline_svg(MATPLOTLIB_LIKE, "c7", 'Label "quoted" & <tagged>'))


def test_a_marker_use_becomes_its_path_at_the_mark_with_the_markers_own_style_winning(
    lean: ET.Element,
) -> None:
    moved = lean.findall(".//s:path[@transform='translate(10 20)']", NS)
    assert len(moved) == 1
    # The marker sets stroke itself, so the use's stroke loses; fill comes from the use.
    assert moved[0].attrib == {
        "d": "M 0 0 L 0 3.5",
        "fill": "#111111",
        "stroke": "#444444",
        "stroke-width": "0.8",
        "transform": "translate(10 20)",
    }


def test_a_use_with_its_own_clip_stays_a_use_of_the_kept_marker(lean: ET.Element) -> None:
    (use,) = lean.findall(".//s:use", NS)
    assert use.attrib == {"href": "#c7-m1", "x": "0", "y": "0", "clip-path": "url(#c7-p1)"}
    marker = lean.find(".//s:defs/s:path[@id='c7-m1']", NS)
    assert marker is not None and marker.get("stroke") == "#444444"


def test_only_referenced_ids_remain_each_prefixed(lean: ET.Element) -> None:
    ids = sorted(node.get("id") for node in lean.iter() if node.get("id") is not None)
    assert ids == ["c7-m1", "c7-p1"]
    assert lean.find(".//s:clipPath[@id='c7-p1']", NS) is not None
    page = ET.tostring(lean, encoding="unicode")
    assert "unused" not in page and "url(#p1)" not in page


def test_groups_that_only_name_go_and_groups_that_draw_stay(lean: ET.Element) -> None:
    groups = lean.findall(".//s:g", NS)
    assert [g.attrib for g in groups] == [{"transform": "translate(5 6)"}]
    # Everything the named groups held now sits right under the root, in drawing order.
    assert [child.tag.split("}")[1] for child in lean] == [
        "defs",
        "path",
        "use",
        "g",
        "path",
        "defs",
    ]


def test_metadata_style_sheet_comments_and_indentation_go_text_stays(lean: ET.Element) -> None:
    assert lean.find(".//s:metadata", NS) is None and lean.find(".//s:style", NS) is None
    assert all(node.get("style") is None for node in lean.iter())
    text = lean.find(".//s:text", NS)
    # Indentation between absolutely placed spans goes; the spans' own text stays.
    assert text is not None and "".join(text.itertext()) == "A & B<c>"
    for node in lean.iter():
        if node.tag.split("}")[1] not in ("text", "tspan"):
            assert node.text is None and node.tail is None


def test_the_root_names_the_chart_and_carries_the_inherited_stroke(lean: ET.Element) -> None:
    assert lean.get("class") == "chart" and lean.get("role") == "img"
    assert lean.get("aria-label") == 'Label "quoted" & <tagged>'
    assert (lean.get("stroke-linejoin"), lean.get("stroke-linecap")) == ("round", "butt")
    assert (lean.get("viewBox"), lean.get("width")) == ("0 0 100 50", "100pt")


def test_the_markup_is_one_svg_element_without_xml_prologue_or_xlink() -> None:
    markup = inline_svg(MATPLOTLIB_LIKE, "c7", "x")
    assert markup.startswith('<svg class="chart"') and markup.endswith("</svg>")
    assert "<?xml" not in markup and "DOCTYPE" not in markup and "xlink" not in markup
    assert 'aria-label="x"' in markup and "&amp;" in markup and "&lt;c&gt;" in markup


def test_malformed_svg_or_foreign_names_raise_value_error() -> None:
    with pytest.raises(ValueError, match="not well-formed"):
        inline_svg("<svg", "c", "x")
    foreign = '<svg xmlns="http://www.w3.org/2000/svg"><x:a xmlns:x="urn:x"/></svg>'
    with pytest.raises(ValueError, match="outside the SVG namespace"):
        inline_svg(foreign, "c", "x")


def test_a_chart_that_cannot_be_made_lean_raises_render_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = ChartSpec("c", "bars", ("a",), (1.0,), None, "x", "caption")
    monkeypatch.setattr("reportgen.render.charts.inline_svg", lambda *a: inline_svg("<", "c", ""))
    with pytest.raises(RenderError, match="'c' could not be drawn: chart SVG is not well-formed"):
        chart_svg(spec)


def test_real_charts_draw_marks_as_paths_and_every_reference_resolves() -> None:
    for spec in build_view(make_document(), META).charts():
        markup = chart_svg(spec)
        root = ET.fromstring(markup)
        ids = [node.get("id") for node in root.iter() if node.get("id") is not None]
        assert len(ids) == len(set(ids)) and all(i.startswith(f"{spec.id}-") for i in ids)
        references = re.findall(r'(?:href="#|url\(#)([^")]+)', markup)
        assert set(references) <= set(ids)
        assert root.findall(".//s:use", NS) == []
        assert all(set(g.attrib) - {"id"} for g in root.iter(f"{{{NS['s']}}}g"))
        assert root.findall(".//s:path", NS) and root.findall(".//s:text", NS)
