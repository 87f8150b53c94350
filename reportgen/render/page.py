"""The page's sections in order, as data: the table of contents and the body both follow it.

Report-level sections come first and last; between them, each model's sections in the order the
render registry gives them (:mod:`reportgen.render.kinds`).
"""

from __future__ import annotations

from collections.abc import Sequence

from reportgen.render.changes import ChangesView, ReviewView
from reportgen.render.privacy import PRIVACY_ANCHOR
from reportgen.render.privacy_views import PrivacyView
from reportgen.render.traceability import (
    MODEL_CARD_ANCHOR,
    MODEL_CARD_HEADING,
    TRACE_ANCHOR,
    TraceabilityView,
)
from reportgen.render.views import ModelView, PageSection

SUMMARY_HEADING = "Summary"
METHOD_HEADING = "Appendix: method and provenance"


def page_sections(
    models: Sequence[ModelView],
    *,
    changes: ChangesView,
    review: ReviewView | None,
    privacy: PrivacyView,
    show_model_names: bool,
    traceability: TraceabilityView | None = None,
) -> tuple[PageSection, ...]:
    """Summary, changes since the previous version, sign-off (when reviews were recorded), each
    model's sections, the model card and regulatory traceability (when the policy selects a
    framework), privacy, and the method appendix."""
    opening = [
        PageSection("summary", SUMMARY_HEADING, "_summary.html"),
        PageSection("changes", changes.heading, "_changes.html"),
    ]
    if review is not None:
        opening.append(PageSection("signoff", review.heading, "_review.html"))
    tracing = (
        [
            PageSection(MODEL_CARD_ANCHOR, MODEL_CARD_HEADING, "_model_card.html"),
            PageSection(TRACE_ANCHOR, traceability.heading, "_traceability.html"),
        ]
        if traceability is not None
        else []
    )
    closing = [
        *tracing,
        PageSection(PRIVACY_ANCHOR, privacy.heading, "_privacy.html"),
        PageSection("method", METHOD_HEADING, "_method.html"),
    ]
    middle = [
        entry
        for model in models
        for entry in _model_sections(model, model.name if show_model_names else None)
    ]
    return (*opening, *middle, *closing)


def _model_sections(model: ModelView, tag: str | None) -> list[PageSection]:
    """The model's sections as page sections, the first opening its part of the page and the
    last closing it; ``tag`` is the model name shown beside each heading, if any."""
    last = len(model.sections) - 1
    return [
        PageSection(
            anchor=f"{model.anchor}-{section.kind}",
            heading=section.heading,
            template=section.template,
            model_tag=tag,
            section=section,
            opens_model=model.anchor if index == 0 else None,
            closes_model=index == last,
        )
        for index, section in enumerate(model.sections)
    ]
