"""The view-model as a function: ordering, formatting, wording and dispatch, without HTML."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from render_fixture import MODEL, PERMUTATION_VALUES, SHAP_VALUES, TITLE, make_document

from reportgen.render import ReportMeta, build_view
from reportgen.render.format import MINUS
from reportgen.render.trust_views import TrustView
from reportgen.render.views import (
    GlobalShapView,
    LocalCasesView,
    PerformanceView,
    PermutationView,
    ReportView,
)
from reportgen.results.document import (
    LocalExplanationsResult,
    ModelInfo,
    PerformanceResult,
    ResultDocument,
)


def _sections(view: ReportView) -> dict[str, object]:
    return {section.kind: section for section in view.models[0].sections}


def _by_rank(values: Mapping[str, tuple[float, ...]]) -> list[str]:
    return [name for name, data in sorted(values.items(), key=lambda item: item[1][-1])]


def test_header_fields_come_from_the_policy_and_meta(doc: ResultDocument, meta: ReportMeta) -> None:
    view = build_view(doc, meta)
    assert view.title == TITLE
    assert view.policy_id == "credit-default"
    assert view.version_label == "v3"
    assert view.published == "2025-03-04 09:20 UTC"
    assert view.header_line == "credit-default \u00b7 v3 \u00b7 2025-03-04 09:20 UTC"
    assert not view.show_model_names


def test_sections_follow_reading_order_whatever_the_document_order(
    doc: ResultDocument, meta: ReportMeta
) -> None:
    sections = build_view(doc, meta).models[0].sections
    assert [type(s) for s in sections] == [
        TrustView,
        PerformanceView,
        GlobalShapView,
        PermutationView,
        LocalCasesView,
    ]
    assert [s.template for s in sections] == [
        "_trust.html",
        "_performance.html",
        "_global_shap.html",
        "_permutation.html",
        "_local_cases.html",
    ]


def test_importance_tables_and_charts_are_in_rank_order(
    doc: ResultDocument, meta: ReportMeta
) -> None:
    sections = _sections(build_view(doc, meta))
    shap, perm = sections["global_shap"], sections["permutation_importance"]
    assert isinstance(shap, GlobalShapView) and isinstance(perm, PermutationView)
    assert [row.feature for row in shap.rows] == _by_rank(SHAP_VALUES)
    assert [row.rank for row in shap.rows] == [1, 2, 3, 4, 5, 6]
    assert list(shap.chart.labels) == _by_rank(SHAP_VALUES)
    assert shap.chart.values == tuple(sorted((v for v, _ in SHAP_VALUES.values()), reverse=True))
    assert [row.feature for row in perm.rows] == _by_rank(PERMUTATION_VALUES)
    assert perm.chart.errors is not None and perm.chart.errors[0] == 0.0071


def test_numbers_are_rounded_per_column(doc: ResultDocument, meta: ReportMeta) -> None:
    sections = _sections(build_view(doc, meta))
    shap, perm = sections["global_shap"], sections["permutation_importance"]
    assert isinstance(shap, GlobalShapView) and isinstance(perm, PermutationView)
    assert [row.value for row in shap.rows] == [
        "0.119",
        "0.073",
        "0.041",
        "0.022",
        "0.013",
        "0.003",
    ]
    assert perm.rows[-1].value == f"{MINUS}0.0004"
    assert perm.rows[0].spread == "0.0071"
    facts = {fact.label: fact.value for fact in shap.facts}
    assert facts["Additivity, largest error"] == "4.4 \u00d7 10\u207b\u00b9\u2076"
    assert facts["Model evaluations per row"] == "64"


def test_summary_names_the_top_features_and_the_estimators(
    doc: ResultDocument, meta: ReportMeta
) -> None:
    (summary,) = build_view(doc, meta).summaries
    text = " ".join(summary.sentences)
    assert (
        "The three features that move the probability of class 'bad' most are "
        "income, debt_ratio and age." in text
    )
    assert "ROC AUC suffers most when income, debt_ratio or age is shuffled" in text
    assert "predicts 'good' or 'bad' from 6 features (4 numeric, 2 categorical)" in text
    assert "On 2,000 evaluation rows it reaches ROC AUC 0.843, accuracy 0.781" in text
    assert [m.label for m in summary.key_metrics] == ["ROC AUC", "Accuracy", "Brier score"]
    assert summary.estimators[0].startswith("SHAP, exact estimator, 64 model evaluations")
    assert summary.warnings == ()


def test_case_directions_match_the_signs_and_contributions_sort_by_size(
    doc: ResultDocument, meta: ReportMeta
) -> None:
    local = _sections(build_view(doc, meta))["local_explanations"]
    assert isinstance(local, LocalCasesView)
    (result,) = (r for r in doc.results if isinstance(r, LocalExplanationsResult))
    source = {case.case_id: case for case in result.cases}
    for case in local.cases:
        assert [e.method for e in case.explanations] == ["shap", "lime"]
        for explained in case.explanations:
            original = next(
                e for e in source[case.case_id].explanations if e.method == explained.method
            )
            signs = {c.feature: c.contribution for c in original.top}
            for row in explained.rows:
                expected = "raises" if signs[row.feature] > 0 else "lowers"
                assert row.direction == expected
                assert row.tone == ("up" if expected == "raises" else "down")
                assert row.contribution.startswith("+" if expected == "raises" else MINUS)
            sizes = [abs(signs[row.feature]) for row in explained.rows]
            assert sizes == sorted(sizes, reverse=True)
    shap = local.cases[0].explanations[0]
    assert shap.chart is not None and shap.chart.kind == "diverging"
    assert shap.chart.labels[0] == "income = 20k-30k"
    assert local.cases[0].explanations[1].chart is None


def test_local_cases_say_they_are_a_stratified_sample(
    doc: ResultDocument, meta: ReportMeta
) -> None:
    local = _sections(build_view(doc, meta))["local_explanations"]
    assert isinstance(local, LocalCasesView)
    assert "stratified sample" in local.intro
    assert [(s.label, s.value) for s in local.strata] == [("bad", "1"), ("good", "2")]


def test_method_appendix_records_inputs_and_costs(doc: ResultDocument, meta: ReportMeta) -> None:
    method = build_view(doc, meta).method
    assert [row.item for row in method.hashes] == [
        "Policy",
        f"Model {MODEL}",
        f"Preprocessing of {MODEL}",
        "Reference data",
        "Evaluation data",
    ]
    assert [row.analysis for row in method.costs] == [
        "Model performance",
        "Global importance: SHAP",
        "Global importance: permutation",
        "Audit cases",
    ]
    assert method.costs[1].model_rows == "3,200,000"
    assert any("seed 20250304" in fact.value for fact in method.how)
    assert [fact.label for fact in method.libraries] == ["lime", "numpy", "scikit-learn", "shap"]


def test_results_are_grouped_per_model(meta: ReportMeta) -> None:
    base = make_document()
    other = ModelInfo(**{**base.models[0].model_dump(), "name": "challenger", "trusted": True})
    extra = PerformanceResult(**{**base.results[3].model_dump(), "model": "challenger"})
    doc = ResultDocument(
        **{**dict(base), "models": [*base.models, other], "results": [extra, *base.results]}
    )
    view = build_view(doc, meta)
    assert view.show_model_names
    assert [m.name for m in view.models] == [MODEL, "challenger"]
    assert [len(m.sections) for m in view.models] == [5, 2]
    assert view.summaries[1].warnings and "trusted" in view.summaries[1].warnings[0]
    assert view.models[0].anchor != view.models[1].anchor
    chart_ids = [chart.id for chart in view.charts()]
    assert len(chart_ids) == len(set(chart_ids))


def test_the_view_is_immutable_data(doc: ResultDocument, meta: ReportMeta) -> None:
    view = build_view(doc, meta)
    assert dataclasses.is_dataclass(view)
    assert build_view(doc, meta) == view
