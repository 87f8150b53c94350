"""The cohorts section: does the model behave, and reason, differently for groups of people?

One subsection per :class:`CohortResult` (a cohort family): a table with the overall row first,
a dot plot of explanation profiles and a sentence naming the cohort whose explanations differ
most. A suppressed cohort shows its label and the reason, never a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reportgen.render.format import fmt_fixed, fmt_int, join_words, metric_label, shorten
from reportgen.render.labels import NO_LABELS, Labels
from reportgen.render.privacy_views import (
    CohortFamilyView,
    CohortRow,
    CohortsView,
    ProfileChartSpec,
)
from reportgen.results.document import Cohort, CohortResult, MetricWithInterval

OVERALL_LABEL = "Overall"
NOISE_NOTE = "Counts, scores and profiles carry differential-privacy noise; see Privacy."
INTERVAL_NOTE = "Scores show their 95% interval in brackets where one could be computed."
SCORE_DECIMALS = 2
"""Cohort scores and their intervals: two decimals, as intervals rarely justify more."""
TOP_SHOWN = 3
"""Top features listed per cohort in the table."""
CHART_FEATURES = 6
"""The chart follows this many of the overall profile's top features."""
DASH = "\u2014"


def build_cohorts(
    results: Sequence[CohortResult],
    anchor: str,
    *,
    min_cohort_size: int | None,
    heading: str,
    template: str,
    labels: Labels = NO_LABELS,
) -> CohortsView:
    """The cohorts section of one model, families in document order.

    ``anchor`` prefixes the ids of the subsections and charts; ``min_cohort_size`` is the
    privacy gate's minimum, or None for documents that predate the gate; ``labels`` names the
    columns.
    """
    return CohortsView(
        kind="cohorts",
        template=template,
        heading=heading,
        intro=cohorts_intro(min_cohort_size),
        families=tuple(
            _family(result, f"{anchor}-cohorts-{index}", labels)
            for index, result in enumerate(results, 1)
        ),
    )


def cohorts_intro(min_cohort_size: int | None) -> str:
    """What cohorts are for, in one plain paragraph."""
    if min_cohort_size is None:
        suppression = "A suppressed cohort shows no numbers."
    else:
        suppression = (
            f"Cohorts with fewer than {fmt_int(min_cohort_size)} rows, and any that would let a "
            "reader work out a suppressed one from the totals, are suppressed and show no numbers."
        )
    return (
        "A model can do well on average and still work worse, or reason differently, for a "
        "particular group of people. Each table below splits the evaluation rows into cohorts "
        "(by a sensitive attribute, by bands of a column or by the predicted class) and shows, "
        "per cohort, how many rows it holds, how well the model scores there with a 95% "
        "interval, which features drive its explanations, and how far its explanations lie from "
        "the overall ones: the share of explanation weight that would have to move between "
        "features to turn one profile into the other (0 % means the same reasoning). "
        f"{suppression} A difference is a reason to look closer, not proof of unfair treatment; "
        "small cohorts have wide intervals."
    )


def _family(result: CohortResult, anchor: str, labels: Labels) -> CohortFamilyView:
    names = _metric_names(result)
    published = [c for c in result.cohorts if c.suppressed is None]
    rows = [_row(result.overall, names, labels, overall=True, noised=result.noised)]
    rows += [_row(c, names, labels, overall=False, noised=result.noised) for c in result.cohorts]
    notes = [INTERVAL_NOTE] if any("(" in m for row in rows for m in row.metrics) else []
    if result.noised:
        notes.append(NOISE_NOTE)
    return CohortFamilyView(
        anchor=anchor,
        title=result.family[:1].upper() + result.family[1:],
        by="by predicted class"
        if result.by == "predicted_class"
        else f"by {labels.column(result.by)}",
        metric_headings=tuple(metric_label(name) for name in names),
        span=len(names) + 3,
        rows=tuple(rows),
        chart=_chart(result.overall, published, f"{anchor}-profile", labels, noised=result.noised),
        finding=_finding(result.overall, result.cohorts, labels),
        notes=tuple(notes),
    )


def _metric_names(result: CohortResult) -> list[str]:
    """Metric columns: the overall row's metrics first, then any only cohorts carry."""
    shown = [result.overall, *(c for c in result.cohorts if c.suppressed is None)]
    return list(dict.fromkeys(m.name for cohort in shown for m in cohort.metrics))


