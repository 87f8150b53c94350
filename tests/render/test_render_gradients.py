"""The global gradient attributions section: ranked by mean |IG|, both methods in its table."""

from __future__ import annotations

import pytest
from gradients_fixture import make_global_gradients
from page_checks import external_references
from render_fixture import META, make_document

from reportgen.render import build_view, render_html
from reportgen.render.gradients import GlobalGradientsView


@pytest.fixture(scope="module")
def doc():
    base = make_document()
    return base.model_copy(update={"results": [*base.results, make_global_gradients()]})


def test_the_section_ranks_by_ig_and_lists_gradient_x_input_beside_it(doc) -> None:
    sections = build_view(doc, META).models[0].sections
    kinds = [s.kind for s in sections]
    assert kinds.index("global_shap") < kinds.index("global_gradients")
    assert kinds.index("global_gradients") < kinds.index("permutation_importance")
    view = sections[kinds.index("global_gradients")]
    assert isinstance(view, GlobalGradientsView)
    assert [(r.rank, r.feature, r.ig, r.gradient_x_input) for r in view.rows] == [
        (1, "checking_account", "0.211", "0.150"),
        (2, "duration", "0.087", "0.311"),
        (3, "purpose", "0.004", "0.021"),
    ]
    assert view.chart.labels == ("checking_account", "duration", "purpose")
    assert view.chart.values == (0.2114, 0.0871, 0.00412)
    facts = {fact.label: fact.value for fact in view.facts}
    assert facts["Rows attributed"] == "1,000,000"
    assert facts["Rows within the completeness tolerance (0.0500)"] == "99.9%"
    assert "every evaluation row" in view.intro


def test_the_page_shows_the_section_and_its_method_note(doc) -> None:
    page = render_html(doc, META)
    assert "Global importance: gradients" in page
    assert '<th class="num">Mean |gradient x input|</th>' in page
    assert "Integrated gradients (Gauss-Legendre rule, 32 steps" in page
    assert external_references(page) == []
