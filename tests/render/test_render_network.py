"""The network section: the architecture diagram as inline SVG (one box per layer and the input),
the layer table, the activations and gradients tables."""

from __future__ import annotations

import re

from network_fixture import TYPES, make_network
from render_fixture import META, make_document

from reportgen.render import render_html
from reportgen.render.network import build_network
from reportgen.render.network_svg import BOX_H, BOX_W, FIT, architecture_svg
from reportgen.results.network import ChannelMap, ChannelMaps, NetworkResult


def test_the_view_reads_dead_units_and_drift() -> None:
    view = build_network(make_network(), heading="Inside the network", template="_network.html")
    relu, tanh = view.activations
    assert (relu.dead, relu.saturated, relu.psi, relu.drift) == (
        "1 (15)",
        "n/a",
        "0.045 (0.103)",
        "small",
    )
    assert (tanh.dead, tanh.saturated, tanh.drift) == ("n/a", "none", "large")
    assert view.quantile_labels == "5% / 25% / 50% / 75% / 95%"
    assert [f.value for f in view.facts] == ["7", "1,760", "1,760", "3,456"]


def test_the_report_shows_the_diagram_and_the_tables() -> None:
    doc = make_document()
    doc = doc.model_copy(update={"results": [*doc.results, make_network()]})
    page = render_html(doc, META)
    assert ">Inside the network</h2>" in page
    svg = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" class="architecture".*?</svg>', page)
    assert svg is not None
    assert svg.group(0).count("<rect") == len(TYPES) + 1  # the input and each layer
    assert ">0</text>" in svg.group(0) and ">Linear</text>" in svg.group(0)
    assert ">54<" in svg.group(0)
    body = re.search(r'<table class="data network-layers">.*?</table>', page, re.DOTALL)
    assert body is not None and body.group(0).count("<tr>") == len(TYPES) + 1
    assert page.count('<table class="data network-activations">') == 1
    assert "in the global gradient attributions section" in page


def test_long_layer_names_keep_their_end_and_rows_join_below_the_boxes() -> None:
    layers = [
        row.model_copy(update={"name": f"blocks.{i}.feed.0.linear_{i}"})
        for i, row in enumerate(make_network().layers)
    ]
    svg = str(architecture_svg([20], layers))
    texts = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    assert max(len(t) for t in texts) <= FIT
    assert (
        "\u2026s.0.feed.0.linear_0" in texts
    )  # the last 19 characters of 'blocks.0.feed.0.linear_0'
    assert "<title>blocks.0.feed.0.linear_0</title>" in svg  # in full on hover
    # a line's last box joins the next line's first through the gap between the lines
    boxes = [tuple(map(float, m)) for m in re.findall(r'<rect x="([\d.]+)" y="([\d.]+)"', svg)]
    for points in re.findall(r'<polyline points="([^"]+)" fill="none"', svg):
        for px, py in (map(float, p.split(",")) for p in points.split()):
            inside = [b for b in boxes if b[0] < px < b[0] + BOX_W and b[1] < py < b[1] + BOX_H]
            assert not inside, (px, py)


def test_layer_names_break_after_a_dot_not_inside_a_word() -> None:
    doc = make_document()
    layers = [row.model_copy(update={"name": "features.conv1"}) for row in make_network().layers]
    network = make_network().model_copy(update={"layers": layers})
    page = render_html(doc.model_copy(update={"results": [*doc.results, network]}), META)
    assert "<td>features.<wbr>conv1</td>" in page


def _image_network() -> NetworkResult:
    maps = ChannelMaps(
        layer="features.relu3",
        by="predicted_class",
        channels=32,
        images=40,
        groups=[
            ChannelMap(group="normal", images=30, values=[[0.0, 1.0], [2.0, 4.0]]),
            ChannelMap(group="lesion", images=None, suppressed="fewer than 11 people"),
        ],
    )
    return make_network().model_copy(update={"data": "images", "channel_maps": maps})


def test_channel_maps_share_one_scale_and_a_withheld_class_shows_its_reason() -> None:
    view = build_network(_image_network(), heading="Inside the network", template="_network.html")
    assert view.row == "image" and "Gradients with respect to the pixels" in view.gradient_x_input
    maps = view.channel_maps
    assert maps is not None and (maps.legend.low, maps.legend.high) == ("0", "4.00")
    normal, lesion = maps.family.figures
    assert normal.image is not None and normal.count == "30 images"
    assert (lesion.image, lesion.suppressed) == (None, "Withheld: fewer than 11 people.")
    page = render_html(
        make_document().model_copy(
            update={"results": [*make_document().results, _image_network()]}
        ),
        META,
    )
    assert "Mean channel activation maps" in page and "Operations per image" in page
    assert 'alt="Mean channel activation map of predicted class normal, 30 images"' in page
    assert "Withheld: fewer than 11 people." in page
