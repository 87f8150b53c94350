"""The trust section and its echoes (summary, banner, case caveats), tested on the view-model."""

from __future__ import annotations

import io

import pypdf
import pytest
from page_checks import References, external_references
from render_fixture import META, MODEL, make_document
from trust_fixture import BOLD, CHANCE, RELIABLE_GLOBAL, make_checked_document

from reportgen.render import build_view, render_html, render_pdf
from reportgen.render.trust import NO_CHECKS, TRUST_HEADING, code_key, gate_status
from reportgen.render.trust_text import method_label, metric_words
from reportgen.render.trust_views import TrustView
from reportgen.render.viewmodel import FAILED_BANNER
from reportgen.render.views import LocalCasesView, ReportView
from reportgen.results.document import ResultDocument

ALL_PASS = {
    ("C7", "shap"): "pass",
    ("C2", "lime"): "pass",
    ("C6", "shap~lime"): "pass",
    ("C4", "shap"): "pass",
}


def _view(doc: ResultDocument) -> ReportView:
    return build_view(doc, META)


def _trust(view: ReportView) -> TrustView:
    section = view.models[0].sections[0]
    assert isinstance(section, TrustView)
    return section


def _caveats(view: ReportView) -> dict[str, list[str]]:
    local = view.models[0].sections[-1]
    assert isinstance(local, LocalCasesView)
    return {case.case_id: [c.text for c in case.caveats] for case in local.cases}


@pytest.fixture(scope="module")
def checked() -> ReportView:
    return _view(make_checked_document())


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(make_checked_document(), META)


def test_the_trust_section_comes_first_with_verdicts_in_code_order(checked: ReportView) -> None:
    trust = _trust(checked)
    assert trust.heading == TRUST_HEADING
    assert [(v.code, v.method, v.status_word) for v in trust.verdicts] == [
        ("C1", "SHAP", "PASS"),
        ("C2", "SHAP", "PASS"),
        ("C2", "LIME", "WARN"),
        ("C3", "SHAP", "PASS"),
        ("C3", "LIME", "PASS"),
        ("C4", "SHAP", "ERROR"),
        ("C6", "SHAP vs LIME", "FAIL"),
        ("C7", "SHAP", "FAIL"),
    ]
    assert trust.verdicts[2].check == "Rerun stability"
    assert trust.verdicts[2].meaning == "What C2 warn means for lime."
    assert (
        trust.verdicts[2].measured
        == "Measured: C2 measured value for lime. Required: C2 threshold."
    )
    assert [c.code for c in trust.checks] == ["C1", "C2", "C3", "C4", "C6", "C7"]


def test_check_subsections_carry_question_table_and_one_chart(checked: ReportView) -> None:
    checks = {c.code: c for c in _trust(checked).checks}
    rerun = checks["C2"]
    assert rerun.question.startswith("Would the same explanation come out again?")
    assert [(b.label, b.status_word) for b in rerun.badges] == [("SHAP", "PASS"), ("LIME", "WARN")]
    rows = [(r.metric, r.method, r.better, r.tail.split()[0]) for r in rerun.rows]
    assert rows == [
        ("Top-3 overlap between reruns", "SHAP", "higher", "P10"),
        ("", "LIME", "higher", "P10"),
        ("", "Random (control)", "higher", "P10"),
        ("Variation of top-3 attributions (CV)", "LIME", "lower", "P90"),
        ("Top-3 sign agreement between reruns", "LIME", "higher", "P10"),
    ]
    assert [r.control for r in rerun.rows] == [False, False, True, False, False]
    assert rerun.rows[0].median == "1.00" and rerun.rows[0].pass_rate == "100 %"
    assert rerun.rows[0].chance == f"{CHANCE:.2f}" and rerun.rows[3].chance == "\u2014"
    assert rerun.notes == ("KernelSHAP convergence is checked against exact SHAP on 10 rows.",)
    chart = rerun.chart
    assert chart is not None and chart.labels == ("SHAP", "LIME", "Random (control)")
    assert chart.controls == (False, False, True) and chart.chance == (CHANCE,) * 3
    assert chart.x_range == (0.0, 1.0) and not chart.log_scale
    assert chart.axis_label == "Top-3 overlap between reruns (higher is better)"
    assert [len(s) for s in chart.series] == [40, 40, 40]


