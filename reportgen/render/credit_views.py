"""View-model types of the fair-lending and calibration sections.

Like :mod:`reportgen.render.views`, every value is display-ready: numbers arrive as strings, and
the only floats left are chart series, drawn by :mod:`reportgen.render.charts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from reportgen.render.trust_views import VerdictLine
    from reportgen.render.views import ChartSpec, Fact


@dataclass(frozen=True)
class RatioChartSpec:
    """A dot plot of ratios with their 95 % intervals, one row per group (top first), and
    vertical lines at the fail and warn bands and at 1 (parity)."""

    id: str
    labels: tuple[str, ...]
    values: tuple[float, ...]
    lows: tuple[float | None, ...]
    highs: tuple[float | None, ...]
    fail_below: float
    warn_below: float
    axis_label: str
    caption: str


@dataclass(frozen=True)
class ReliabilitySpec:
    """A reliability diagram: per published bin, its mean score against its observed rate."""

    id: str
    predicted: tuple[float, ...]
    observed: tuple[float, ...]
    counts: tuple[int, ...]
    x_label: str
    y_label: str
    caption: str


@dataclass(frozen=True)
class FairGroupRow:
    """One group of an attribute; a suppressed row carries its label and the reason only."""

    label: str
    reference: bool
    suppressed: str | None
    size: str
    approval: str
    """``63 % (55 to 70 %)`` (an en dash for "to"): the approval rate and its 95 % interval."""
    air: str
    """``0.89 (0.75 to 1.04)``, ``reference`` or ``—``."""
    smd: str
    mean_score: str


@dataclass(frozen=True)
class FairAttributeView:
    """One sensitive attribute: its verdict, its groups, its AIR chart and its decomposed gap."""

    anchor: str
    title: str
    by: str
    reference: str
    """One sentence naming the reference group and how it was chosen."""
    verdict: VerdictLine | None
    rows: tuple[FairGroupRow, ...]
    chart: RatioChartSpec | None
    gap: str | None
    """The decomposition in words, or why there is none."""
    gap_chart: ChartSpec | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class FairLendingView:
    kind: Literal["fair_lending"]
    template: str
    heading: str
    intro: str
    facts: tuple[Fact, ...]
    attributes: tuple[FairAttributeView, ...]


@dataclass(frozen=True)
class CalibrationRow:
    """One row of the calibration table: all rows, an attribute's heading, or one group."""

    label: str
    kind: Literal["overall", "attribute", "group"]
    suppressed: str | None
    size: str
    ece: str
    brier: str


@dataclass(frozen=True)
class BinRow:
    """One bin of the reliability diagram, as a table row."""

    scores: str
    size: str
    mean_predicted: str
    observed: str
    suppressed: str | None


@dataclass(frozen=True)
class CalibrationView:
    kind: Literal["calibration"]
    template: str
    heading: str
    intro: str
    facts: tuple[Fact, ...]
    chart: ReliabilitySpec | None
    bins: tuple[BinRow, ...]
    rows: tuple[CalibrationRow, ...]
    notes: tuple[str, ...]
