"""Issue #11: the recourse section says, per declined case, what change flips it, or that none
on the grid does, and how it was found."""

from __future__ import annotations

from privacy_fixture import make_private_document
from recourse_fixture import make_recourse
from render_fixture import META

from reportgen.render import render_html
from reportgen.render.recourse import build_recourse, recourse_text


def test_each_declined_case_reads_as_a_change_or_as_none() -> None:
    view = build_recourse(make_recourse(), heading="Recourse", template="_recourse.html")
    found, stuck = view.cases
    assert [(r.feature, r.current, r.suggested, r.direction) for r in found.rows] == [
        ("credit_amount", "4,000-8,000", "under 2,000", "lower")
    ]
    assert found.verdict == "Approved after the change: P(bad) 0.620 -> 0.410."
    assert not stuck.rows and stuck.verdict.startswith("No change of at most 2 features")
    facts = {f.label: f.value for f in view.facts}
    assert facts["Immutable"] == "credit_history"
    assert facts["One direction only"] == "credit_amount (decrease)"


def test_the_section_renders_strictly_in_the_page() -> None:
    doc = make_private_document(local_cases=True)
    doc = doc.model_copy(update={"results": [*doc.results, make_recourse()]})
    html = render_html(doc, META)
    assert ">Recourse for declined cases</h2>" in html
    assert "under 2,000" in html and "case-9f8e7d6c5b" in html


def test_the_method_text_names_the_grid_and_the_distance() -> None:
    text = recourse_text(make_recourse(), seed=1)
    assert "10 quantiles of the reference data" in text
    assert "median absolute deviations" in text and "at most 2 features" not in text
