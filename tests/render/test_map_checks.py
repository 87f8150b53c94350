"""The checks of an image model's maps in the report (#10): C3 noise, C4 pixel deletion and
insertion, C5 model randomisation, each presented like the tabular C3, C4, C5 and C8.

Tested on hand-built results (:mod:`map_checks_fixture`): the trust section's view-model, its
template rendered strictly, the method appendix and the summary's plain sentences.
"""

from __future__ import annotations

import pytest
from imaging_fixture import MODEL
from map_checks_fixture import (
    IMAGES,
    REMOVAL_NOTE,
    ROBUSTNESS_NOTE,
    K,
    make_map_checks,
    make_map_checks_document,
    make_map_randomisation,
    make_map_removal,
)
from render_fixture import META

from reportgen.render import build_view, render_html
from reportgen.render.html import make_environment, render_template
from reportgen.render.imaging_summary import map_check_sentences
from reportgen.render.method_text import check_text
from reportgen.render.summary import build_summary
from reportgen.render.trust import build_trust
from reportgen.render.trust_text import (
    CHECK_QUESTIONS,
    CHECK_TITLES,
    gated_substrate,
    metric_words,
)
from reportgen.render.trust_views import CheckView, TrustView
from reportgen.render.views import PageSection
from reportgen.results.document import CheckResult

MAP_CHECKS = ("map_robustness", "map_removal", "map_randomisation")


def _trust() -> TrustView:
    doc = make_map_checks_document()
    checks = [r for r in doc.results if isinstance(r, CheckResult)]
    return build_trust(checks, doc.gates, MODEL, "model-1", heading="Trust", template="_trust.html")


def _check(code: str) -> CheckView:
    return next(c for c in _trust().checks if c.code == code)


def _table(check: CheckView) -> list[tuple[str, str, str, str, str, str]]:
    return [(r.metric, r.method, r.better, r.median, r.tail, r.chance) for r in check.rows]


# --- the view-model ----------------------------------------------------------------------------


def test_each_map_check_has_its_title_question_and_image_scope() -> None:
    trust = _trust()
    assert [c.title for c in trust.checks] == [
        "C3 \u00b7 Stability of the maps under noise",
        "C4 \u00b7 Pixel deletion and insertion",
        "C5 \u00b7 Model randomisation of the maps",
        "C8 \u00b7 Localisation of the annotated finding",
    ]
    for check in trust.checks[:3]:
        assert check.scope.startswith(f"{IMAGES} images checked, a sample of the explained images")
        assert "feature" not in check.scope and "instance" not in check.scope
        assert check.question and "feature" not in check.question
        assert (check.badges[0].label, check.badges[0].status_word) == ("Grad-CAM", "PASS")
    assert f"the top {K} pixels of each map (5 % of the image)" in trust.checks[0].scope
    assert trust.intro.endswith(
        "On the heat-maps, C3, C4 and C5 test whether they hold under invisible noise, mark the "
        "pixels the model uses and change when the model's weights are randomised."
    )


def test_c3_names_its_metrics_in_words_with_the_chance_of_k_over_the_pixels() -> None:
    check = _check("C3")
    assert _table(check) == [
        (f"Top-{K} pixel overlap under small noise", "Grad-CAM", "higher", "0.91", "P10 0.83", "0.05"),
        ("", "IG", "higher", "0.62", "P10 0.54", "0.05"),
        ("Rank correlation of the maps under small noise", "Grad-CAM", "higher", "0.95", "P10 0.87", "0.00"),
        ("", "IG", "higher", "0.71", "P10 0.63", "0.00"),
    ]  # fmt: skip
    assert [b.status_word for b in check.badges] == ["PASS", "WARN"]
    assert check.notes == (ROBUSTNESS_NOTE,)
    assert "rerun stability (C2) does not apply" in check.question


def test_c4_names_the_gated_substrate_and_the_report_only_one() -> None:
    check = _check("C4")
    metrics = [r.metric for r in check.rows if r.metric]
    assert metrics == [
        "Deletion ratio, pixels replaced by a noisy blur (against random order)",
        "Insertion ratio, from the blurred image (against random order)",
        "Deletion ratio, pixels set to 0 (shown, not gated)",
    ]
    assert _table(check)[:2] == [
        (metrics[0], "Grad-CAM", "lower", "0.520", "P90 0.590", "1.00"),
        ("", "IG", "lower", "0.950", "P90 1.02", "1.00"),
    ]
    assert {r.chance for r in check.rows} == {"1.00"}  # a random order scores 1 by construction
    assert [b.status_word for b in check.badges] == ["PASS", "FAIL"]
    assert check.notes == (REMOVAL_NOTE,)


