"""The shape of a render-registry entry and what a kind's builder may read: the types
:mod:`reportgen.render.kinds` declares every section kind with."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from reportgen.render.labels import NO_LABELS, Labels
from reportgen.render.views import SectionView
from reportgen.results.document import GateOutcome, PrivacyReport, Result

R = TypeVar("R")

IMAGE_KINDS = frozenset({"image_maps", "image_cases"})
"""The result kinds only an image model has."""


@dataclass(frozen=True)
class ModelContext:
    """What a kind's builder may read besides the model's results of its own kind."""

    name: str
    anchor: str
    """The model's anchor on the page, which prefixes the ids of its sections and charts."""
    results: tuple[Result, ...]
    """Every result of the model in reading order, less those the privacy report withholds
    (audit cases read the trust checks' caveats from here)."""
    gates: tuple[GateOutcome, ...]
    """The model's own gates."""
    privacy: PrivacyReport | None
    """What the privacy gate applied; None for documents that predate the gate."""
    labels: Labels = NO_LABELS
    """The display names of the columns (the policy's ``data.labels``)."""


Build = Callable[["SectionKind[R]", Sequence[R], ModelContext], tuple[SectionView, ...]]


def never(_: PrivacyReport | None) -> bool:
    return False


@dataclass(frozen=True)
class SectionKind(Generic[R]):
    """How the results of one ``kind`` are presented in the report.

    ``build`` gets this entry (for its heading and template), the model's results of the kind
    in reading order (possibly none) and the model's context; it returns the model's sections
    for the kind, in order: one per result, one for all of them (a model's trust checks, its
    cohort families), or none. ``explain`` words how one result was computed, given the run's
    seed; ``label`` names one result in the appendix (None: the heading). Results of a kind
    the privacy report ``withheld`` reach neither the sections nor the appendix.
    """

    kind: str
    heading: str
    order: int
    """Place in a model's reading order: lower comes first."""
    template: str
    build: Build[R]
    explain: Callable[[R, int], str]
    label: Callable[[R], str] | None = None
    withheld: Callable[[PrivacyReport | None], bool] = never

    def label_of(self, result: R) -> str:
        """The result's name in the method appendix."""
        return self.heading if self.label is None else self.label(result)


def one_each(
    build_one: Callable[[SectionKind[R], R, ModelContext], SectionView],
) -> Build[R]:
    """A builder that makes one section per result."""

    def build(
        entry: SectionKind[R], results: Sequence[R], model: ModelContext
    ) -> tuple[SectionView, ...]:
        return tuple(build_one(entry, result, model) for result in results)

    return build


def anchored(build_one: Callable[..., SectionView]) -> Build[R]:
    """A builder that makes one section per result from the result and the model's anchor:
    ``build_one(result, anchor, heading=..., template=...)``."""
    return one_each(
        lambda entry, result, model: build_one(
            result, model.anchor, heading=entry.heading, template=entry.template
        )
    )


def labelled(build_one: Callable[..., SectionView]) -> Build[R]:
    """A builder like :func:`anchored` whose ``build_one`` also names columns:
    ``build_one(result, anchor, heading=..., template=..., labels=...)``."""
    return one_each(
        lambda entry, result, model: build_one(
            result,
            model.anchor,
            heading=entry.heading,
            template=entry.template,
            labels=model.labels,
        )
    )


def is_image_model(model: ModelContext) -> bool:
    """Whether the model explains images: it has a result only an image model has."""
    return any(r.kind in IMAGE_KINDS for r in model.results)
