"""Cohorts, the privacy section and withheld audit cases, tested on the view-model and the page."""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from page_checks import References, external_references
from privacy_fixture import (
    BOLD_LABEL,
    HIDDEN,
    REASON,
    RULES,
    make_private_document,
)
from render_fixture import META, make_document

from reportgen.render import build_view, render_html, render_pdf
from reportgen.render.cases import PSEUDONYMOUS, RECORD_IDS
from reportgen.render.cohorts import INTERVAL_NOTE, NOISE_NOTE, fmt_interval, fmt_size
from reportgen.render.privacy import CASES_WITHHELD, DP_OFF, NOTHING_SUPPRESSED, PREDATES
from reportgen.render.privacy_views import CohortFamilyView, CohortsView, WithheldCasesView
from reportgen.render.views import LocalCasesView, ReportView
from reportgen.results.document import MetricWithInterval, ResultDocument

MINUS = "\u2212"


def _view(doc: ResultDocument) -> ReportView:
    return build_view(doc, META)


def _cohorts(view: ReportView) -> CohortsView:
    (section,) = [s for s in view.models[0].sections if isinstance(s, CohortsView)]
    return section


def _family(view: ReportView, title: str) -> CohortFamilyView:
    return next(f for f in _cohorts(view).families if f.title == title)


@pytest.fixture(scope="module")
def noised() -> ReportView:
    return _view(make_private_document(dp=True))


@pytest.fixture(scope="module")
def exact() -> ReportView:
    return _view(make_private_document(dp=False, local_cases=True))


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(make_private_document(dp=True), META)


def test_cohorts_sit_after_global_importance_and_before_the_cases(exact: ReportView) -> None:
    kinds = [s.kind for s in exact.models[0].sections]
    assert kinds == [
        "trust",
        "model_performance",
        "global_shap",
        "permutation_importance",
        "cohorts",
        "local_explanations",
    ]
    section = _cohorts(exact)
    assert section.heading == "Cohorts" and "reason differently" in section.intro
    assert "fewer than 11 rows" in section.intro
    assert [(f.title, f.by) for f in section.families] == [
        ("Age band", "by column age"),
        ("Predicted class", "by predicted class"),
        ("Housing", "by column housing"),
    ]
    assert [f.anchor for f in section.families] == [
        "model-1-cohorts-1",
        "model-1-cohorts-2",
        "model-1-cohorts-3",
    ]


def test_cohort_rows_put_overall_first_with_sizes_scores_and_distances(exact: ReportView) -> None:
    age = _family(exact, "Age band")
    assert age.metric_headings == ("ROC AUC", "Accuracy")
    assert [r.label for r in age.rows] == ["Overall", "under 25", "25-44", "45-64", "65+"]
    overall, _, young, middle, _ = age.rows
    assert overall.overall and overall.size == "2,000" and overall.distance == "\u2014"
    assert overall.metrics == ("0.84 (0.81\u20130.87)", "0.78")
    assert overall.top_features == "income, debt_ratio, age"
    assert (young.size, young.metrics[0], young.distance) == ("812", "0.83 (0.80\u20130.86)", "6 %")
    assert middle.size == "1,113" and middle.distance == "9 %"
    assert age.notes == (INTERVAL_NOTE,)
    assert age.span == 5


def test_suppressed_cohorts_show_no_number(exact: ReportView, noised: ReportView) -> None:
    for view in (exact, noised):
        rows = {r.label: r for r in _family(view, "Age band").rows}
        assert rows["under 25"].suppressed == rows["65+"].suppressed == f"suppressed: {REASON}"
        for label, (size, auc) in HIDDEN.items():
            row = rows[label]
            assert (row.size, row.metrics, row.top_features, row.distance) == ("", (), "", "")
            shown = f"{row.suppressed} {row.size} {row.metrics} {row.distance}"
            assert not set(str(int(size))) & set(shown), (label, shown)
            assert f"{auc:.2f}" not in shown
        chart = _family(view, "Age band").chart
        assert chart is not None and chart.cohorts == ("25-44", "45-64")


def test_suppressed_rows_on_the_page_carry_no_digit_of_their_hidden_size(page: str) -> None:
    rows = re.findall(r'<tr class="suppressed">(.*?)</tr>', page, flags=re.DOTALL)
    assert len(rows) == len(HIDDEN)
    for row, (label, (size, auc)) in zip(rows, HIDDEN.items(), strict=True):
        label_cell, rest = row.split("</td>", 1)
        assert label in label_cell
        assert not set(str(int(size))) & set(rest), rest
        assert f"{auc:.2f}" not in row