def test_c4_with_zeros_gated_by_the_policy_says_so() -> None:
    gated_zeros = make_map_removal(gated="zeros")
    assert gated_substrate(m.metric for m in gated_zeros.metrics) == "zeros"
    assert gated_substrate(["deletion_ratio", "insertion_ratio"]) is None
    (check,) = build_trust(
        [gated_zeros], [], MODEL, "m", heading="T", template="_trust.html"
    ).checks
    assert [r.metric for r in check.rows if r.metric][::2] == [
        "Deletion ratio, pixels set to 0 (against random order)",
        "Deletion ratio, pixels replaced by a noisy blur (shown, not gated)",
    ]
    text = check_text(gated_zeros, 7)
    assert "The policy gates the deletion ratio with pixels set to 0" in text


def test_c5_reads_lower_as_better_with_chance_zero_and_the_worse_tail() -> None:
    check = _check("C5")
    assert _table(check) == [
        ("Rank correlation with the randomised model's maps", "Grad-CAM", "lower", "0.08", "P90 0.15", "0.00"),
        ("", "IG", "lower", "0.62", "P90 0.69", "0.00"),
        ("Rank correlation of |map| with the randomised model's maps", "Grad-CAM", "lower", "0.21", "P90 0.28", "0.00"),
        ("", "IG", "lower", "0.71", "P90 0.78", "0.00"),
        ("Structural similarity (SSIM) with the randomised model's maps", "Grad-CAM", "lower", "0.12", "P90 0.19", "0.00"),
        ("", "IG", "lower", "0.55", "P90 0.62", "0.00"),
    ]  # fmt: skip
    assert len(check.notes) == 2 and check.notes[1].startswith("ig: median Spearman")


def test_each_chart_shows_the_gated_metric_with_its_chance_line() -> None:
    charts = {c.code: c.chart for c in _trust().checks}
    expected = {
        "C3": (f"Top-{K} pixel overlap under small noise (higher is better)", 0.05, (0.0, 1.0)),
        "C4": (
            "Deletion ratio, pixels replaced by a noisy blur (against random order) "
            "(lower is better)",
            1.0,
            None,
        ),
        "C5": ("Rank correlation with the randomised model's maps (lower is better)", 0.0, (-1.0, 1.0)),
    }  # fmt: skip
    for code, (axis, chance, x_range) in expected.items():
        chart = charts[code]
        assert chart is not None
        assert (chart.axis_label, chart.chance, chart.x_range) == (axis, (chance, chance), x_range)
        assert chart.labels == ("Grad-CAM", "IG") and all(len(s) == IMAGES for s in chart.series)
        assert chart.caption.startswith("Each dot is one checked image;")
        assert "dashed line marks the value expected by chance" in chart.caption


def test_a_verdict_starting_with_a_method_name_reads_as_a_sentence() -> None:
    meanings = {(v.code, v.method): v.meaning for v in _trust().verdicts}
    assert meanings["C5", "IG"].startswith("Integrated gradients maps barely change")


def test_a_map_check_in_error_shows_its_reason_and_no_table() -> None:
    broken = make_map_randomisation().model_copy(
        update={"instances": 0, "metrics": [], "notes": [], "error": "MapError: no parameters"}
    )
    (check,) = build_trust([broken], [], MODEL, "m", heading="T", template="_trust.html").checks
    assert (check.error, check.rows, check.chart) == ("MapError: no parameters.", (), None)
    assert check_text(broken, 7).endswith(
        "The check could not be computed: MapError: no parameters"
    )


def test_the_map_metrics_are_worded_only_within_their_check() -> None:
    assert metric_words("spearman", "map_robustness").label.startswith("Rank correlation")
    assert not metric_words("spearman", "map_robustness").lower_is_better
    assert metric_words("spearman").lower_is_better  # a name alone is guessed from its parts
    tabular = metric_words("signed_spearman", "randomisation_sanity")
    assert tabular.label == "Rank correlation after randomising the model"


# --- templates and page ------------------------------------------------------------------------


