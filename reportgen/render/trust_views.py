"""View-model types of the "Can these explanations be trusted?" section and its echoes.

The echoes are the caveat boxes on audit cases, the trust lines of the summary and the banner
on the first page. Like :mod:`reportgen.render.views`, every value is display-ready.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["pass", "warn", "fail", "error"]


@dataclass(frozen=True)
class DistributionSpec:
    """The data of one strip chart: per-instance values of one metric, one row per method.

    Rows run top to bottom; ``controls`` marks the random-attribution rows, drawn apart.
    """

    id: str
    labels: tuple[str, ...]
    series: tuple[tuple[float, ...], ...]
    controls: tuple[bool, ...]
    chance: tuple[float | None, ...]
    """Per row: the metric's value by pure chance, drawn as a dashed line where known."""
    x_range: tuple[float, float] | None
    """The metric's natural range (e.g. 0 to 1 for an overlap), or None to fit the values."""
    log_scale: bool
    """Draw the value axis on a logarithmic scale (all values are then positive)."""
    axis_label: str
    caption: str


@dataclass(frozen=True)
class VerdictLine:
    """One gate's verdict: ``C2 Rerun stability, LIME: WARN`` and what it means."""

    code: str
    check: str
    method: str
    status: Status
    status_word: str
    """``PASS``, ``WARN``, ``FAIL`` or ``ERROR``: the badge says it in text, not colour alone."""
    meaning: str
    measured: str
    """``Measured: ... Required: ...``, shown smaller under the meaning."""


@dataclass(frozen=True)
class Badge:
    label: str
    status: Status
    status_word: str


@dataclass(frozen=True)
class CheckMetricRow:
    method: str
    metric: str
    better: Literal["higher", "lower"]
    median: str
    tail: str
    """``P10 0.80`` when higher is better, ``P90 0.12`` when lower is better; ``—`` if unknown."""
    pass_rate: str
    chance: str
    control: bool
    """The random-attribution control, shown apart from the methods it calibrates."""


@dataclass(frozen=True)
class CheckView:
    """One check's subsection: what it asks, its numbers and the distribution of its headline."""

    code: str
    anchor: str
    title: str
    badges: tuple[Badge, ...]
    question: str
    """What the check asks, in plain words."""
    scope: str
    error: str | None
    subject: str
    """What a row follows: ``Method``, or ``Feature`` for the global ranking's stability."""
    rows: tuple[CheckMetricRow, ...]
    chart: DistributionSpec | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class TrustView:
    kind: Literal["trust"]
    template: str
    heading: str
    intro: str
    verdicts: tuple[VerdictLine, ...]
    checks: tuple[CheckView, ...]


@dataclass(frozen=True)
class CaveatView:
    """A boxed warning on an audit case: a check found part of its explanation unreliable."""

    label: str
    """E.g. ``C2 rerun stability, LIME``."""
    status: Status
    status_word: str
    text: str


@dataclass(frozen=True)
class TrustSummary:
    """The summary's trust lines for one model."""

    tally: str
    """``5 checks passed, 1 warned, 1 failed.``, or that no trust checks were run."""
    alarm: str | None
    """Set when a gate of this model failed or could not be evaluated."""
    anchor: str
    """Where the trust section starts, for the link after ``alarm``."""
    link_text: str