def test_noised_sizes_carry_an_approximately_sign_and_a_noise_note(noised: ReportView) -> None:
    age = _family(noised, "Age band")
    assert [r.size for r in age.rows if r.suppressed is None] == [
        "\u2248 2,001",
        "\u2248 812",
        "\u2248 1,113",
    ]
    assert age.rows[0].metrics == ("0.84", "0.78")  # noised scores carry no interval
    assert age.notes == (NOISE_NOTE,)
    assert (
        NOISE_NOTE == "Counts, scores and profiles carry differential-privacy noise; see Privacy."
    )
    chart = age.chart
    assert chart is not None and chart.caption.endswith("carry differential-privacy noise.")


def test_formatting_of_sizes_and_intervals() -> None:
    assert fmt_size(None, noised=True) == "\u2014"
    assert fmt_size(411.6, noised=True) == "\u2248 412"
    assert fmt_size(-3.2, noised=True) == "\u2248 0"
    assert fmt_size(1234.0, noised=False) == "1,234"
    interval = MetricWithInterval(name="r2", value=-0.051, low=-0.12, high=0.02)
    assert fmt_interval(interval) == f"{MINUS}0.05 ({MINUS}0.12\u20130.02)"
    assert fmt_interval(MetricWithInterval(name="r2", value=None)) == "\u2014"
    assert fmt_interval(None) == "\u2014"


def test_the_finding_names_the_most_distant_cohort(exact: ReportView) -> None:
    assert _family(exact, "Housing").finding == (
        f"The explanations of cohort '{BOLD_LABEL}' differ most from the overall ones (distance "
        "25 %): its top features are debt_ratio, purpose and income, against income, debt_ratio "
        "and age overall."
    )
    assert _family(exact, "Age band").finding == (
        "The explanations of cohort '45-64' differ most from the overall ones (distance 9 %): its "
        "top features are the same as overall (income, debt_ratio and age), but they weigh "
        "differently."
    )


def test_the_profile_chart_follows_the_overall_top_features(exact: ReportView) -> None:
    chart = _family(exact, "Housing").chart
    assert chart is not None
    assert chart.features[:3] == ("income", "debt_ratio", "age")
    assert chart.cohorts == ("own", "rent", BOLD_LABEL)
    assert sum(chart.overall) == pytest.approx(1.0)  # all six features are drawn
    assert all(len(series) == len(chart.features) for series in chart.series)
    assert chart.series[0] == pytest.approx(chart.overall)  # 'own' reasons like the whole
    assert chart.series[2][0] < chart.overall[0]  # 'other' leans less on income
    assert chart.id == "model-1-cohorts-3-profile"


def test_the_privacy_section_lists_rules_suppressions_and_the_ledger(noised: ReportView) -> None:
    privacy = noised.privacy
    assert privacy.recorded and privacy.rules == tuple(RULES)
    facts = {f.label: f.value for f in privacy.facts}
    assert facts == {
        "Minimum cohort size": "11 rows",
        "Cohorts suppressed": "2",
        "Individual audit cases": "not shown",
        "Differential privacy": "on",
    }
    assert privacy.cases_sentence == CASES_WITHHELD
    assert [(s.family, s.cohort, s.reason) for s in privacy.suppressed] == [
        ("age band", "under 25", REASON),
        ("age band", "65+", REASON),
    ]
    assert privacy.nothing_suppressed is None
    assert privacy.dp is not None
    dp = {f.label: f.value for f in privacy.dp.facts}
    assert dp == {
        "Epsilon": "\u03b5 = 1",
        "Delta": "\u03b4 = 1 \u00d7 10\u207b\u2076",
        "Unit of privacy": "one person's row in the evaluation data",
        "Budget spent": "\u03b5 = 0.55 of 1",
    }
    rows = [(r.statistic, r.epsilon, r.sensitivity, r.scale, r.bounds) for r in privacy.dp.ledger]
    assert rows == [
        ("count, age band", "0.1", "1", "10", "\u2014"),
        ("ROC AUC, age band", "0.2", "0.0125", "0.0625", "0 to 1"),
        ("mean |SHAP|, age band", "0.25", "0.0025", "0.01", "0 to 0.5"),
    ]
    assert "one person's row in the evaluation data" in privacy.dp_sentence


