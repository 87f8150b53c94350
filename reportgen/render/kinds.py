"""Every kind of result the report presents, described in one place: the render registry.

The engine runs from :mod:`reportgen.kinds`; rendering may not import it (the import contracts
keep rendering on the results document alone), so this registry is keyed by the same result
``kind`` tags, and a test checks that the two agree. An entry says how a kind reads in the
report: its section's heading, its place in a model's reading order, how a model's results of
the kind become section views, the partial template that draws them, and what the method
appendix calls each result and says about how it was computed.

Presenting a new kind of result takes its view builder module, its partial template and one
entry here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportgen import __version__
from reportgen.errors import RenderError
from reportgen.render.attention import attention_text, build_attention
from reportgen.render.calibration import build_calibration, calibration_text
from reportgen.render.cases import build_local_cases
from reportgen.render.cohorts import build_cohorts
from reportgen.render.edits import build_edits, edits_text
from reportgen.render.fair_lending import build_fair_lending, fair_lending_text
from reportgen.render.gradients import build_global_gradients, gradients_text
from reportgen.render.heatmaps import build_heatmaps, image_maps_of
from reportgen.render.image_cases import build_image_cases
from reportgen.render.method_text import (
    check_text,
    cohort_text,
    image_cases_text,
    image_maps_text,
    local_text,
    performance_text,
    permutation_text,
    reason_codes_text,
    shap_text,
)
from reportgen.render.network import build_network, network_text
from reportgen.render.privacy import cases_withheld, withheld_cases
from reportgen.render.reasons import build_reason_codes
from reportgen.render.recourse import build_recourse, recourse_text
from reportgen.render.section_kind import (
    IMAGE_KINDS,
    ModelContext,
    SectionKind,
    anchored,
    is_image_model,
    labelled,
    one_each,
)
from reportgen.render.sections import build_global_shap, build_performance, build_permutation
from reportgen.render.training import build_training_history, training_text
from reportgen.render.trust import TRUST_HEADING, build_trust, case_caveats
from reportgen.render.trust_text import CHECK_TITLES
from reportgen.render.views import SectionView
from reportgen.results.attention import AttentionResult
from reportgen.results.credit import (
    CalibrationResult,
    FairLendingResult,
    ReasonCodesResult,
    RecourseResult,
)
from reportgen.results.document import (
    CheckResult,
    CohortResult,
    GlobalGradientsResult,
    GlobalShapResult,
    LocalExplanationsResult,
    PerformanceResult,
    PermutationImportanceResult,
)
from reportgen.results.imaging import ImageCasesResult, ImageMapsResult
from reportgen.results.internals import EditsResult
from reportgen.results.network import NetworkResult
from reportgen.results.training import TrainingHistoryResult


def _trust(
    entry: SectionKind[CheckResult], checks: Sequence[CheckResult], model: ModelContext
) -> tuple[SectionView, ...]:
    """One section for all the model's checks, there even when none ran (it says so)."""
    view = build_trust(
        checks,
        model.gates,
        model.name,
        model.anchor,
        heading=entry.heading,
        template=entry.template,
        labels=model.labels,
    )
    return (view,)


def _cohorts(
    entry: SectionKind[CohortResult], families: Sequence[CohortResult], model: ModelContext
) -> tuple[SectionView, ...]:
    """One section for all the model's cohort families."""
    if not families:
        return ()
    minimum = model.privacy.min_cohort_size if model.privacy is not None else None
    view = build_cohorts(
        families,
        model.anchor,
        min_cohort_size=minimum,
        heading=entry.heading,
        template=entry.template,
        labels=model.labels,
    )
    return (view,)


def _heatmaps(
    entry: SectionKind[ImageMapsResult],
    results: Sequence[ImageMapsResult],
    model: ModelContext,
) -> tuple[SectionView, ...]:
    """One section per heat-maps result, its caveat naming C8 when the model was checked."""
    checked = _localisation_checked(model)
    minimum = model.privacy.min_cohort_size if model.privacy is not None else None
    return tuple(
        build_heatmaps(
            result,
            model.anchor,
            min_group_size=minimum,
            localisation_checked=checked,
            heading=entry.heading,
            template=entry.template,
        )
        for result in results
    )


