"""View-model types of the cohort and privacy sections, and of audit cases a policy withholds.

Like :mod:`reportgen.render.views`, every value is display-ready: numbers arrive as strings, and
the only floats left are the series of :class:`ProfileChartSpec`, drawn by
:mod:`reportgen.render.charts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from reportgen.render.views import Fact


@dataclass(frozen=True)
class ProfileChartSpec:
    """A dot plot: per feature (rows, top first), each cohort's share of explanation weight.

    ``overall`` is drawn as a reference mark on every row; ``series`` holds one tuple per cohort,
    aligned with ``features``.
    """

    id: str
    features: tuple[str, ...]
    overall: tuple[float, ...]
    overall_label: str
    cohorts: tuple[str, ...]
    series: tuple[tuple[float, ...], ...]
    axis_label: str
    caption: str


@dataclass(frozen=True)
class CohortRow:
    """One row of a cohort table; a suppressed row carries its label and the reason only."""

    label: str
    overall: bool
    suppressed: str | None
    """``suppressed: <reason>``, shown across the number columns; everything else is empty."""
    size: str
    """``1,234``, or ``≈ 1,234`` when the count carries differential-privacy noise."""
    metrics: tuple[str, ...]
    """One per metric column: ``0.74 (0.69 to 0.79)`` (an en dash), ``0.74`` or ``—``."""
    top_features: str
    distance: str
    """Distance of the cohort's explanation profile from the overall one, e.g. ``12 %``."""


@dataclass(frozen=True)
class CohortFamilyView:
    """One family of cohorts (one ``CohortResult``): its table, chart and finding."""

    anchor: str
    title: str
    by: str
    """What the rows are split by, in words: ``by column age``, ``by predicted class``."""
    metric_headings: tuple[str, ...]
    span: int
    """Columns a suppressed row's note spans: everything after the label."""
    rows: tuple[CohortRow, ...]
    chart: ProfileChartSpec | None
    finding: str | None
    """Which published cohort's explanation differs most from the overall one, and how."""
    notes: tuple[str, ...]
    """How to read the scores' brackets; that the numbers carry noise, when they do."""


@dataclass(frozen=True)
class CohortsView:
    kind: Literal["cohorts"]
    template: str
    heading: str
    intro: str
    families: tuple[CohortFamilyView, ...]


@dataclass(frozen=True)
class WithheldCasesView:
    """In place of the audit cases when the policy withholds individual cases."""

    kind: Literal["local_explanations"]
    template: str
    heading: str
    sentence: str


@dataclass(frozen=True)
class SuppressedRow:
    family: str
    model: str
    cohort: str
    reason: str


@dataclass(frozen=True)
class LedgerRow:
    statistic: str
    mechanism: str
    epsilon: str
    sensitivity: str
    scale: str
    bounds: str


@dataclass(frozen=True)
class DifferentialPrivacyView:
    facts: tuple[Fact, ...]
    """Epsilon, delta, the unit of privacy and the budget spent."""
    ledger: tuple[LedgerRow, ...]


@dataclass(frozen=True)
class PrivacyView:
    """The report-level privacy section; ``recorded`` is False for pre-privacy documents."""

    heading: str
    intro: str
    recorded: bool
    rules: tuple[str, ...]
    facts: tuple[Fact, ...]
    cases_sentence: str | None
    """Whether individual cases are shown; None when a rule already says so in these words."""
    suppressed: tuple[SuppressedRow, ...]
    nothing_suppressed: str | None
    """``Nothing was suppressed.`` when ``suppressed`` is empty."""
    dp_sentence: str
    """Whether differential privacy is on, in one sentence."""
    dp: DifferentialPrivacyView | None
