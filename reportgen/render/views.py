"""The typed view-model: everything a template shows, already sorted, rounded and worded.

Templates display these objects and compute nothing. Numbers arrive as display strings; the
only floats left are chart series, which :mod:`reportgen.render.charts` draws as SVG.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from reportgen.render.changes import ChangesView, ReviewView
from reportgen.render.credit_views import (
    CalibrationView,
    FairLendingView,
    RatioChartSpec,
    ReliabilitySpec,
)
from reportgen.render.privacy_views import CohortsView, PrivacyView, ProfileChartSpec
from reportgen.render.trust_views import CaveatView, DistributionSpec, TrustSummary, TrustView

if TYPE_CHECKING:
    from reportgen.render.traceability import TraceabilityView
    from reportgen.results.trail import ReviewStatus, VersionDiff


@dataclass(frozen=True)
class ReportMeta:
    """What the registry knows about the report being rendered, not the results."""

    version_label: str
    """The version as shown to readers, e.g. ``"v3"`` or ``"unpublished"``."""
    published_at: str
    """When the version was published, ISO 8601 date-time."""
    changes: VersionDiff | None = None
    """The diff against the previous version (its changes.json), if there is one."""
    review: ReviewStatus | None = None
    """The sign-off recorded beside the version when it is rendered, if any."""


@dataclass(frozen=True)
class Fact:
    """One labelled value, e.g. ``Fact("Estimator", "exact")``."""

    label: str
    value: str


@dataclass(frozen=True)
class ChartSpec:
    """The data of one horizontal bar chart, top bar first.

    ``bars``: magnitudes with optional error whiskers; ``diverging``: signed values around zero.
    """

    id: str
    kind: Literal["bars", "diverging"]
    labels: tuple[str, ...]
    values: tuple[float, ...]
    errors: tuple[float, ...] | None
    axis_label: str
    caption: str
    """One sentence telling the reader how to read the chart."""


@dataclass(frozen=True)
class ImportanceRow:
    rank: int
    feature: str
    value: str
    spread: str | None


@dataclass(frozen=True)
class ContributionRow:
    feature: str
    value: str
    condition: str | None
    contribution: str
    direction: Literal["raises", "lowers", "no effect"]
    tone: Literal["up", "down", "flat"]
    """For styling: ``up`` raises the explained output, ``down`` lowers it."""


@dataclass(frozen=True)
class PerformanceView:
    kind: Literal["model_performance"]
    template: str
    heading: str
    intro: str
    metrics: tuple[Fact, ...]
    class_counts: tuple[Fact, ...]
    count_heading: str = "Rows"
    """What the class counts count: ``Rows``, or ``Images`` for an image model."""


@dataclass(frozen=True)
class GlobalShapView:
    kind: Literal["global_shap"]
    template: str
    heading: str
    intro: str
    facts: tuple[Fact, ...]
    chart: ChartSpec
    rows: tuple[ImportanceRow, ...]


@dataclass(frozen=True)
class PermutationView:
    kind: Literal["permutation_importance"]
    template: str
    heading: str
    intro: str
    facts: tuple[Fact, ...]
    chart: ChartSpec
    rows: tuple[ImportanceRow, ...]


@dataclass(frozen=True)
class MethodCaseView:
    """One method's explanation of one audit case."""

    method: Literal["shap", "lime"]
    title: str
    facts: tuple[Fact, ...]
    show_condition: bool
    """LIME rows carry the rule the local model used for the feature."""
    amount_heading: str
    rows: tuple[ContributionRow, ...]
    chart: ChartSpec | None


@dataclass(frozen=True)
class CaseView:
    case_id: str
    stratum: str
    predicted: str
    explained_output: str
    output_value: str
    explanations: tuple[MethodCaseView, ...]
    caveats: tuple[CaveatView, ...] = ()
    """Warnings from trust checks whose gate did not pass, shown boxed above the case."""


@dataclass(frozen=True)
class LocalCasesView:
    kind: Literal["local_explanations"]
    template: str
    heading: str
    intro: str
    facts: tuple[Fact, ...]
    strata: tuple[Fact, ...]
    cases: tuple[CaseView, ...]


class SectionView(Protocol):
    """What the page needs of any section of a model, whatever its kind: its ``kind`` (which
    names its anchor), its heading and the partial that draws it; the partial reads the rest.

    A protocol, not a union of the view types, so that a new kind's view lives with its
    builder and joins the page through its registry entry (:mod:`reportgen.render.kinds`).
    """

    @property
    def kind(self) -> str: ...

    @property
    def heading(self) -> str: ...

    @property
    def template(self) -> str: ...


