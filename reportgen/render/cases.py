"""The audit cases section: each sampled case with its SHAP and LIME contributions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from reportgen.render.format import (
    column_decimals,
    direction,
    fmt_fixed,
    fmt_int,
    fmt_num,
    fmt_signed,
    number_word,
    shorten,
)
from reportgen.render.labels import NO_LABELS, Labels
from reportgen.render.trust_views import CaveatView
from reportgen.render.views import (
    CaseView,
    ChartSpec,
    ContributionRow,
    Fact,
    LocalCasesView,
    MethodCaseView,
)
from reportgen.results.document import (
    CaseExplanation,
    Contribution,
    LocalExplanationsResult,
    MethodExplanation,
)

RECORD_IDS = "Cases are named by the evaluation data's record identifier."
PSEUDONYMOUS = "Case identifiers are pseudonymous (keyed hash) and values are shown as ranges."


def by_magnitude(contributions: list[Contribution]) -> list[Contribution]:
    """Contributions by absolute size, largest first (ties broken by feature name)."""
    return sorted(contributions, key=lambda item: (-abs(item.contribution), item.feature))


def build_local_cases(
    result: LocalExplanationsResult,
    anchor: str,
    *,
    heading: str,
    template: str,
    caveats: Mapping[str, tuple[CaveatView, ...]],
    pseudonymous: bool = False,
    labels: Labels = NO_LABELS,
) -> LocalCasesView:
    """The audit cases section; ``anchor`` prefixes the ids of the case charts.

    ``caveats``: trust-check warnings per case id, boxed on the matching case.
    ``pseudonymous``: the privacy gate ran, so ids are keyed hashes and values are ranges.
    ``labels``: the display names of the features.
    """
    strata = sorted(result.strata.items())
    drawn = join_counts(strata)
    facts = [
        Fact("Methods", ", ".join(m.upper() for m in result.methods)),
        Fact("Contributions shown per method", fmt_int(result.top_k)),
    ]
    if result.shap_estimator is not None:
        evals = result.shap_evals_per_row
        detail = f", {fmt_int(evals)} model evaluations per case" if evals is not None else ""
        facts.append(Fact("SHAP estimator", f"{result.shap_estimator}{detail}"))
    if result.lime_num_samples is not None:
        facts.append(Fact("LIME samples per case", fmt_int(result.lime_num_samples)))
    return LocalCasesView(
        kind="local_explanations",
        template=template,
        heading=heading,
        intro=(
            f"The {number_word(len(result.cases))} cases below are a stratified sample of the "
            f"evaluation data, drawn per predicted class ({drawn}). They illustrate how the model "
            "reasons about individual cases; they do not show how often each pattern occurs. "
            + (PSEUDONYMOUS if pseudonymous else RECORD_IDS)
        ),
        facts=tuple(facts),
        strata=tuple(Fact(label, fmt_int(count)) for label, count in strata),
        cases=tuple(
            _case(case, f"{anchor}-case-{index}", caveats.get(case.case_id, ()), labels)
            for index, case in enumerate(result.cases, 1)
        ),
    )


def join_counts(counts: list[tuple[str, int]]) -> str:
    """``[("bad", 3), ("good", 3)]`` -> ``"3 'bad', 3 'good'"``."""
    return ", ".join(f"{fmt_int(count)} '{label}'" for label, count in counts)


def _case(
    case: CaseExplanation, chart_prefix: str, caveats: tuple[CaveatView, ...], labels: Labels
) -> CaseView:
    order = {"shap": 0, "lime": 1}
    explanations = sorted(case.explanations, key=lambda e: order.get(e.method, len(order)))
    return CaseView(
        case_id=case.case_id,
        stratum=case.stratum,
        predicted=case.predicted,
        explained_output=case.explained_output,
        output_value=fmt_num(case.output_value),
        explanations=tuple(_method_case(e, case, chart_prefix, labels) for e in explanations),
        caveats=caveats,
    )


_TONES: dict[str, Literal["up", "down", "flat"]] = {
    "raises": "up",
    "lowers": "down",
    "no effect": "flat",
}


def _contribution_rows(
    explanation: MethodExplanation, labels: Labels
) -> tuple[ContributionRow, ...]:
    decimals = column_decimals([c.contribution for c in explanation.top])
    return tuple(
        ContributionRow(
            feature=labels(c.feature),
            value=c.value,
            condition=None if c.condition is None else labels.within(c.condition, c.feature),
            contribution=fmt_signed(c.contribution, decimals),
            direction=direction(c.contribution),
            tone=_TONES[direction(c.contribution)],
        )
        for c in by_magnitude(explanation.top)
    )


def _method_case(
    e: MethodExplanation, case: CaseExplanation, prefix: str, labels: Labels
) -> MethodCaseView:
    rows = _contribution_rows(e, labels)
    if e.method == "lime":
        facts = [Fact("Local model intercept", fmt_num(e.base_value))]
        if e.fit_quality is not None:
            facts.append(Fact("Local fit R\u00b2", fmt_fixed(e.fit_quality, 2)))
        return MethodCaseView(
            method="lime",
            title="LIME: weights of a local linear model",
            facts=tuple(facts),
            show_condition=True,
            amount_heading="Weight",
            rows=rows,
            chart=None,
        )
    facts = [Fact("Average output (base value)", fmt_num(e.base_value))]
    if e.fit_quality is not None:
        facts.append(Fact("Additivity error", fmt_num(e.fit_quality)))
    ordered = by_magnitude(e.top)
    chart = ChartSpec(
        id=f"{prefix}-shap",
        kind="diverging",
        labels=tuple(f"{shorten(labels(c.feature), 28)} = {shorten(c.value, 16)}" for c in ordered),
        values=tuple(c.contribution for c in ordered),
        errors=None,
        axis_label=f"contribution to {case.explained_output}",
        caption=(
            f"Bars to the right raise the {case.explained_output}, bars to the left lower it; "
            f"starting from the average {fmt_num(e.base_value)}, all features' contributions add "
            f"up to this case's {fmt_num(case.output_value)}, and the largest "
            f"{number_word(len(ordered))} are shown."
        ),
    )
    return MethodCaseView(
        method="shap",
        title="SHAP: contributions to the explained output",
        facts=tuple(facts),
        show_condition=False,
        amount_heading="Contribution",
        rows=rows,
        chart=chart,
    )
