"""Issue #11: the fair-lending and calibration sections, the summary's verdict and the banner,
tested on the view-model and the page built from hand-made published results."""

from __future__ import annotations

import json
import re

import pytest
from credit_fixture import BOLD, air_gates, calibration, fair_lending, make_credit_document
from page_checks import external_references
from render_fixture import META, make_document

from reportgen.render import build_view, render_html
from reportgen.render.calibration import build_calibration
from reportgen.render.credit_summary import fair_lending_sentences
from reportgen.render.credit_views import CalibrationView, FairLendingView
from reportgen.render.fair_lending import build_fair_lending, fmt_ratio
from reportgen.render.trust_views import TrustView
from reportgen.render.viewmodel import BOTH_BANNER, FAILED_BANNER, FAIR_LENDING_BANNER
from reportgen.results import canonical_json, load_results
from reportgen.results.document import GateOutcome, MetricWithInterval

EN_DASH = "\u2013"


def _fair() -> FairLendingView:
    return build_fair_lending(
        fair_lending(),
        air_gates(),
        "model-1",
        heading="Fair lending",
        template="_fair_lending.html",
    )


def test_each_attribute_shows_its_groups_ratios_and_verdict() -> None:
    age, status = _fair().attributes
    assert age.title == "Age in years" and age.by == "by band of column age_in_years"
    assert age.reference == (
        "Reference group: 35\u201350 (the group of at least the minimum size approved most often)."
    )
    young, _, reference, *hidden = age.rows
    assert (young.size, young.approval, young.air, young.smd) == (
        "46",
        f"52 % (45{EN_DASH}59 %)",
        f"0.72 (0.60{EN_DASH}0.82)",
        f"+0.41 (0.21{EN_DASH}0.61)",
    )
    assert (reference.air, reference.smd, reference.reference) == ("reference", "reference", True)
    assert [(r.label, r.size, r.approval, r.air) for r in hidden] == [
        ("50\u201365", "", "", ""),
        ("65+", "", "", ""),
    ]
    assert all(
        r.suppressed and r.suppressed.startswith("suppressed: fewer than 11") for r in hidden
    )
    assert age.verdict is not None
    assert (age.verdict.status, age.verdict.code, age.verdict.method) == (
        "fail",
        "AIR",
        "age_in_years",
    )
    assert status.rows[-1].label == "(other values)" and status.gap is None
    assert status.notes == (
        "The score gap is not decomposed: one of its two groups is suppressed.",
    )


def test_the_ratio_chart_draws_the_published_ratios_against_the_bands() -> None:
    chart = _fair().attributes[0].chart
    assert chart is not None
    assert chart.labels == ("<25", "25\u201335") and chart.values == (0.72, 0.92)
    assert (chart.fail_below, chart.warn_below) == (0.8, 0.9)


def test_the_gap_chart_ranks_the_features_and_still_sums_to_the_gap() -> None:
    age = _fair().attributes[0]
    gap = fair_lending().attributes[0].decomposition
    assert gap is not None and age.gap is not None and age.gap_chart is not None
    assert age.gap_chart.labels[:3] == ("feature_00", "feature_01", "feature_02")
    assert age.gap_chart.labels[-1] == "4 other features" and len(age.gap_chart.labels) == 11
    assert sum(age.gap_chart.values) == pytest.approx(gap.gap, abs=1e-12)
    assert age.gap.startswith("Group <25's mean score is 0.057 higher than group 35\u201350's")
    assert "every evaluation row of both groups (46 rows and 93 rows" in age.gap


def test_calibration_shows_overall_groups_and_only_the_published_bins() -> None:
    view = build_calibration(calibration(), "model-1", heading="Calibration", template="_c.html")
    assert [(r.label, r.kind, r.size) for r in view.rows] == [
        ("Overall", "overall", "300"),
        ("By age in years", "attribute", ""),
        ("<25", "group", "46"),
        ("65+", "group", ""),
    ]
    assert view.rows[0].ece == f"0.061 (0.040{EN_DASH}0.097)"
    assert view.rows[3].suppressed is not None and view.rows[3].ece == ""
    assert [b.size for b in view.bins][-3:] == ["16", "", ""]
    assert view.chart is not None and len(view.chart.predicted) == 8
    assert "reported, not gated" in view.intro


