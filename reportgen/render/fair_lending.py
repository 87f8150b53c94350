"""The fair-lending section: approval rates, adverse impact ratios and the gap behind them.

One subsection per sensitive attribute: the AIR gate's verdict, a table of its groups (approval
rate, AIR, standardized mean difference, each with its 95 % interval), a dot plot of the ratios
against the four-fifths line, and the decomposition of the score gap between two groups into
feature contributions as a ranked bar chart. A suppressed group shows its label and the reason,
never a number.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportgen.render.cohorts import DASH
from reportgen.render.credit_views import (
    FairAttributeView,
    FairGroupRow,
    FairLendingView,
    RatioChartSpec,
)
from reportgen.render.format import fmt_fixed, fmt_int, fmt_num, fmt_signed, plural, shorten
from reportgen.render.labels import NO_LABELS, Labels
from reportgen.render.trust import status_word
from reportgen.render.trust_views import VerdictLine
from reportgen.render.views import ChartSpec, Fact
from reportgen.results.credit import (
    AttributeFairness,
    FairLendingGroup,
    FairLendingResult,
    GapDecomposition,
)
from reportgen.results.document import GateOutcome, MetricWithInterval

GAP_FEATURES = 10
"""The gap chart shows this many features; the rest are summed into one bar."""
EN_DASH = "\u2013"


def build_fair_lending(
    result: FairLendingResult,
    gates: Sequence[GateOutcome],
    anchor: str,
    *,
    heading: str,
    template: str,
    labels: Labels = NO_LABELS,
) -> FairLendingView:
    """The fair-lending section of one model; ``gates`` are the model's gates, ``labels`` the
    columns' display names."""
    verdicts = {g.method: g for g in gates if g.check == "adverse_impact"}
    return FairLendingView(
        kind="fair_lending",
        template=template,
        heading=heading,
        intro=fair_lending_intro(result),
        facts=(
            Fact("Score", result.score),
            Fact("Approved when", f"score below {_g(result.cutoff)}"),
            Fact(
                "AIR bands",
                f"fail below {_g(result.air_fail_below)}, warn below {_g(result.air_warn_below)}",
            ),
            Fact("Intervals", _interval_words(result.bootstrap)),
        ),
        attributes=tuple(
            _attribute(result, item, verdicts.get(item.attribute), f"{anchor}-fair-{index}", labels)
            for index, item in enumerate(result.attributes, 1)
        ),
    )


def fair_lending_intro(result: FairLendingResult) -> str:
    return (
        "Do applicants of some groups get approved less often? For each sensitive attribute, "
        "the table gives each group's approval rate (the share whose "
        f"{result.score} is below {_g(result.cutoff)}), its adverse impact ratio (AIR: its "
        "approval rate divided by the reference group's) and the standardized mean difference "
        "of the scores (SMD: the difference of mean scores over the pooled standard deviation; "
        "positive means the group is scored as riskier). By the four-fifths rule an AIR below "
        f"{_g(result.air_fail_below)} is evidence of adverse impact. The score gap between "
        "two groups is then split into what each feature contributes, so a reviewer can see "
        "which inputs drive a difference. The model does not use the sensitive attributes; a "
        "difference arises through features associated with them."
    )


def _g(value: float) -> str:
    """A policy's threshold as written: 0.5, not 0.500."""
    return f"{value:g}"


def _interval_words(resamples: int) -> str:
    if resamples == 0:
        return "none (no bootstrap)"
    return f"95 % percentile bootstrap, {fmt_int(resamples)} resamples within each group"


