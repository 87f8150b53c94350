"""The network section: the architecture diagram as inline SVG (one box per layer and the input),
the layer table, the activations and gradients tables."""

from __future__ import annotations

import re

from network_fixture import TYPES, make_network
from render_fixture import META, make_document

from reportgen.render import render_html
from reportgen.render.network import build_network


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
    assert "0 · Linear" in svg.group(0) and ">54<" in svg.group(0)
    body = re.search(r'<table class="data network-layers">.*?</table>', page, re.DOTALL)
    assert body is not None and body.group(0).count("<tr>") == len(TYPES) + 1
    assert page.count('<table class="data network-activations">') == 1
    assert "in the global gradient attributions section" in page