def _attention(
    entry: SectionKind[AttentionResult], results: Sequence[AttentionResult], model: ModelContext
) -> tuple[SectionView, ...]:
    """One section per attention result, its features' global SHAP ranks beside them."""
    shap = next((r for r in model.results if isinstance(r, GlobalShapResult)), None)
    return tuple(
        build_attention(result, shap, heading=entry.heading, template=entry.template)
        for result in results
    )


def _localisation_checked(model: ModelContext) -> bool:
    """Whether check C8 compared the model's maps with annotated masks."""
    return any(isinstance(r, CheckResult) and r.check == "localisation" for r in model.results)


def _image_cases(
    entry: SectionKind[ImageCasesResult],
    results: Sequence[ImageCasesResult],
    model: ModelContext,
) -> tuple[SectionView, ...]:
    """One section per result of individual images (the gate admits them only on opt-in)."""
    return tuple(
        build_image_cases(
            result,
            model.anchor,
            pseudonymous=model.privacy is not None,
            localisation_checked=_localisation_checked(model),
            heading=entry.heading,
            template=entry.template,
        )
        for result in results
    )


def _cases(
    entry: SectionKind[LocalExplanationsResult],
    results: Sequence[LocalExplanationsResult],
    model: ModelContext,
) -> tuple[SectionView, ...]:
    """The audit cases, with the caveats of the model's checks; a sentence when withheld,
    except for an image model, which has no tabular audit cases to withhold."""
    if cases_withheld(model.privacy):
        return () if is_image_model(model) else (withheld_cases(entry.heading),)
    checks = [r for r in model.results if isinstance(r, CheckResult)]
    caveats = case_caveats(checks, model.gates, model.labels)
    return tuple(
        build_local_cases(
            result,
            model.anchor,
            heading=entry.heading,
            template=entry.template,
            caveats=caveats,
            pseudonymous=model.privacy is not None,
            labels=model.labels,
        )
        for result in results
    )


def _reasons(
    entry: SectionKind[ReasonCodesResult],
    results: Sequence[ReasonCodesResult],
    model: ModelContext,
) -> tuple[SectionView, ...]:
    """One section per reason codes result, with check C9's verdict when it ran."""
    minimum = model.privacy.min_cohort_size if model.privacy is not None else None
    return tuple(
        build_reason_codes(
            result,
            model.gates,
            min_cohort_size=minimum,
            heading=entry.heading,
            template=entry.template,
            labels=model.labels,
        )
        for result in results
    )


def _fair_lending(
    entry: SectionKind[FairLendingResult],
    results: Sequence[FairLendingResult],
    model: ModelContext,
) -> tuple[SectionView, ...]:
    """One section per fair-lending result, each attribute with its AIR gate's verdict."""
    return tuple(
        build_fair_lending(
            result,
            model.gates,
            model.anchor,
            heading=entry.heading,
            template=entry.template,
            labels=model.labels,
        )
        for result in results
    )


def _check_label(result: CheckResult) -> str:
    return f"Check {result.code}: {CHECK_TITLES.get(result.check, result.check).lower()}"


def _cohort_label(result: CohortResult) -> str:
    return f"Cohorts: {result.family}"