def _attribute(
    result: FairLendingResult,
    item: AttributeFairness,
    gate: GateOutcome | None,
    anchor: str,
    labels: Labels,
) -> FairAttributeView:
    gap, gap_chart = _gap(result, item.decomposition, f"{anchor}-gap", labels)
    column = labels.column(item.attribute)
    return FairAttributeView(
        anchor=anchor,
        title=labels.title(item.attribute),
        by=f"by band of {column}" if item.bands is not None else f"by value of {column}",
        reference=_reference(item),
        verdict=None if gate is None else _verdict(gate, labels),
        rows=tuple(_row(group) for group in item.groups),
        chart=_chart(result, item, f"{anchor}-air"),
        gap=gap,
        gap_chart=gap_chart,
        notes=tuple(item.notes),
    )


def _reference(item: AttributeFairness) -> str:
    if item.reference is None:
        return "No reference group could be published, so no group is compared with one."
    how = (
        "the group of at least the minimum size approved most often"
        if item.reference_rule == "highest_approval_rate"
        else "named by the policy"
    )
    return f"Reference group: {item.reference} ({how})."


def _verdict(gate: GateOutcome, labels: Labels) -> VerdictLine:
    return VerdictLine(
        code=gate.code,
        check="Adverse impact ratio",
        method=labels(gate.method or ""),
        status=gate.status,
        status_word=status_word(gate.status),
        meaning=labels.relabel(gate.meaning, [gate.method or ""]),
        measured=f"Measured: {gate.actual}. Required: {gate.expected}.",
    )


def _row(group: FairLendingGroup) -> FairGroupRow:
    if group.suppressed is not None or group.size is None:
        reason = (group.suppressed or "suppressed").strip().rstrip(".")
        return FairGroupRow(group.label, False, f"suppressed: {reason}", "", "", "", "", "")
    return FairGroupRow(
        label=group.label,
        reference=group.reference,
        suppressed=None,
        size=fmt_int(group.size),
        approval=fmt_percent_interval(group.approval_rate),
        air="reference" if group.reference else fmt_ratio(group.adverse_impact_ratio),
        smd="reference"
        if group.reference
        else fmt_ratio(group.standardized_mean_difference, signed=True),
        mean_score=DASH if group.mean_score is None else fmt_fixed(group.mean_score, 2),
    )


def fmt_percent_interval(metric: MetricWithInterval | None) -> str:
    """A share with its interval, ``63 % (55 to 70 %)`` with an en dash for "to"; a dash when
    unknown."""
    if metric is None or metric.value is None:
        return DASH
    text = f"{100 * metric.value:.0f} %"
    if metric.low is None or metric.high is None:
        return text
    return f"{text} ({100 * metric.low:.0f}{EN_DASH}{100 * metric.high:.0f} %)"


def fmt_ratio(metric: MetricWithInterval | None, *, signed: bool = False) -> str:
    """A ratio or difference with its interval, two decimals: ``0.89 (0.75 to 1.04)`` with an
    en dash for "to"."""
    if metric is None or metric.value is None:
        return DASH
    show = fmt_signed if signed else fmt_fixed
    text = show(metric.value, 2)
    if metric.low is None or metric.high is None:
        return text
    joint = " to " if metric.low < 0 else EN_DASH  # "-0.29-0.19" would read as a subtraction
    return f"{text} ({fmt_fixed(metric.low, 2)}{joint}{fmt_fixed(metric.high, 2)})"


def _chart(
    result: FairLendingResult, item: AttributeFairness, chart_id: str
) -> RatioChartSpec | None:
    shown = [
        (g.label, g.adverse_impact_ratio)
        for g in item.groups
        if g.adverse_impact_ratio is not None and g.adverse_impact_ratio.value is not None
    ]
    if not shown:
        return None
    return RatioChartSpec(
        id=chart_id,
        labels=tuple(shorten(label, 28) for label, _ in shown),
        values=tuple(air.value or 0.0 for _, air in shown),
        lows=tuple(air.low for _, air in shown),
        highs=tuple(air.high for _, air in shown),
        fail_below=result.air_fail_below,
        warn_below=result.air_warn_below,
        axis_label=f"approval rate relative to {shorten(item.reference or '', 28)} (AIR)",
        caption=(
            "Each dot is a group's adverse impact ratio with its 95 % interval. Left of the "
            f"solid line at {_g(result.air_fail_below)} (the four-fifths rule) a group is "
            f"approved too rarely; between it and the dashed line at "
            f"{_g(result.air_warn_below)} the gate warns; 1 means the same rate as the "
            "reference."
        ),
    )