@dataclass(frozen=True)
class ModelView:
    """One model's part of the report, its sections in reading order."""

    name: str
    anchor: str
    facts: tuple[Fact, ...]
    features: tuple[Fact, ...]
    trusted: bool
    sections: tuple[SectionView, ...]


@dataclass(frozen=True)
class PageSection:
    """One section of the page. The report's list of them, in page order, is both its table
    of contents and its body."""

    anchor: str
    """The section's id on the page, which its line in the contents links to."""
    heading: str
    template: str
    """The partial that draws it. The partial reads this object as ``entry`` and, in a model's
    section, the section's view as ``section``."""
    model_tag: str | None = None
    """The model's name, shown beside the heading when the report covers several models."""
    section: SectionView | None = None
    """A model's section: the view its partial displays. None for report-level sections,
    whose partials read the report view."""
    opens_model: str | None = None
    """On a model's first section: the anchor of the model's part of the page, opened here."""
    closes_model: bool = False
    """On a model's last section: the model's part of the page ends after it."""


@dataclass(frozen=True)
class ModelSummary:
    name: str
    sentences: tuple[str, ...]
    key_metrics: tuple[Fact, ...]
    estimators: tuple[str, ...]
    warnings: tuple[str, ...]
    trust: TrustSummary


@dataclass(frozen=True)
class DatasetRow:
    role: str
    path: str
    rows: str
    columns: str
    sha256: str


@dataclass(frozen=True)
class HashRow:
    item: str
    path: str
    sha256: str


@dataclass(frozen=True)
class CostRow:
    model: str
    analysis: str
    model_rows: str
    model_calls: str
    wall_time: str
    model_time: str


@dataclass(frozen=True)
class MethodView:
    """The appendix: how each number was computed, and from exactly which inputs."""

    how: tuple[Fact, ...]
    not_run: tuple[Fact, ...]
    """Analyses the policy asks for that did not apply to a model, with the reason."""
    run: tuple[Fact, ...]
    libraries: tuple[Fact, ...]
    hashes: tuple[HashRow, ...]
    costs: tuple[CostRow, ...]


@dataclass(frozen=True)
class ReportView:
    """The whole report, ready to display."""

    title: str
    policy_id: str
    domain: str
    description: str
    version_label: str
    published: str
    header_line: str
    """Policy id, version and date: the running page header."""
    show_model_names: bool
    """Several models: label each section with its model."""
    banner: str | None
    """Shown on the first page when any gate failed or could not be evaluated."""
    banner_anchor: str
    """Where the banner's link points: the first trust section with a failed gate."""
    data_sentence: str
    summaries: tuple[ModelSummary, ...]
    datasets: tuple[DatasetRow, ...]
    models: tuple[ModelView, ...]
    method: MethodView
    changes: ChangesView
    """Changes since the previous version: placed right after the summary."""
    privacy: PrivacyView
    """What the privacy gate applied: placed before the appendix."""
    privacy_line: str | None
    """The summary's one line on privacy; None for documents that predate the gate."""
    sections: tuple[PageSection, ...]
    """The page's sections in order (summary, changes, sign-off, each model's sections,
    privacy, appendix): the contents list and the body both follow it."""
    review: ReviewView | None = None
    """Sign-off status, shown when reviews were recorded."""
    traceability: TraceabilityView | None = None
    """The model card and the requirement -> evidence matrix, when the policy selects a
    framework."""

    def charts(
        self,
    ) -> Iterator[
        ChartSpec | DistributionSpec | ProfileChartSpec | RatioChartSpec | ReliabilitySpec
    ]:
        """Every chart in the report, in reading order."""
        for model in self.models:
            for section in model.sections:
                if isinstance(section, FairLendingView):
                    for attribute in section.attributes:
                        yield from (c for c in (attribute.chart, attribute.gap_chart) if c)
                elif isinstance(section, CalibrationView):
                    yield from (c for c in (section.chart,) if c is not None)
                elif isinstance(section, TrustView):
                    yield from (c.chart for c in section.checks if c.chart is not None)
                elif isinstance(section, GlobalShapView | PermutationView):
                    yield section.chart
                elif isinstance(section, CohortsView):
                    yield from (f.chart for f in section.families if f.chart is not None)
                elif isinstance(section, LocalCasesView):
                    for case in section.cases:
                        yield from (e.chart for e in case.explanations if e.chart is not None)