def test_checks_without_per_instance_values_or_with_an_error_get_no_chart(
    checked: ReportView,
) -> None:
    checks = {c.code: c for c in _trust(checked).checks}
    assert checks["C7"].chart is None and checks["C7"].rows
    assert checks["C4"].chart is None and checks["C4"].rows == ()
    assert checks["C4"].error == (
        "The background-mean substrate predicts 0.97, far from the base rate 0.27."
    )
    completeness = checks["C1"].chart
    assert completeness is not None and completeness.log_scale
    assert min(min(s) for s in completeness.series) >= 1e-16
    assert "\u00d7 10\u207b\u00b9" in checks["C1"].rows[0].median
    assert checks["C6"].chart is not None
    assert checks["C6"].chart.labels == ("SHAP vs LIME", "SHAP vs random (control)")


def test_caveats_appear_on_their_case_only_when_the_gate_did_not_pass(checked: ReportView) -> None:
    assert _caveats(checked) == {
        "case-7f3a": [
            "The top reasons for case case-7f3a change between LIME reruns: do not rely on "
            f"debt_ratio and age {BOLD}; income held."
        ],
        "case-b921": [],  # its C2 caveat is for SHAP, whose gate passed
        "case-04c2": [
            "SHAP and LIME disagree on this case: only debt_ratio and age are cited by both "
            "with the same direction."
        ],
    }
    local = checked.models[0].sections[-1]
    assert isinstance(local, LocalCasesView)
    (caveat,) = local.cases[2].caveats
    assert (caveat.label, caveat.status_word) == (
        "C6 agreement between methods, SHAP vs LIME",
        "FAIL",
    )


def test_caveats_follow_the_gates() -> None:
    passed = _caveats(_view(make_checked_document(ALL_PASS)))
    assert passed == {"case-7f3a": [], "case-b921": [], "case-04c2": []}
    shap_warns = _caveats(_view(make_checked_document({("C2", "shap"): "warn"})))
    assert shap_warns["case-b921"] == [
        "The top reasons for case case-b921 change between SHAP reruns: do not rely on purpose; "
        "income held."
    ]


def test_summary_cites_only_stable_drivers_when_global_stability_fails(
    checked: ReportView,
) -> None:
    text = " ".join(checked.summaries[0].sentences)
    assert (
        "Among the features that hold their place under resampling of the data, income and age "
        "move the probability of class 'bad' most." in text
    )
    assert "suffers most when income or age is shuffled" in text
    assert "debt_ratio" not in text
    assert "do not hold their place under resampling" in text
    assert RELIABLE_GLOBAL == ["income", "age"]
    stable = " ".join(_view(make_checked_document(ALL_PASS)).summaries[0].sentences)
    assert "most are income, debt_ratio and age." in stable


def test_summary_tallies_the_gates_and_links_to_the_section(checked: ReportView) -> None:
    trust = checked.summaries[0].trust
    assert trust.tally == (
        "Explanation checks: 4 checks passed, 1 warned, 2 failed, 1 could not be computed."
    )
    assert trust.alarm is not None and "At least one explanation check failed" in trust.alarm
    assert trust.anchor == f"{checked.models[0].anchor}-trust"
    calm = _view(make_checked_document(ALL_PASS)).summaries[0].trust
    assert calm.tally == "Explanation checks: 8 checks passed." and calm.alarm is None


def test_the_banner_shows_iff_a_gate_failed(checked: ReportView) -> None:
    assert checked.banner == FAILED_BANNER
    assert checked.banner_anchor == "model-1-trust"
    assert _view(make_checked_document(ALL_PASS)).banner is None
    assert _view(make_checked_document({**ALL_PASS, ("C1", "shap"): "error"})).banner is not None
    assert _view(make_document()).banner is None


