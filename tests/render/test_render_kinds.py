"""The render registry: one entry per result kind drives a model's sections and the appendix,
and it agrees with the results schema and the engine's registry of kinds (#9)."""

from __future__ import annotations

import dataclasses
from typing import get_args

import pytest
from attention_fixture import make_attention
from credit_fixture import calibration, fair_lending
from edits_fixture import make_edits
from gradients_fixture import make_global_gradients
from image_cases_fixture import make_image_cases
from imaging_fixture import make_image_maps, make_localisation
from network_fixture import make_network
from privacy_fixture import make_private_document
from reasons_fixture import make_reason_check, make_reason_codes
from recourse_fixture import make_recourse
from render_fixture import META, MODEL
from training_fixture import make_training_history
from trust_fixture import make_checked_document

from reportgen import kinds as compute_kinds
from reportgen.errors import RenderError
from reportgen.render import build_view, render_html
from reportgen.render import kinds as render_kinds
from reportgen.render.html import make_environment
from reportgen.render.kinds import SECTION_KINDS, registry, section_kind
from reportgen.render.trust_text import CHECK_QUESTIONS, CHECK_TITLES
from reportgen.results.document import RESULT_KINDS, CheckName, ResultDocument

CHECK_NAMES = frozenset(get_args(CheckName))
"""Every trust check the results schema knows, the image checks (C8) included."""


def _replaced(kind: str, **changes: object) -> tuple[render_kinds.SectionKind[object], ...]:
    return tuple(
        dataclasses.replace(entry, **changes) if entry.kind == kind else entry
        for entry in SECTION_KINDS
    )


def _every_kind() -> ResultDocument:
    """The fixture document with a result of every kind: checks, cohorts, audit cases, reason
    codes, recourse, fair lending and calibration, and an image model's heat-maps, individual
    images and check C8 too (all on one model, to keep one set of sections)."""
    doc = make_private_document(local_cases=True)
    checks = [r for r in make_checked_document().results if r.kind == "check"]
    checks += [make_reason_codes(), make_reason_check()[0]]
    imaging = [
        r.model_copy(update={"model": MODEL})
        for r in (make_image_maps(), make_image_cases(), make_localisation())
    ]
    credit = [make_recourse(), fair_lending(), calibration(), make_global_gradients()]
    credit += [make_edits(), make_network(), make_attention(), make_training_history()]
    return doc.model_copy(update={"results": [*doc.results, *checks, *imaging, *credit]})


def _result_tag(kind: compute_kinds.AnalysisKind) -> str:
    """The tag of a compute kind's results: its name, or ``check`` for a trust check."""
    return "check" if kind.name in CHECK_NAMES else kind.name


def test_every_result_kind_of_the_schema_has_exactly_one_entry() -> None:
    assert sorted(entry.kind for entry in SECTION_KINDS) == sorted(RESULT_KINDS)


def test_every_kind_the_engine_runs_has_an_entry_that_renders_its_results() -> None:
    engine = compute_kinds.registry().values()
    assert {_result_tag(kind) for kind in engine} <= set(registry())
    doc = _every_kind()
    made_by = {compute_kinds.kind_of(result) for result in doc.results}
    assert None not in made_by, "every fixture result is of a kind the engine runs"
    page = render_html(doc, META)
    for entry in registry().values():
        assert f">{entry.heading}</h2>" in page
    checks = {kind.name for kind in engine if _result_tag(kind) == "check"}
    assert checks <= set(CHECK_TITLES) and checks <= set(CHECK_QUESTIONS)


def test_every_entrys_template_is_shipped_and_compiles() -> None:
    env = make_environment()
    for entry in SECTION_KINDS:  # a missing or broken partial raises here
        assert env.get_template(entry.template).name == entry.template


def test_the_registry_lists_the_kinds_in_reading_order() -> None:
    assert [(entry.kind, entry.heading) for entry in registry().values()] == [
        ("check", "Can these explanations be trusted?"),
        ("model_performance", "Model performance"),
        ("calibration", "Calibration"),
        ("image_maps", "Heat-maps"),
        ("image_cases", "Individual images (shown by policy opt-in)"),
        ("global_shap", "Global importance: SHAP"),
        ("global_gradients", "Global importance: gradients"),
        ("permutation_importance", "Global importance: permutation"),
        ("cohorts", "Cohorts"),
        ("reason_codes", "Adverse-action reasons"),
        ("fair_lending", "Fair lending"),
        ("training_history", "Training history"),
        ("edits", "Edits for deployment"),
        ("network", "Inside the network"),
        ("attention", "Inside the network: attention"),
        ("local_explanations", "Audit cases"),
        ("recourse", "Recourse for declined cases"),
    ]


def test_a_models_checks_and_its_cohort_families_each_form_one_section() -> None:
    (model,) = build_view(_every_kind(), META).models
    assert [s.kind for s in model.sections] == [
        "trust",
        "model_performance",
        "calibration",
        "image_maps",
        "image_cases",
        "global_shap",
        "global_gradients",
        "permutation_importance",
        "cohorts",
        "reason_codes",
        "fair_lending",
        "training_history",
        "edits",
        "network",
        "attention",
        "local_explanations",
        "recourse",
    ]
    assert [s.template for s in model.sections] == [e.template for e in registry().values()]
    assert [s.heading for s in model.sections] == [e.heading for e in registry().values()]


def test_an_entrys_order_and_heading_reach_the_sections_and_the_appendix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entries = _replaced("permutation_importance", order=25, heading="Shuffled importance")
    monkeypatch.setattr(render_kinds, "SECTION_KINDS", entries)
    view = build_view(make_checked_document(), META)
    assert [s.heading for s in view.models[0].sections][1:4] == [
        "Model performance",
        "Shuffled importance",
        "Global importance: SHAP",
    ]
    assert [row.analysis for row in view.method.costs][:3] == [
        "Check C1: completeness",
        "Check C2: rerun stability",
        "Check C3: robustness to small input changes",
    ]
    analyses = [row.analysis for row in view.method.costs if not row.analysis.startswith("Check")]
    assert analyses == [
        "Model performance",
        "Shuffled importance",
        "Global importance: SHAP",
        "Audit cases",
    ]
    how = [fact.label for fact in view.method.how if not fact.label.startswith("Check")]
    assert how == analyses


def test_an_entrys_method_text_is_what_the_appendix_says(monkeypatch: pytest.MonkeyPatch) -> None:
    entries = _replaced("global_shap", explain=lambda result, seed: f"rows={result.rows} {seed}")
    monkeypatch.setattr(render_kinds, "SECTION_KINDS", entries)
    how = {fact.label: fact.value for fact in build_view(make_checked_document(), META).method.how}
    assert how["Global importance: SHAP"] == "rows=500 20250304"


def test_a_result_kind_without_an_entry_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept = tuple(entry for entry in SECTION_KINDS if entry.kind != "permutation_importance")
    monkeypatch.setattr(render_kinds, "SECTION_KINDS", kept)
    message = (
        "results of kind 'permutation_importance' cannot be rendered: this version of reportgen "
        r"\(0\.1\.0\) has no report section for that kind"
    )
    with pytest.raises(RenderError, match=f"^{message}$"):
        build_view(make_checked_document(), META)
    with pytest.raises(RenderError, match="'heatmap'"):
        section_kind("heatmap")
