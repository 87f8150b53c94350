"""The calibration section: does a score of p mean a risk of p?

A reliability diagram of all rows (mean score against observed adverse rate per bin), its bins as
a table, and the expected calibration error and Brier score with their 95 % intervals, overall
and per group of each fair-lending attribute. Reported, not gated.
"""

from __future__ import annotations

from reportgen.render.cohorts import DASH
from reportgen.render.credit_views import BinRow, CalibrationRow, CalibrationView, ReliabilitySpec
from reportgen.render.format import fmt_fixed, fmt_int, plural
from reportgen.render.labels import NO_LABELS, Labels
from reportgen.render.views import Fact
from reportgen.results.credit import CalibrationFigures, CalibrationResult, ReliabilityBin
from reportgen.results.document import MetricWithInterval

EN_DASH = "\u2013"


def build_calibration(
    result: CalibrationResult,
    anchor: str,
    *,
    heading: str,
    template: str,
    labels: Labels = NO_LABELS,
) -> CalibrationView:
    """The calibration section of one model; ``anchor`` prefixes its chart's id, ``labels``
    names the attributes."""
    rows = [_row(result.overall, "Overall", "overall")]
    for item in result.attributes:
        title = f"By {labels.words(item.attribute)}"
        rows.append(CalibrationRow(title, "attribute", None, "", "", ""))
        rows += [_row(group, group.label, "group") for group in item.groups]
    return CalibrationView(
        kind="calibration",
        template=template,
        heading=heading,
        intro=calibration_intro(result),
        facts=(
            Fact("Score", result.score),
            Fact("ECE bins", f"{result.bins} equal-width bins on [0, 1]"),
            Fact(
                "Intervals",
                "none (no bootstrap)"
                if result.bootstrap == 0
                else f"95 % percentile bootstrap, {fmt_int(result.bootstrap)} resamples of rows",
            ),
        ),
        chart=_chart(result, f"{anchor}-reliability"),
        bins=tuple(_bin(b) for b in result.reliability),
        rows=tuple(rows),
        notes=_notes(result),
    )


def calibration_intro(result: CalibrationResult) -> str:
    return (
        f"A score is calibrated when, among applicants scored p, a share p turns out "
        f"'{result.adverse_class}'. The diagram plots each bin's mean score against the share "
        "observed; points on the diagonal are perfectly calibrated, points below it overstate "
        "the risk. The expected calibration error (ECE) is the row-weighted mean distance "
        "between the two over the bins (0 is perfect); the Brier score is the mean squared "
        "difference between score and outcome (lower is better; it also rewards a score that "
        "separates the outcomes). ECE is biased upward on few rows (the noise in each bin's "
        "observed share adds to the distance), so its bootstrap interval lies mostly above the "
        "figure. Calibration is reported, not gated: there is no accepted threshold for a "
        "credit score, as both figures depend on the base rate and the bins."
    )


def _row(figures: CalibrationFigures, label: str, kind: str) -> CalibrationRow:
    if figures.suppressed is not None or figures.size is None:
        reason = (figures.suppressed or "suppressed").strip().rstrip(".")
        return CalibrationRow(label, "group", f"suppressed: {reason}", "", "", "")
    return CalibrationRow(
        label=label,
        kind="overall" if kind == "overall" else "group",
        suppressed=None,
        size=fmt_int(figures.size),
        ece=_three(figures.expected_calibration_error),
        brier=_three(figures.brier_score),
    )


def _three(metric: MetricWithInterval | None) -> str:
    """Three decimals: calibration errors are small."""
    if metric is None or metric.value is None:
        return DASH
    if metric.low is None or metric.high is None:
        return fmt_fixed(metric.value, 3)
    return (
        f"{fmt_fixed(metric.value, 3)} ({fmt_fixed(metric.low, 3)}{EN_DASH}"
        f"{fmt_fixed(metric.high, 3)})"
    )


def _bin(b: ReliabilityBin) -> BinRow:
    scores = f"{b.low:g}{EN_DASH}{b.high:g}"
    if b.count is None:
        reason = (b.suppressed or "suppressed").strip().rstrip(".")
        return BinRow(scores, "", "", "", f"suppressed: {reason}")
    return BinRow(
        scores=scores,
        size=fmt_int(b.count),
        mean_predicted=DASH if b.mean_predicted is None else fmt_fixed(b.mean_predicted, 2),
        observed=DASH if b.observed_rate is None else fmt_fixed(b.observed_rate, 2),
        suppressed=None,
    )


def _chart(result: CalibrationResult, chart_id: str) -> ReliabilitySpec | None:
    shown = [
        b
        for b in result.reliability
        if b.count and b.mean_predicted is not None and b.observed_rate is not None
    ]
    if not shown:
        return None
    return ReliabilitySpec(
        id=chart_id,
        predicted=tuple(b.mean_predicted or 0.0 for b in shown),
        observed=tuple(b.observed_rate or 0.0 for b in shown),
        counts=tuple(b.count or 0 for b in shown),
        x_label=f"mean score in the bin ({result.score})",
        y_label=f"observed share '{result.adverse_class}'",
        caption=(
            f"Each point is one bin of {plural(result.rows, 'evaluation row')}, its area "
            "proportional to the rows it holds; the diagonal is perfect calibration. Suppressed "
            "bins are not drawn."
        ),
    )


def _notes(result: CalibrationResult) -> tuple[str, ...]:
    cuts = " and ".join(f"{t:g}" for t in result.thresholds)
    return (
        f"The diagram's bins are the ECE's bins, also split at {cuts} (where the decisions and "
        "the predicted classes change), so that a suppressed bin cannot be worked out from the "
        "counts published elsewhere.",
        "Per-group reliability diagrams are not shown: with the overall one they would form a "
        "cross-table whose small cells could be worked out.",
    )


def calibration_text(result: CalibrationResult, seed: int) -> str:
    """How the calibration figures were computed, for the method appendix."""
    cuts = " and ".join(f"{t:g}" for t in result.thresholds)
    intervals = (
        "no intervals (no bootstrap)"
        if result.bootstrap == 0
        else f"95 % percentile bootstrap intervals from {fmt_int(result.bootstrap)} resamples of "
        f"rows, within each group for a group's figures (seed {seed})"
    )
    return (
        f"The score is the {result.score}; the outcome is 1 where the observed class is "
        f"'{result.adverse_class}'. Expected calibration error over {result.bins} equal-width "
        "bins (bin i holds i/M <= p < (i+1)/M, the last also p = 1): the sum over bins of "
        "(rows in the bin / all rows) x |observed share - mean score|. Brier score: the mean of "
        f"(score - outcome)^2. The reliability diagram uses the same bins split at {cuts}. "
        f"{intervals[:1].upper()}{intervals[1:]}."
    )


__all__ = ["build_calibration", "calibration_intro", "calibration_text"]