def _row(
    cohort: Cohort, names: Sequence[str], labels: Labels, *, overall: bool, noised: bool
) -> CohortRow:
    label = OVERALL_LABEL if overall else cohort.label
    if cohort.suppressed is not None and not overall:
        return CohortRow(
            label=label,
            overall=False,
            suppressed=f"suppressed: {cohort.suppressed.strip().rstrip('.')}",
            size="",
            metrics=(),
            top_features="",
            distance="",
        )
    by_name = {m.name: m for m in cohort.metrics}
    return CohortRow(
        label=label,
        overall=overall,
        suppressed=None,
        size=fmt_size(cohort.size, noised=noised),
        metrics=tuple(fmt_interval(by_name.get(name)) for name in names),
        top_features=", ".join(labels.each(cohort.top_features[:TOP_SHOWN])) or DASH,
        distance=DASH if overall or cohort.distance is None else fmt_percent(cohort.distance),
    )


def fmt_size(size: float | None, *, noised: bool) -> str:
    """A cohort's row count as an integer; ``≈ 412`` when it carries noise."""
    if size is None:
        return DASH
    count = fmt_int(max(round(size), 0))
    return f"\u2248 {count}" if noised else count


def fmt_interval(metric: MetricWithInterval | None) -> str:
    """A score and its 95% interval, ``0.74 (0.69 to 0.79)`` with an en dash for "to".

    The value alone when there is no interval; a dash when the value is unknown.
    """
    if metric is None or metric.value is None:
        return DASH
    text = fmt_fixed(metric.value, SCORE_DECIMALS)
    if metric.low is None or metric.high is None:
        return text
    low, high = fmt_fixed(metric.low, SCORE_DECIMALS), fmt_fixed(metric.high, SCORE_DECIMALS)
    return f"{text} ({low}\u2013{high})"


def fmt_percent(share: float) -> str:
    """A share in [0, 1] as a whole percentage; ``< 1 %`` for a small share that is not zero."""
    percent = 100 * share
    if 0 < percent < 0.5:
        return "< 1 %"
    return f"{round(percent)} %"


def shares(profile: Mapping[str, float]) -> dict[str, float]:
    """A profile as each feature's share of the total (negative noise counts as zero)."""
    clipped = {feature: max(value, 0.0) for feature, value in profile.items()}
    total = sum(clipped.values())
    return {f: (v / total if total > 0 else 0.0) for f, v in clipped.items()}


def _ranked(profile: Mapping[str, float]) -> list[str]:
    return [f for f, _ in sorted(profile.items(), key=lambda item: (-item[1], item[0]))]


def _chart(
    overall: Cohort, published: Sequence[Cohort], chart_id: str, labels: Labels, *, noised: bool
) -> ProfileChartSpec | None:
    """Each published cohort's profile against the overall one, on the overall top features."""
    drawn = [c for c in published if c.profile]
    if not overall.profile or not drawn:
        return None
    features = _ranked(overall.profile)[:CHART_FEATURES]
    reference = shares(overall.profile)
    caption = (
        f"Each row is one of the {len(features)} features that weigh most in the overall "
        "explanations; each mark is the feature's share of a cohort's total mean |SHAP value| "
        "and the black bar its share overall. A mark far from the bar shows a cohort whose "
        "explanations lean on that feature more, or less, than the model does overall."
    )
    if noised:
        caption += " The shares carry differential-privacy noise."
    return ProfileChartSpec(
        id=chart_id,
        features=tuple(shorten(labels(f), 28) for f in features),
        overall=tuple(reference.get(f, 0.0) for f in features),
        overall_label=OVERALL_LABEL,
        cohorts=tuple(shorten(c.label, 24) for c in drawn),
        series=tuple(tuple(shares(c.profile).get(f, 0.0) for f in features) for c in drawn),
        axis_label="share of the cohort's explanation weight (mean |SHAP value|)",
        caption=caption,
    )


def _finding(overall: Cohort, cohorts: Sequence[Cohort], labels: Labels) -> str | None:
    """The published cohort with the largest distance from the overall profile, in words."""
    if cohorts and all(c.suppressed is not None for c in cohorts):
        return "Every cohort of this family was suppressed, so none can be compared."
    measured = [c for c in cohorts if c.suppressed is None and c.distance is not None]
    if not measured:
        return None
    far = max(measured, key=lambda c: c.distance or 0.0)  # max keeps the first of equals
    distance = fmt_percent(far.distance or 0.0)
    sentence = (
        f"The explanations of cohort '{far.label}' differ most from the overall ones "
        f"(distance {distance})"
    )
    if not far.top_features:
        return sentence + "."
    top = labels.each(far.top_features[:TOP_SHOWN])
    overall_top = labels.each(overall.top_features[:TOP_SHOWN])
    if top == overall_top:
        return (
            f"{sentence}: its top features are the same as overall ({join_words(top)}), but "
            "they weigh differently."
        )
    sentence += f": its top features are {join_words(top)}"
    if overall_top:
        sentence += f", against {join_words(overall_top)} overall"
    return sentence + "."
