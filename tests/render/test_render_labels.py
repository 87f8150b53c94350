"""Display names (the policy's ``data.labels``): the report shows them wherever it names a
column, while the results document keeps the column names."""

from __future__ import annotations

import json
import re

import pytest
from credit_fixture import FEATURES, air_gates, fair_lending
from privacy_fixture import make_private_document
from reasons_fixture import make_reason_codes
from render_fixture import META

from reportgen.render import render_html
from reportgen.render.fair_lending import build_fair_lending
from reportgen.render.labels import Labels
from reportgen.render.privacy import build_privacy
from reportgen.render.reasons import build_reason_codes
from reportgen.results.document import ResultDocument

LABELS = {
    "income": "Monthly income (EUR)",
    "debt_ratio": "Debt-to-income ratio (%)",
    "credit_history_months": "Length of credit history (months)",
    "age": "Applicant age (years)",
    "housing": "Housing situation",
    "purpose": "Loan purpose",
}
RAW_NAMES = ("debt_ratio", "credit_history_months")
"""Column names no prose or markup of the page could contain by chance."""


@pytest.fixture(scope="module")
def labelled() -> ResultDocument:
    doc = make_private_document(dp=False, local_cases=True)
    return doc.model_copy(update={"policy": doc.policy.model_copy(update={"labels": LABELS})})


@pytest.fixture(scope="module")
def page(labelled: ResultDocument) -> str:
    return render_html(labelled, META)


def _text(html: str) -> str:
    """The page's text as a reader sees it: tags dropped (the SVG's <text> kept as text)."""
    return re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">")


def test_no_column_name_reaches_the_reader(page: str) -> None:
    text = _text(page)
    for name in RAW_NAMES:
        assert name not in text


def _section(page: str, kind: str) -> str:
    start = page.index(f'class="analysis {kind}')
    return page[start : page.index("</section>", start)]


@pytest.mark.parametrize("kind", ["global-shap", "permutation"])
def test_importance_tables_and_charts_name_features_by_label(page: str, kind: str) -> None:
    section = _section(page, kind)
    cells = re.findall(r"<tr><td class=\"num rank\">\d+</td><td>([^<]*)</td>", section)
    assert sorted(cells) == sorted(LABELS.values())
    svg_text = re.findall(r"<text[^>]*>([^<]*)</text>", section)
    assert set(LABELS.values()) <= set(svg_text)


def test_cohort_tables_findings_and_profiles_name_features_by_label(page: str) -> None:
    section = _section(page, "cohorts")
    tops = re.findall(r'<td class="top">(.*?)</td>', section)
    assert tops and all(t.replace("<wbr>", "") for t in tops)
    top = _text(tops[0].replace("<wbr>", ""))
    assert top == "Monthly income (EUR), Debt-to-income ratio (%), Applicant age (years)"
    assert "its top features are the same as overall (Monthly income (EUR), " in _text(section)


def test_audit_cases_label_features_and_lime_rules(page: str) -> None:
    text = _text(page)
    assert "Monthly income (EUR) <= 31000" in text  # the LIME rule "income <= 31000"
    assert "Monthly income (EUR) = 20k-30k" in text  # a SHAP bar of the case chart


def test_the_summary_names_drivers_by_label(page: str) -> None:
    summary = _text(page[: page.index('id="model-1-trust"')])
    assert "Monthly income (EUR), Debt-to-income ratio (%) and Applicant age (years)" in summary


def test_results_json_keeps_the_column_names(labelled: ResultDocument) -> None:
    saved = json.loads(labelled.model_dump_json())
    assert saved["policy"]["labels"] == LABELS
    saved["policy"].pop("labels")
    dumped = json.dumps(saved)
    for label in LABELS.values():
        assert label not in dumped
    for name in RAW_NAMES:
        assert name in dumped


def test_reasons_name_family_features_and_proxies_by_label() -> None:
    labels = Labels({**LABELS, "sex": "Sex"})
    view = build_reason_codes(
        make_reason_codes(excluded=True),
        [],
        min_cohort_size=None,
        heading="Reasons",
        template="_reason_codes.html",
        labels=labels,
    )
    assert view.families[0].features == "Debt-to-income ratio (%), Monthly income (EUR)"
    assert [(p.feature, p.sensitive) for p in view.proxies][:2] == [
        ("Housing situation", "Applicant age (years)"),
        ("Monthly income (EUR)", "Sex"),
    ]
    assert view.proxy_finding.startswith(
        "The proxy screen (Cramér's V at 0.3 or above) flags Housing situation for Applicant "
        "age (years) (0.41) as possible proxy. As the policy asks, Housing situation is left"
    )


def test_fair_lending_titles_verdicts_and_gap_bars_use_labels() -> None:
    labels = Labels({"age_in_years": "Age (years)", FEATURES[0]: "Loan duration (months)"})
    view = build_fair_lending(
        fair_lending(),
        air_gates(),
        "model-1",
        heading="Fair lending",
        template="_fair_lending.html",
        labels=labels,
    )
    age = next(a for a in view.attributes if a.title == "Age (years)")
    assert age.by == "by band of Age (years)"
    assert age.verdict is not None and age.verdict.method == "Age (years)"
    other = next(a for a in view.attributes if a.title != "Age (years)")
    assert (other.title, other.by) == (
        "Personal status and sex",
        "by value of column personal_status_and_sex",
    )
    assert age.gap_chart is not None and "Loan duration (months)" in age.gap_chart.labels


def test_relabel_replaces_whole_column_names_and_leaves_plain_words_alone() -> None:
    labels = Labels({"age_in_years": "Age (years)", "purpose": "Loan purpose"})
    text = "Sensitive attributes (age_in_years) never explain a purpose; age_in_years_band stays."
    assert labels.relabel(text) == (
        "Sensitive attributes (Age (years)) never explain a purpose; age_in_years_band stays."
    )
    # named columns are also found in their spaced form, as the engine's verdicts write them
    assert labels.relabel(
        "applicants by age in years and purpose", ["age_in_years", "purpose"]
    ) == ("applicants by Age (years) and Loan purpose")


def test_the_dp_ledger_names_noised_profile_means_by_label() -> None:
    doc = make_private_document(dp=True)
    assert doc.privacy is not None
    entry = doc.privacy.ledger[0].model_copy(
        update={"statistic": "credit-mlp / age band / 25-35: mean |SHAP| duration_in_month"}
    )
    privacy = doc.privacy.model_copy(update={"ledger": [entry]})
    view = build_privacy(privacy, Labels({"duration_in_month": "Loan duration (months)"}))
    assert view.dp is not None
    assert [r.statistic for r in view.dp.ledger] == [
        "credit-mlp / age band / 25-35: mean |SHAP| Loan duration (months)"
    ]
