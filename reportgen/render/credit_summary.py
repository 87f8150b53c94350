"""The summary's sentences on a credit decision: the fair-lending verdict and calibration.

The verdict is the worst AIR gate over the sensitive attributes, said in plain words, then one
clause per attribute naming the group furthest below its reference. An attribute whose groups
are too small to publish is said to be not judged, never to pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportgen.render.format import fmt_fixed, join_words
from reportgen.render.labels import NO_LABELS, Labels
from reportgen.results.credit import AttributeFairness, CalibrationResult, FairLendingResult
from reportgen.results.document import GateOutcome, MetricWithInterval, Result

EN_DASH = "\u2013"


def credit_sentences(
    results: Sequence[Result], gates: Sequence[GateOutcome], labels: Labels = NO_LABELS
) -> list[str]:
    """The fair-lending verdict and the calibration figures of one model, where computed;
    ``labels`` names the attributes."""
    sentences: list[str] = []
    for result in results:
        if isinstance(result, FairLendingResult):
            sentences += fair_lending_sentences(result, gates, labels)
    for result in results:
        if isinstance(result, CalibrationResult):
            sentences.append(calibration_sentence(result))
    return sentences


def fair_lending_sentences(
    result: FairLendingResult, gates: Sequence[GateOutcome], labels: Labels = NO_LABELS
) -> list[str]:
    """The verdict in one sentence, then what it rests on per attribute."""
    verdicts = {g.method: g for g in gates if g.check == "adverse_impact"}
    clauses: list[str] = []
    statuses: list[str] = []
    for item in result.attributes:
        gate = verdicts.get(item.attribute)
        if gate is None:
            continue
        compared = item.reference is not None and any(
            g.size and not g.reference for g in item.groups
        )
        status = gate.status if compared else "unjudged"
        statuses.append(status)
        clauses.append(_clause(item, status, labels.words(item.attribute)))
    if not clauses:
        return []
    return [_verdict(statuses, result), f"By attribute: {'; '.join(clauses)}."]


def _verdict(statuses: list[str], result: FairLendingResult) -> str:
    line = f"{_pct(result.air_fail_below)} as often as its reference group"
    if "fail" in statuses:
        return (
            "Fair-lending verdict: FAIL. Applicants of at least one group are approved less than "
            f"{line}, which is evidence of adverse impact on a prohibited basis; the decisions "
            "must not be relied on until the difference is justified."
        )
    if "error" in statuses:
        return (
            "Fair-lending verdict: INCOMPLETE. Adverse impact could not be measured for every "
            "attribute."
        )
    if "warn" in statuses:
        return (
            f"Fair-lending verdict: WARN. Every group is approved at least {line}, but at least "
            f"one is approved less than {_pct(result.air_warn_below)} as often: close to the "
            "four-fifths line."
        )
    if "pass" in statuses:
        return (
            f"Fair-lending verdict: PASS. Every group that could be published is approved at "
            f"least {_pct(result.air_warn_below)} as often as its reference group."
        )
    return (
        "Fair-lending verdict: NOT JUDGED. No group could be compared with a published reference "
        "group, so this report cannot say whether approval rates differ."
    )


def _clause(item: AttributeFairness, status: str, name: str) -> str:
    ratios = [
        (g.label, g.adverse_impact_ratio.value)
        for g in item.groups
        if g.adverse_impact_ratio is not None and g.adverse_impact_ratio.value is not None
    ]
    worst = min(ratios, key=lambda pair: pair[1], default=None)
    if status == "unjudged" or worst is None:
        if status == "error":
            return f"{name} could not be measured (its reference group approves nobody)"
        return f"{name} is not judged (its groups are too small to publish)"
    label, air = worst
    compared = f"group {label} is approved {_pct(air)} as often as group {item.reference}"
    if status == "fail":
        return f"{name} fails ({compared.replace(' is approved ', ' is approved only ')})"
    if status == "warn":
        return f"{name} is close to the line ({compared})"
    return f"{name} passes (lowest AIR {fmt_fixed(air, 2)})"


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def calibration_sentence(result: CalibrationResult) -> str:
    """Overall ECE and Brier score in one sentence; calibration is reported, not gated."""
    figures = [
        f"expected calibration error {_with_interval(result.overall.expected_calibration_error)}",
        f"Brier score {_with_interval(result.overall.brier_score)}",
    ]
    return f"Calibration (reported, not gated): {join_words(figures)} over all rows."


def _with_interval(metric: MetricWithInterval | None) -> str:
    if metric is None or metric.value is None:
        return "not computed"
    text = fmt_fixed(metric.value, 3)
    if metric.low is None or metric.high is None:
        return text
    return f"{text} (95% interval {fmt_fixed(metric.low, 3)}{EN_DASH}{fmt_fixed(metric.high, 3)})"


__all__ = ["calibration_sentence", "credit_sentences", "fair_lending_sentences"]
