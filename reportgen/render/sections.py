"""The sections of the model-wide analyses: performance, global SHAP and permutation importance.

Each builder makes one section from one result; the render registry
(:mod:`reportgen.render.kinds`) gives it its heading and template.
"""

from __future__ import annotations

from reportgen.render.format import (
    column_decimals,
    fmt_fixed,
    fmt_int,
    fmt_num,
    metric_label,
    metric_name,
    plural,
    shorten,
)
from reportgen.render.labels import NO_LABELS, Labels
from reportgen.render.views import (
    ChartSpec,
    Fact,
    GlobalShapView,
    ImportanceRow,
    PerformanceView,
    PermutationView,
)
from reportgen.results.document import (
    FeatureImportance,
    GlobalShapResult,
    PerformanceResult,
    PermutationImportanceResult,
)

IMPORTANCE_DIGITS = 3
"""Significant digits of the largest importance; smaller ones get the same decimals."""
CHART_MAX_BARS = 15
"""Global charts show at most this many features; the tables list every feature."""


def by_rank(importances: list[FeatureImportance]) -> list[FeatureImportance]:
    """Importances in rank order, most important first (ties broken by feature name)."""
    return sorted(importances, key=lambda item: (item.rank, item.feature))


def build_performance(
    result: PerformanceResult, *, heading: str, template: str, unit: str = "row"
) -> PerformanceView:
    """The performance section: metrics and predicted class counts; ``unit`` is what the
    evaluation data holds (``row``, or ``image`` for an image model)."""
    counts = sorted(result.class_counts.items(), key=lambda item: (-item[1], item[0]))
    intro = f"Measured on {plural(result.rows, unit)} of the evaluation data."
    if counts:
        intro += " The class counts are the model's predictions, not the recorded outcomes."
    return PerformanceView(
        kind="model_performance",
        template=template,
        heading=heading,
        intro=intro,
        metrics=tuple(Fact(metric_label(m.name), fmt_fixed(m.value)) for m in result.metrics),
        class_counts=tuple(Fact(label, fmt_int(count)) for label, count in counts),
        count_heading=f"{unit.capitalize()}s",
    )


def importance_chart(
    chart_id: str,
    ranked: list[FeatureImportance],
    axis_label: str,
    caption: str,
    *,
    errors: bool,
    labels: Labels,
) -> ChartSpec:
    shown = ranked[:CHART_MAX_BARS]
    if len(ranked) > len(shown):
        caption += f" The chart shows the top {len(shown)} of {len(ranked)} features."
    return ChartSpec(
        id=chart_id,
        kind="bars",
        labels=tuple(shorten(labels(item.feature)) for item in shown),
        values=tuple(item.value for item in shown),
        errors=tuple(item.spread or 0.0 for item in shown) if errors else None,
        axis_label=axis_label,
        caption=caption,
    )


def build_global_shap(
    result: GlobalShapResult,
    anchor: str,
    *,
    heading: str,
    template: str,
    labels: Labels = NO_LABELS,
) -> GlobalShapView:
    """The global SHAP section; ``anchor`` prefixes its chart's id, ``labels`` names the
    features."""
    ranked = by_rank(result.importances)
    base = "" if result.base_value is None else f" ({fmt_num(result.base_value)})"
    caption = (
        f"Each bar is the average size of a feature's contribution to the {result.output} over "
        f"{plural(result.rows, 'explained row')}; a longer bar means the feature moves the "
        "output more, up or down."
    )
    return GlobalShapView(
        kind="global_shap",
        template=template,
        heading=heading,
        intro=(
            f"SHAP splits each prediction of the {result.output} into one contribution per "
            f"feature, starting from the average output over the background data{base}. "
            "Ranking features by the average size of their contributions shows which inputs "
            "drive the model overall."
        ),
        facts=_shap_facts(result),
        chart=importance_chart(
            f"{anchor}-shap",
            ranked,
            f"mean |SHAP value| ({result.output})",
            caption,
            errors=False,
            labels=labels,
        ),
        rows=_importance_rows(ranked, labels, spread=False),
    )


def _importance_rows(
    ranked: list[FeatureImportance], labels: Labels, *, spread: bool
) -> tuple[ImportanceRow, ...]:
    """Table rows; one number of decimals per table so the column lines up."""
    decimals = column_decimals([i.value for i in ranked], IMPORTANCE_DIGITS)
    return tuple(
        ImportanceRow(
            rank=i.rank,
            feature=labels(i.feature),
            value=fmt_fixed(i.value, decimals),
            spread=fmt_fixed(i.spread, decimals) if spread and i.spread is not None else None,
        )
        for i in ranked
    )


def _shap_facts(result: GlobalShapResult) -> tuple[Fact, ...]:
    exact = result.estimator == "exact"
    facts = [
        Fact("Estimator", f"{result.estimator} SHAP"),
        Fact("Model evaluations per row", fmt_int(result.evals_per_row)),
        Fact("Background rows", fmt_int(result.background_rows)),
        Fact("Rows explained", fmt_int(result.rows)),
    ]
    if result.base_value is not None:
        facts.append(Fact("Average output (base value)", fmt_num(result.base_value)))
    facts += [
        Fact("Additivity, largest error", fmt_num(result.additivity_max_error)),
        Fact(
            "Sampling standard error (mean)",
            "0 (exact)" if exact else fmt_num(result.standard_error_mean),
        ),
    ]
    if result.target_error is not None and result.orders_per_row is not None:
        facts += [
            Fact("Sampling stops at standard error", fmt_num(result.target_error)),
            Fact("Feature orders per row (mean)", fmt_num(result.orders_per_row)),
        ]
    return tuple(facts)


def build_permutation(
    result: PermutationImportanceResult,
    anchor: str,
    *,
    heading: str,
    template: str,
    labels: Labels = NO_LABELS,
) -> PermutationView:
    """The permutation importance section; ``anchor`` prefixes its chart's id, ``labels``
    names the features."""
    ranked = by_rank(result.importances)
    metric = metric_name(result.scoring)
    caption = (
        f"Each bar is the average loss of {metric} when the feature is shuffled, over "
        f"{plural(result.n_repeats, 'repeat')}; the whisker shows the standard deviation across "
        "repeats, and a bar near zero means the model barely relies on the feature."
    )
    return PermutationView(
        kind="permutation_importance",
        template=template,
        heading=heading,
        intro=(
            f"Permutation importance shuffles one feature at a time and measures how much the "
            f"model's {metric} worsens. It shows what the model relies on to be accurate on the "
            "evaluation data as a whole, not how it decides a single case."
        ),
        facts=(
            Fact("Scoring", metric),
            Fact("Baseline score", fmt_fixed(result.baseline_score)),
            Fact("Better scores are", "higher" if result.higher_is_better else "lower"),
            Fact("Repeats per feature", fmt_int(result.n_repeats)),
            Fact("Rows", fmt_int(result.rows)),
        ),
        chart=importance_chart(
            f"{anchor}-permutation",
            ranked,
            f"loss of {metric} when shuffled",
            caption,
            errors=True,
            labels=labels,
        ),
        rows=_importance_rows(ranked, labels, spread=True),
    )
