"""The edits section: one drift table per edit with its gate's verdict, and the sentence naming
the edits that are safe to deploy."""

from __future__ import annotations

from edits_fixture import edits_gates, make_edits
from render_fixture import META, make_document

from reportgen.render import render_html
from reportgen.render.edits import build_edits, safe_sentence


def test_the_sentence_names_the_safe_and_the_unsafe_edits() -> None:
    result, gates = make_edits(), edits_gates()
    assert [g.status for g in gates] == ["fail", "pass"]
    verdicts = {g.method: g for g in gates}
    assert safe_sentence(result, verdicts) == (
        "Under this policy's limits, int8 weights is safe to deploy; 80% pruning is not."
    )
    assert safe_sentence(result, {}) == (
        "Under this policy's limits, no edit is safe to deploy (80% pruning and int8 weights)."
    )


def test_each_edit_gets_a_drift_table_and_its_verdict() -> None:
    view = build_edits(make_edits(), edits_gates(), heading="Edits", template="_edits.html")
    pruning, int8 = view.edits
    assert [e.title for e in view.edits] == ["80% pruning", "int8 weights"]
    assert pruning.verdict is not None and pruning.verdict.status == "fail"
    assert int8.verdict is not None and int8.verdict.status == "pass"
    rows = {r.measure: r for r in pruning.rows}
    assert (rows["ROC AUC"].released, rows["ROC AUC"].edited) == ("0.764", "0.751")
    assert rows["ROC AUC"].change == "\u22120.013" or rows["ROC AUC"].change == "-0.013"
    assert rows["Flipped decisions"].edited == "38 of 300"
    assert rows["Flipped decisions"].change == "12.7%"
    assert rows["Audit cases whose leading reason changes"].change == "2 of 12"
    assert "1,818 of the 2,272 weights" in pruning.what
    assert "importance Spearman 0.82 < 0.9" in pruning.verdict.meaning


def test_the_report_shows_the_section_with_both_tables() -> None:
    doc = make_document()
    doc = doc.model_copy(
        update={"results": [*doc.results, make_edits()], "gates": [*doc.gates, *edits_gates()]}
    )
    page = render_html(doc, META)
    assert ">Edits for deployment</h2>" in page
    assert page.count('<table class="data edit-drift">') == 2
    assert "int8 weights is safe to deploy; 80% pruning is not." in page