@pytest.mark.parametrize(
    ("age", "status", "verdict", "clause"),
    [
        (
            "fail",
            "pass",
            "Fair-lending verdict: FAIL.",
            "age in years fails (group <25 is approved only 72% as often as group 35\u201350)",
        ),
        (
            "warn",
            "pass",
            "Fair-lending verdict: WARN.",
            "age in years is close to the line (group <25 is approved 72% as often",
        ),
        (
            "pass",
            "pass",
            "Fair-lending verdict: PASS.",
            "personal status and sex passes (lowest AIR 0.90)",
        ),
    ],
)
def test_the_summary_states_the_verdict_in_plain_words(age, status, verdict, clause) -> None:
    first, second = fair_lending_sentences(fair_lending(), air_gates(age, status))
    assert first.startswith(verdict)
    assert second.startswith("By attribute: ") and clause in second


def test_an_attribute_with_nothing_to_compare_is_not_judged_never_passed() -> None:
    result = fair_lending()
    status = result.attributes[1].model_copy(update={"reference": None})
    result = result.model_copy(update={"attributes": [status]})
    gates = [g for g in air_gates("warn", "warn") if g.method == "personal_status_and_sex"]
    first, second = fair_lending_sentences(result, gates)
    assert first.startswith("Fair-lending verdict: NOT JUDGED.")
    assert (
        second
        == "By attribute: personal status and sex is not judged (its groups are too small to publish)."
    )


def _check_gate(status: str) -> GateOutcome:
    return GateOutcome(
        code="C1",
        check="completeness",
        model=make_document().models[0].name,
        method="shap",
        status=status,  # type: ignore[arg-type]
        actual="a",
        expected="b",
        meaning="c",
    )


def test_the_banner_names_the_kind_of_gate_that_failed() -> None:
    only_fair = build_view(make_credit_document(), META)
    assert only_fair.banner == FAIR_LENDING_BANNER
    assert only_fair.banner_anchor == "model-1-fair_lending"
    both = make_credit_document()
    both = both.model_copy(update={"gates": [*both.gates, _check_gate("fail")]})
    view = build_view(both, META)
    assert (view.banner, view.banner_anchor) == (BOTH_BANNER, "model-1-trust")
    checks_only = make_credit_document(age="pass")
    checks_only = checks_only.model_copy(
        update={"gates": [*checks_only.gates, _check_gate("error")]}
    )
    assert build_view(checks_only, META).banner == FAILED_BANNER
    assert build_view(make_credit_document(age="warn"), META).banner is None


def test_the_trust_section_and_tally_count_explanation_checks_only() -> None:
    view = build_view(make_credit_document(), META)
    (trust,) = [s for s in view.models[0].sections if isinstance(s, TrustView)]
    assert trust.verdicts == ()
    assert view.summaries[0].trust.alarm is None
    assert view.summaries[0].trust.tally.startswith("No explanation trust checks were run")


def test_the_page_shows_both_sections_in_reading_order_and_escapes_labels() -> None:
    page = render_html(make_credit_document(), META)
    headings = [
        "Model performance",
        "Calibration",
        "Global importance: SHAP",
        "Fair lending",
        "Audit cases",
    ]
    positions = [page.index(f">{h}</h2>") for h in headings]
    assert positions == sorted(positions)
    assert external_references(page) == []
    assert BOLD not in page and "single &lt;b&gt;" in page
    view = build_view(make_credit_document(), META)
    sections = [
        s for s in view.models[0].sections if isinstance(s, FairLendingView | CalibrationView)
    ]
    assert len(sections) == 2
    assert len(re.findall(r"<svg\b", page)) == len(list(view.charts()))
    method = {fact.label: fact.value for fact in view.method.how}
    assert "fairlearn's selection_rate through MetricFrame" in method["Fair lending"]
    assert (
        "pooled as sqrt(((n_g - 1) s_g^2 + (n_r - 1) s_r^2) / (n_g + n_r - 2))"
        in method["Fair lending"]
    )
    assert "equal-width bins" in method["Calibration"]


def test_the_results_round_trip_byte_for_byte(tmp_path) -> None:
    first = canonical_json(make_credit_document())
    (tmp_path / "results.json").write_bytes(first)
    assert canonical_json(load_results(tmp_path / "results.json")) == first
    kinds = [r["kind"] for r in json.loads(first)["results"]]
    assert kinds[-2:] == ["fair_lending", "calibration"]


def test_an_interval_below_zero_reads_with_to_not_a_dash() -> None:
    smd = MetricWithInterval(name="standardized_mean_difference", value=-0.04, low=-0.29, high=0.19)
    assert fmt_ratio(smd, signed=True) == "\u22120.04 (\u22120.29 to 0.19)"
    air = MetricWithInterval(name="adverse_impact_ratio", value=0.98, low=0.86, high=1.14)
    assert fmt_ratio(air) == f"0.98 (0.86{EN_DASH}1.14)"