def test_a_document_without_checks_says_so_in_one_sentence() -> None:
    view = _view(make_document())
    trust = _trust(view)
    assert trust.intro == NO_CHECKS and trust.verdicts == () and trust.checks == ()
    assert NO_CHECKS.count(".") == 1
    assert view.summaries[0].trust.tally == NO_CHECKS
    page = render_html(make_document(), META)
    assert NO_CHECKS in page and 'class="banner"' not in page


def test_the_page_shows_the_trust_section_escaped_and_self_contained(page: str) -> None:
    assert external_references(page) == []
    assert "<b>" not in page and f"age {BOLD}".replace("<", "&lt;").replace(">", "&gt;") in page
    assert page.index('class="banner"') < page.index('id="summary"')
    assert '<a href="#model-1-trust">' in page
    assert page.index("Can these explanations be trusted?</h2>") < page.index(
        "Model performance</h2>"
    )
    assert 'id="model-1-trust-c2"' in page
    assert page.count('<svg class="chart"') == len(
        list(build_view(make_checked_document(), META).charts())
    )
    assert "This check could not be computed." in page
    for word in ("PASS", "WARN", "FAIL", "ERROR"):
        assert f">{word}</span>" in page


def test_the_appendix_lists_each_check(checked: ReportView) -> None:
    analyses = [row.analysis for row in checked.method.costs]
    assert analyses[:3] == [
        "Check C1: completeness",
        "Check C2: rerun stability",
        "Check C3: robustness to small input changes",
    ]
    how = {fact.label: fact.value for fact in checked.method.how}
    assert "P90 when lower is better" in how["Check C2: rerun stability"]
    assert "could not be computed" in how["Check C4: faithfulness to the model"]


def test_gates_are_matched_by_code_model_and_method() -> None:
    gates = make_checked_document().gates
    found = gate_status(gates, "C2", MODEL, "lime")
    assert found is not None and found.status == "warn"
    assert gate_status(gates, "C2", "other_model", "lime") is None
    assert gate_status(gates, "C5", MODEL, "lime") is None
    overall = [g.model_copy(update={"method": None}) for g in gates if g.code == "C2"][:1]
    assert gate_status(overall, "C2", MODEL, "ig") == overall[0]


def test_words_for_metrics_methods_and_codes() -> None:
    assert metric_words("deletion_ratio").lower_is_better
    assert not metric_words("insertion_ratio").lower_is_better
    assert metric_words("some_new_error").lower_is_better
    assert not metric_words("some_new_agreement").lower_is_better
    assert method_label("shap~lime") == "SHAP vs LIME"
    assert method_label("random") == "Random (control)"
    assert sorted(["C10", "C2", "X"], key=code_key) == ["C2", "C10", "X"]


def test_the_pdf_has_the_banner_on_page_one_and_the_trust_section(page: str) -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(page)))
    first = reader.pages[0].extract_text()
    assert "At least one explanation check failed" in first
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "C6 \u00b7 Agreement between methods" in text
    assert "SHAP and LIME disagree on this case" in text


def test_the_checked_page_has_unique_ids(page: str) -> None:
    found = References()
    found.feed(page)
    assert [name for name, count in found.ids.items() if count > 1] == []


def test_gates_and_caveats_stay_with_their_model() -> None:
    base = make_checked_document()
    other = base.models[0].model_copy(update={"name": "challenger"})
    moved = [g.model_copy(update={"model": "challenger"}) for g in base.gates]
    calm = [g.model_copy(update={"status": "pass"}) for g in base.gates]
    doc = base.model_copy(update={"models": [base.models[0], other], "gates": calm + moved})
    view = _view(doc)
    assert view.banner == FAILED_BANNER and view.banner_anchor == "model-2-trust"
    assert view.summaries[0].trust.alarm is None
    assert view.summaries[1].trust.alarm is not None
    assert all(not texts for texts in _caveats(view).values())
    assert "debt_ratio" in " ".join(view.summaries[0].sentences)
    challenger = view.models[1].sections[0]
    assert isinstance(challenger, TrustView) and challenger.checks == ()
    assert [v.status_word for v in challenger.verdicts].count("FAIL") == 2
