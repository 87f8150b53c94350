"""Every page of a full, example-like report, laid out by WeasyPrint: nothing (a table, a cell,
the network diagram, a chart, a line of text) runs past the page's right edge, and the text a
risk officer reads names columns by their display labels.

The document carries what the credit example prints, with the credit data's long column names:
cohorts, audit cases, the trust checks (C7 following features, as the engine writes it), fair
lending and calibration, a seven-layer network, the privacy gate's report and the traceability
matrix with its hashes.
"""

from __future__ import annotations

import json
import re

import pytest
from credit_fixture import air_gates, calibration, fair_lending
from network_fixture import make_network
from page_boxes import overflows
from privacy_fixture import make_private_document
from render_fixture import META, MODEL
from trust_fixture import make_checked_document

from reportgen.compliance.trace import trace
from reportgen.policy import load_policy
from reportgen.render import render_html
from reportgen.results.document import CheckMetric, CheckResult, Cost, ResultDocument, Suppressed
from tests.conftest import ROOT

LONG_NAMES = {
    "income": "status_of_existing_checking_account",
    "debt_ratio": "installment_rate_in_percentage_of_disposable_income",
    "credit_history_months": "number_of_people_being_liable_to_provide_maintenance_for",
    "age": "age_in_years",
}
LABELS = {
    "status_of_existing_checking_account": "Checking account balance",
    "installment_rate_in_percentage_of_disposable_income": "Instalment rate (% of disposable "
    "income)",
    "number_of_people_being_liable_to_provide_maintenance_for": "People maintained (dependants)",
    "age_in_years": "Age (years)",
    "personal_status_and_sex": "Personal status and sex",
}
RULE = (
    "Sensitive attributes (age_in_years, personal_status_and_sex) appear only as cohort labels, "
    "never as a case's explanation input."
)


def _c7() -> CheckResult:
    """C7 as the engine writes it: one row per top feature, a note naming columns."""
    top = list(LONG_NAMES.values())[:3]
    return CheckResult(
        check="global_stability",
        code="C7",
        model=MODEL,
        instances=300,
        k=3,
        metrics=[
            *(CheckMetric(method=f, metric="top_k_inclusion_shap", median=0.9) for f in top),
            *(CheckMetric(method=f, metric="rel_ci_halfwidth_shap", median=0.1) for f in top),
        ],
        reliable_features=top[:2],
        notes=[f"Permutation importance confidence interval includes 0 for: {top[2]}."],
        cost=Cost(model_calls=0, model_rows=0, model_seconds=0.0, wall_seconds=0.0),
    )


def _document() -> ResultDocument:
    private = make_private_document(dp=False, local_cases=True)
    checked = make_checked_document()
    checks = [r for r in checked.results if isinstance(r, CheckResult) and r.code != "C7"]
    privacy = private.privacy
    assert privacy is not None
    privacy = privacy.model_copy(
        update={
            "rules": [*privacy.rules, RULE],
            "suppressed": [
                *privacy.suppressed,
                Suppressed(
                    family="fair lending: age_in_years", model=MODEL, cohort="65+", reason="small"
                ),
            ],
        }
    )
    doc = private.model_copy(
        update={
            "results": [
                *private.results,
                *checks,
                _c7(),
                fair_lending(),
                calibration(),
                make_network(),
            ],
            "gates": [*checked.gates, *air_gates()],
            "privacy": privacy,
        }
    )
    text = doc.model_dump_json()
    for short, long in LONG_NAMES.items():
        text = text.replace(f'"{short}"', f'"{long}"')
    doc = ResultDocument.model_validate(json.loads(text))
    policy = load_policy(ROOT / "policies" / "credit.yaml").policy
    return doc.model_copy(
        update={
            "traceability": trace(policy, doc),
            "policy": doc.policy.model_copy(update={"labels": LABELS}),
        }
    )


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(_document(), META)


def test_nothing_runs_past_a_pages_right_edge(page: str) -> None:
    pages, found = overflows(page)
    assert pages > 10
    assert [str(overflow) for overflow in found] == []


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def _between(page: str, start: str, end: str) -> str:
    at = page.index(start)
    return page[at : page.index(end, at)]


def test_the_global_ranking_table_names_features_by_their_labels(page: str) -> None:
    c7 = _between(page, "C7 \u00b7 Stability of the global ranking", "</section>")
    assert '<th class="method">Feature</th>' in c7
    assert ">Checking account balance</td>" in c7
    assert "includes 0 for: People maintained (dependants)." in _text(c7)


def test_the_privacy_rules_and_suppressed_families_name_columns_by_their_labels(
    page: str,
) -> None:
    text = _text(_between(page, 'id="privacy"', "</section>"))
    assert "Sensitive attributes (Age (years), Personal status and sex) appear" in text
    assert "fair lending: Age (years)" in text
    assert "age_in_years" not in text and "personal_status_and_sex" not in text


def test_the_traceability_matrix_prints_a_short_hash_and_keeps_the_full_one(page: str) -> None:
    matrix = _between(page, 'id="traceability"', "</section>")
    full = re.findall(r'title="sha256 ([0-9a-f]{64})">sha256 ([0-9a-f]+)\u2026<', matrix)
    assert full
    assert all(shown == digest[:12] for digest, shown in full)