def test_without_dp_or_suppressions_the_section_says_so(exact: ReportView) -> None:
    assert exact.privacy.dp is None and exact.privacy.dp_sentence == DP_OFF
    assert exact.privacy.cases_sentence == PSEUDONYMOUS
    doc = make_private_document(dp=False)
    assert doc.privacy is not None
    calm = doc.model_copy(update={"privacy": doc.privacy.model_copy(update={"suppressed": []})})
    view = _view(calm)
    assert view.privacy.suppressed == () and view.privacy.nothing_suppressed == NOTHING_SUPPRESSED
    assert view.privacy_line == (
        "Privacy: minimum cohort size 11; 0 cohorts suppressed; differential privacy off."
    )


def test_the_summary_line(noised: ReportView) -> None:
    assert noised.privacy_line == (
        "Privacy: minimum cohort size 11; 2 cohorts suppressed; differential privacy \u03b5=1."
    )


def test_a_document_from_before_the_gate_says_so_in_one_sentence() -> None:
    view = _view(make_document())
    assert view.privacy.intro == PREDATES and not view.privacy.recorded
    assert PREDATES.count(".") == 1
    assert view.privacy_line is None
    local = view.models[0].sections[-1]
    assert isinstance(local, LocalCasesView) and local.intro.endswith(RECORD_IDS)
    page = render_html(make_document(), META)
    assert PREDATES.replace("'", "&#39;") in page and '<a href="#privacy">Privacy</a>' in page


@pytest.mark.parametrize("keep_cases", [False, True])
def test_withheld_cases_leave_one_sentence_and_no_case(keep_cases: bool) -> None:
    doc = make_private_document(local_cases=False, keep_cases=keep_cases)
    view = _view(doc)
    sections = view.models[0].sections
    assert not any(isinstance(s, LocalCasesView) for s in sections)
    withheld = sections[-1]
    assert isinstance(withheld, WithheldCasesView)
    assert (withheld.heading, withheld.sentence) == ("Audit cases", CASES_WITHHELD)
    assert "audit case" not in " ".join(view.summaries[0].sentences)
    assert all("Local" not in line for line in view.summaries[0].estimators)
    assert all(row.analysis != "Audit cases" for row in view.method.costs)
    page = render_html(doc, META)
    assert "Case case-" not in page and "case-7f3a" not in page
    assert page.count(CASES_WITHHELD) == 2  # in place of the cases, and in Privacy


def test_the_cases_sentence_is_not_repeated_after_the_rules() -> None:
    doc = make_private_document()
    assert doc.privacy is not None
    rules = [*doc.privacy.rules, CASES_WITHHELD]
    view = _view(
        doc.model_copy(update={"privacy": doc.privacy.model_copy(update={"rules": rules})})
    )
    assert view.privacy.rules[-1] == CASES_WITHHELD and view.privacy.cases_sentence is None


def test_shown_cases_say_their_ids_are_pseudonymous(exact: ReportView) -> None:
    local = exact.models[0].sections[-1]
    assert isinstance(local, LocalCasesView) and local.cases
    assert local.intro.endswith(PSEUDONYMOUS) and RECORD_IDS not in local.intro


def test_the_appendix_explains_each_cohort_family(noised: ReportView) -> None:
    how = {fact.label: fact.value for fact in noised.method.how}
    text = how["Cohorts: age band"]
    assert "split by column age into 4 cohorts, 2 suppressed" in text
    assert text.endswith(NOISE_NOTE)


def test_the_page_escapes_labels_and_stays_self_contained(page: str, noised: ReportView) -> None:
    assert external_references(page) == []
    assert "<b>" not in page and "other &lt;b&gt;" in page
    found = References()
    found.feed(page)
    assert [name for name, count in found.ids.items() if count > 1] == []
    assert found.tags["svg"] == len(list(noised.charts()))
    order = [
        "Global importance: permutation</h2>",
        "Cohorts</h2>",
        "Audit cases</h2>",
        "<h2>Privacy</h2>",
        "Appendix: method and provenance</h2>",
    ]
    positions = [page.index(h) for h in order]
    assert positions == sorted(positions)
    assert '<a href="#privacy">Privacy</a>' in page and 'id="model-1-cohorts"' in page
    assert 'class="privacy-line"' in page


def test_the_pdf_shows_cohorts_and_privacy(page: str) -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(page)))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "suppressed: fewer than 11 people" in text
    assert "\u2248 1,113" in text
    assert "What was suppressed, and why" in text
    assert "mean |SHAP|, age band" in text