def test_the_trust_section_renders_the_map_checks_strictly() -> None:
    view = _trust()
    entry = PageSection(
        anchor="model-1-trust", heading=view.heading, template=view.template, section=view
    )
    html = render_template(make_environment(), view.template, {"entry": entry, "section": view})
    for code in ("c3", "c4", "c5", "c8"):
        assert html.count(f'id="model-1-trust-{code}"') == 1
    for words in (
        "C3 \u00b7 Stability of the maps under noise",
        "Top-205 pixel overlap under small noise",
        "Deletion ratio, pixels replaced by a noisy blur (against random order)",
        "Deletion ratio, pixels set to 0 (shown, not gated)",
        "Rank correlation of |map| with the randomised model&#39;s maps",
        "Structural similarity (SSIM)",
        ">P90 0.69</td>",
        ">0.05</td>",
        ">1.00</td>",
    ):
        assert words in html, words
    assert html.count("<svg") >= 4  # a chart per check


def test_the_page_and_appendix_carry_the_map_checks() -> None:
    doc = make_map_checks_document()
    page = render_html(doc, META)
    assert "C4 \u00b7 Pixel deletion and insertion" in page
    how = {fact.label: fact.value for fact in build_view(doc, META).method.how}
    assert set(how) >= {
        "Check C3: stability of the maps under noise",
        "Check C4: pixel deletion and insertion",
        "Check C5: model randomisation of the maps",
    }


# --- the method appendix -----------------------------------------------------------------------


def test_the_appendix_names_the_settings_of_each_check() -> None:
    robustness, removal, randomisation = (check_text(c, 7) for c in make_map_checks())
    for words in (
        f"top k = {K} pixels",
        "5 % of the image, k / (H \u00d7 W)",
        "Gaussian noise",
        "sd 0.1 of the pixels' sd",  # the engine's note, quoted
        "10 draws",
        "occlusion is read through C8",
    ):
        assert words in robustness, words
    for words in (
        "softmax probability",
        "random pixel orders",
        "The gated deletion ratio is the one with pixels replaced by a noisy blur; the ratio "
        "with pixels set to 0 is reported beside it, not gated.",
        "leave a uniform blob where a bright finding was, which still reads as a finding",
        "0.97 with zeros against 0.67 with the noisy blur",
        "RISE (Petsiuk et al. 2018)",
        "ROAD (Rong et al. 2022)",
        "128 pixels per step",
        "median probability of the explained class is 0.52",
    ):
        assert words in removal, words
    for words in (
        "from the output layer down to the input",
        "cascading, Adebayo et al. 2018",
        "smooth MPRT, Hedstr\u00f6m et al. 2023",
        "Binder et al. 2023",
        "seed 7",
        "SSIM",
        "median and P90",
    ):
        assert words in randomisation, words


# --- the summary ---------------------------------------------------------------------------------


def test_the_summary_says_in_one_sentence_each_which_map_check_failed() -> None:
    doc = make_map_checks_document()
    checks = [r for r in doc.results if isinstance(r, CheckResult)]
    assert map_check_sentences(checks, doc.gates) == [
        "Check C4 found that the integrated-gradients maps mark pixels whose removal lowers the "
        "model's output little more than removing random pixels, so they do not show what "
        "drives the model.",
        "Check C5 found that the integrated-gradients maps barely change when the model's "
        "learned weights are replaced by random ones, so they show the image more than the "
        "model and must not be relied on.",
    ]
    summary = build_summary(MODEL, doc.models[0], list(doc.results), doc.gates, "model-1")
    assert summary.sentences[-2:] == tuple(map_check_sentences(checks, doc.gates))


def test_a_warning_or_a_pass_adds_no_sentence() -> None:
    doc = make_map_checks_document()
    checks = [r for r in doc.results if isinstance(r, CheckResult)]
    passing = [g.model_copy(update={"status": "pass"}) for g in doc.gates if g.status == "fail"]
    warned = [g for g in doc.gates if g.status == "warn"]
    assert warned and map_check_sentences(checks, [*passing, *warned]) == []
    both = [g.model_copy(update={"status": "fail"}) for g in doc.gates if g.code == "C3"]
    (sentence,) = map_check_sentences(checks, both)
    assert sentence.startswith(
        "Check C3 found that the Grad-CAM and integrated-gradients maps move under noise"
    )


# --- the registry ------------------------------------------------------------------------------


@pytest.mark.parametrize("check", MAP_CHECKS)
def test_every_map_check_has_a_title_and_a_question(check: str) -> None:
    assert check in CHECK_TITLES and check in CHECK_QUESTIONS
