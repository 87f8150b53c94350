"""Explanation drift between versions whose model changed, against hand counts."""

from __future__ import annotations

import pytest
from scipy.stats import spearmanr

from reportgen.registry.diff import diff_documents
from reportgen.registry.drift import explanation_drift
from reportgen.render.trail_text import diff_lines
from reportgen.results import ResultDocument
from reportgen.results.document import (
    CaseExplanation,
    Contribution,
    GlobalShapResult,
    LocalExplanationsResult,
)
from tests.render.render_fixture import MODEL, make_document


def with_model_file(doc: ResultDocument, digest: str) -> ResultDocument:
    return doc.model_copy(update={"models": [doc.models[0].model_copy(update={"sha256": digest})]})


def with_results(doc: ResultDocument, kind: type, **update: object) -> ResultDocument:
    results = [r.model_copy(update=update) if isinstance(r, kind) else r for r in doc.results]
    return doc.model_copy(update={"results": results})


def cases(doc: ResultDocument) -> list[CaseExplanation]:
    local = next(r for r in doc.results if isinstance(r, LocalExplanationsResult))
    return local.cases


def shap_reasons(case: CaseExplanation, reasons: list[tuple[str, float]]) -> CaseExplanation:
    explanations = [
        e.model_copy(
            update={"top": [Contribution(feature=f, value="x", contribution=c) for f, c in reasons]}
        )
        if e.method == "shap"
        else e
        for e in case.explanations
    ]
    return case.model_copy(update={"explanations": explanations})


def test_a_retrained_model_with_the_same_explanations_shows_no_drift() -> None:
    old = make_document()
    drift = explanation_drift(old, with_model_file(old, "f" * 64), MODEL)
    assert drift is not None
    assert drift.spearman == pytest.approx(1.0)
    assert (drift.cases, drift.k, drift.top_k_overlap_mean, drift.top_k_overlap_min) == (
        3,
        4,
        1.0,
        1.0,
    )
    assert drift.first_reason_changed == drift.decision_changed == 0


def test_the_same_model_file_gives_no_drift_even_when_explanations_differ() -> None:
    old = make_document()
    shap = next(r for r in old.results if isinstance(r, GlobalShapResult))
    reversed_values = [i.model_copy(update={"value": 1 / i.rank}) for i in shap.importances]
    new = with_results(old, GlobalShapResult, importances=reversed_values)
    assert explanation_drift(old, new, MODEL) is None
    assert diff_documents(old, new, a_label="v1", b_label="v2").drift == []


def test_drift_figures_equal_hand_counts() -> None:
    old = make_document()
    shap = next(r for r in old.results if isinstance(r, GlobalShapResult))
    # the new model reverses the importance order exactly: Spearman -1
    n = len(shap.importances)
    reversed_values = [i.model_copy(update={"value": float(i.rank)}) for i in shap.importances]
    first, second, third = cases(old)
    changed = [
        # income, debt_ratio, age, housing -> debt_ratio first, housing replaced by purpose: 3/4
        shap_reasons(
            first, [("debt_ratio", 0.3), ("income", 0.2), ("age", 0.1), ("purpose", 0.05)]
        ),
        # the same four reasons, reordered by size but the same first reason: 4/4
        shap_reasons(
            second,
            [
                ("income", -0.2),
                ("debt_ratio", 0.1),
                ("purpose", 0.05),
                ("credit_history_months", 0.01),
            ],
        ).model_copy(update={"predicted": "bad"}),
        # a case the new version did not draw is not compared
        third.model_copy(update={"case_id": "case-new"}),
    ]
    new = with_model_file(old, "f" * 64)
    new = with_results(new, GlobalShapResult, importances=reversed_values)
    new = with_results(new, LocalExplanationsResult, cases=changed)
    drift = explanation_drift(old, new, MODEL)
    assert drift is not None
    assert drift.features == n
    expected = spearmanr(
        [i.value for i in shap.importances], [float(i.rank) for i in shap.importances]
    )
    assert drift.spearman == pytest.approx(-1.0) == pytest.approx(expected.statistic)
    assert drift.cases == 2
    assert drift.top_k_overlap_mean == pytest.approx((3 / 4 + 4 / 4) / 2)
    assert drift.top_k_overlap_min == pytest.approx(3 / 4)
    assert drift.first_reason_changed == 1
    assert drift.decision_changed == 1
    line = next(
        x
        for x in diff_lines(diff_documents(old, new, a_label="v1", b_label="v2"))
        if x.startswith("Explanation drift")
    )
    assert "Spearman \u22121.00" in line
    assert (
        "over the 2 audit cases explained in both, mean top-4 reason overlap 0.875 (lowest 0.750)"
        in line
    )
    assert "1 lead with another first reason and 1 changed prediction" in line