def _gap(
    result: FairLendingResult, gap: GapDecomposition | None, chart_id: str, labels: Labels
) -> tuple[str | None, ChartSpec | None]:
    if gap is None:
        return None, None
    rows = (
        "every evaluation row of both groups"
        if gap.rows == "all"
        else "a seeded sample of the larger group's rows"
    )
    direction = "higher" if gap.gap >= 0 else "lower"
    text = (
        f"Group {gap.group}'s mean score is {fmt_fixed(abs(gap.gap), 3)} {direction} than "
        f"group {gap.compared_with}'s, over {rows} ({plural(gap.group_rows, 'row')} and "
        f"{plural(gap.compared_rows, 'row')}; over all their rows the gap is "
        f"{fmt_signed(gap.gap_all_rows, 3)}). The features below make up that gap: each bar is "
        "the difference of the two groups' mean SHAP values, and the bars sum to the gap "
        f"(to within {fmt_num(abs(gap.residual)) if gap.residual else '0'})."
    )
    ranked = sorted(gap.contributions, key=lambda c: c.rank)
    shown, rest = ranked[:GAP_FEATURES], ranked[GAP_FEATURES:]
    names = [shorten(labels(c.feature)) for c in shown]
    values = [c.contribution for c in shown]
    if rest:
        names.append(f"{len(rest)} other features")
        values.append(sum(c.contribution for c in rest))
    chart = ChartSpec(
        id=chart_id,
        kind="diverging",
        labels=tuple(names),
        values=tuple(values),
        errors=None,
        axis_label=f"contribution to the gap in mean score ({shorten(gap.group, 20)} minus "
        f"{shorten(gap.compared_with, 20)})",
        caption=(
            f"Features ranked by how much they move group {gap.group}'s mean score away from "
            f"group {gap.compared_with}'s: a bar to the right raises it ({result.score}), to the "
            "left lowers it."
        ),
    )
    return text, chart


def fair_lending_text(result: FairLendingResult, seed: int) -> str:
    """How the fair-lending figures were computed, for the method appendix."""
    attributes = ", ".join(a.attribute for a in result.attributes) or "none"
    residuals = [abs(a.decomposition.residual) for a in result.attributes if a.decomposition]
    gap = ""
    if residuals:
        gap = (
            " The score gap between two groups is the difference of their mean interventional "
            "SHAP values of the score against the shared SHAP background: every row's values sum "
            "to its score minus the same base value, so the contributions sum to the gap in mean "
            f"score (largest residual {fmt_num(max(residuals))})."
        )
    return (
        f"Applicants are approved when the {result.score} is below {_g(result.cutoff)}. "
        f"Per group of each sensitive attribute ({attributes}), the approval rate is "
        "fairlearn's selection_rate through MetricFrame; the adverse impact ratio is a group's "
        "approval rate over the reference group's (fail below "
        f"{_g(result.air_fail_below)}, warn below {_g(result.air_warn_below)}); the "
        "standardized mean difference is (mean score of the group - mean score of the "
        "reference) / pooled standard deviation, pooled as sqrt(((n_g - 1) s_g^2 + (n_r - 1) "
        "s_r^2) / (n_g + n_r - 2)) with sample variances. Intervals: "
        f"{_interval_words(result.bootstrap)} (seed {seed}, one random stream per attribute and "
        f"group).{gap}"
    )


__all__ = [
    "build_fair_lending",
    "fair_lending_intro",
    "fair_lending_text",
    "fmt_percent_interval",
    "fmt_ratio",
]