SECTION_KINDS: tuple[SectionKind[Any], ...] = (
    SectionKind[CheckResult](
        kind="check",
        heading=TRUST_HEADING,
        order=10,
        template="_trust.html",
        build=_trust,
        explain=check_text,
        label=_check_label,
    ),
    SectionKind[PerformanceResult](
        kind="model_performance",
        heading="Model performance",
        order=20,
        template="_performance.html",
        build=one_each(
            lambda entry, result, model: build_performance(
                result,
                heading=entry.heading,
                template=entry.template,
                unit="image" if image_maps_of(model.results) is not None else "row",
            )
        ),
        explain=performance_text,
    ),
    SectionKind[CalibrationResult](
        kind="calibration",
        heading="Calibration",
        order=22,
        template="_calibration.html",
        build=labelled(build_calibration),
        explain=calibration_text,
    ),
    SectionKind[ImageMapsResult](
        kind="image_maps",
        heading="Heat-maps",
        order=25,
        template="_heatmaps.html",
        build=_heatmaps,
        explain=image_maps_text,
    ),
    SectionKind[ImageCasesResult](
        kind="image_cases",
        heading="Individual images (shown by policy opt-in)",
        order=27,
        template="_image_cases.html",
        build=_image_cases,
        explain=image_cases_text,
    ),
    SectionKind[GlobalShapResult](
        kind="global_shap",
        heading="Global importance: SHAP",
        order=30,
        template="_global_shap.html",
        build=labelled(build_global_shap),
        explain=shap_text,
    ),
    SectionKind[GlobalGradientsResult](
        kind="global_gradients",
        heading="Global importance: gradients",
        order=35,
        template="_global_gradients.html",
        build=labelled(build_global_gradients),
        explain=gradients_text,
    ),
    SectionKind[PermutationImportanceResult](
        kind="permutation_importance",
        heading="Global importance: permutation",
        order=40,
        template="_permutation.html",
        build=labelled(build_permutation),
        explain=permutation_text,
    ),
    SectionKind[CohortResult](
        kind="cohorts",
        heading="Cohorts",
        order=50,
        template="_cohorts.html",
        build=_cohorts,
        explain=cohort_text,
        label=_cohort_label,
    ),
    SectionKind[ReasonCodesResult](
        kind="reason_codes",
        heading="Adverse-action reasons",
        order=52,
        template="_reason_codes.html",
        build=_reasons,
        explain=reason_codes_text,
    ),
    SectionKind[FairLendingResult](
        kind="fair_lending",
        heading="Fair lending",
        order=55,
        template="_fair_lending.html",
        build=_fair_lending,
        explain=fair_lending_text,
    ),
    SectionKind[EditsResult](
        kind="edits",
        heading="Edits for deployment",
        order=58,
        template="_edits.html",
        build=one_each(
            lambda entry, result, model: build_edits(
                result, model.gates, heading=entry.heading, template=entry.template
            )
        ),
        explain=edits_text,
    ),
    SectionKind[NetworkResult](
        kind="network",
        heading="Inside the network",
        order=59,
        template="_network.html",
        build=one_each(
            lambda entry, result, _: build_network(
                result, heading=entry.heading, template=entry.template
            )
        ),
        explain=network_text,
    ),
    SectionKind[AttentionResult](
        kind="attention",
        heading="Inside the network: attention",
        order=60,
        template="_attention.html",
        build=_attention,
        explain=attention_text,
    ),
    SectionKind[TrainingHistoryResult](
        kind="training_history",
        heading="Training history",
        order=57,
        template="_training_history.html",
        build=anchored(build_training_history),
        explain=training_text,
    ),
    SectionKind[LocalExplanationsResult](
        kind="local_explanations",
        heading="Audit cases",
        order=61,
        template="_local_cases.html",
        build=_cases,
        explain=local_text,
        withheld=cases_withheld,
    ),
    SectionKind[RecourseResult](
        kind="recourse",
        heading="Recourse for declined cases",
        order=65,
        template="_recourse.html",
        build=one_each(
            lambda entry, result, model: build_recourse(
                result, heading=entry.heading, template=entry.template, labels=model.labels
            )
        ),
        explain=recourse_text,
        withheld=cases_withheld,
    ),
)


def registry() -> dict[str, SectionKind[Any]]:
    """The entries by result kind, in reading order (read at call time, so tests can add one)."""
    return {entry.kind: entry for entry in sorted(SECTION_KINDS, key=lambda e: e.order)}


def section_kind(kind: str) -> SectionKind[Any]:
    """The entry that presents results of ``kind``.

    Raises:
        RenderError: no entry presents that kind.
    """
    entry = registry().get(kind)
    if entry is None:
        raise RenderError(
            f"results of kind {kind!r} cannot be rendered: this version of reportgen "
            f"({__version__}) has no report section for that kind"
        )
    return entry


def build_sections(model: ModelContext) -> tuple[SectionView, ...]:
    """The model's sections in reading order, each kind's made by its entry from the model's
    results of that kind.

    Raises:
        RenderError: a result's kind has no entry.
    """
    for result in model.results:
        section_kind(result.kind)
    return tuple(
        view
        for entry in registry().values()
        for view in entry.build(entry, [r for r in model.results if r.kind == entry.kind], model)
    )


__all__ = [
    "IMAGE_KINDS",
    "SECTION_KINDS",
    "ModelContext",
    "SectionKind",
    "build_sections",
    "is_image_model",
    "registry",
    "section_kind",
]
