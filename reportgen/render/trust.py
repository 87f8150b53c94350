"""The "Can these explanations be trusted?" view-model: verdicts, check subsections, caveats.

Built from a model's :class:`CheckResult` list and the document's :class:`GateOutcome` list.
Words come from :mod:`reportgen.render.trust_text`; this module sorts, rounds and selects.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import partial
from itertools import chain
from typing import get_args

from reportgen.render.cohorts import fmt_percent
from reportgen.render.format import fmt_fixed, fmt_num, join_words, plural
from reportgen.render.labels import NO_LABELS, Labels
from reportgen.render.trust_text import (
    CHECK_QUESTIONS,
    CHECK_TITLES,
    HEADLINE,
    MAP_CHECK_SCOPES,
    MAP_CHECK_TESTS,
    MetricWords,
    caveat_text,
    gated_substrate,
    is_control,
    method_label,
    metric_words,
    substrate_words,
)
from reportgen.render.trust_views import (
    Badge,
    CaveatView,
    CheckMetricRow,
    CheckView,
    DistributionSpec,
    Status,
    TrustView,
    VerdictLine,
)
from reportgen.results.document import CheckMetric, CheckName, CheckResult, GateOutcome

TRUST_HEADING = "Can these explanations be trusted?"
NO_CHECKS = (
    "No explanation trust checks were run for this model, so nothing in this report tests "
    "whether its explanations are reliable."
)
SHOWN_CAVEATS: frozenset[str] = frozenset({"warn", "fail", "error"})
"""Gate statuses whose caveats appear on the audit cases; a passed gate shows none."""
LOG_FLOOR = 1e-16
"""Left edge of a logarithmic axis: relative errors below machine precision are drawn here."""
OFF_SCALE = 1e100
"""Values at or above this size stand for 'could not be computed' and are not drawn."""

_METHOD_ORDER = {"shap": 0, "lime": 1, "gradcam": 2, "ig": 3, "occlusion": 4}
"""Tabular methods, then the heat-map methods in the order the heat-maps section shows them."""


def code_key(code: str) -> tuple[int, str]:
    """``C2`` before ``C10``; codes not of the form ``C<n>`` go last."""
    found = re.fullmatch(r"[A-Za-z]*(\d+)", code)
    return (int(found.group(1)) if found else 10**6, code)


def method_key(method: str | None) -> tuple[int, tuple[int, ...], str]:
    """Methods in a stable order: SHAP, LIME, IG, others; controls after the methods."""
    if method is None:
        return (-1, (), "")
    parts = tuple(_METHOD_ORDER.get(part, len(_METHOD_ORDER)) for part in method.split("~"))
    return (int(is_control(method)), parts, method)


CHECK_GATES: frozenset[str] = frozenset(get_args(CheckName))
"""What the explanation checks' gates judge; other gates (fair lending's AIR) have their own
sections."""


def is_check_gate(gate: GateOutcome) -> bool:
    """Whether ``gate`` judges an explanation trust check."""
    return gate.check in CHECK_GATES


def gates_of(gates: Sequence[GateOutcome], model: str) -> list[GateOutcome]:
    """The model's explanation-check gates by check code, then method."""
    own = [g for g in gates if g.model == model and is_check_gate(g)]
    return sorted(own, key=lambda g: (code_key(g.code), method_key(g.method)))


def gate_status(
    gates: Sequence[GateOutcome], code: str, model: str, method: str
) -> GateOutcome | None:
    """The gate that judges ``method`` in check ``code``: its own, else the check's overall one."""
    mine = [g for g in gates if g.code == code and g.model == model]
    exact = next((g for g in mine if g.method == method), None)
    return exact or next((g for g in mine if g.method is None), None)


def status_word(status: Status) -> str:
    return status.upper()


def build_trust(
    checks: Sequence[CheckResult],
    gates: Sequence[GateOutcome],
    model: str,
    anchor: str,
    *,
    heading: str,
    template: str,
    labels: Labels = NO_LABELS,
) -> TrustView:
    """The trust section of one model; ``anchor`` prefixes its ids; ``labels`` name the
    features a check follows (C7) or its notes mention."""
    own = gates_of(gates, model)
    ordered = sorted(checks, key=lambda c: code_key(c.code))
    return TrustView(
        kind="trust",
        template=template,
        heading=heading,
        intro=_intro(ordered, own),
        verdicts=tuple(_verdict(g) for g in own),
        checks=tuple(
            _check_view(c, own, f"{anchor}-trust-{c.code.lower()}", labels) for c in ordered
        ),
    )


def _intro(checks: Sequence[CheckResult], gates: Sequence[GateOutcome]) -> str:
    if not checks and not gates:
        return NO_CHECKS
    text = (
        "An explanation is itself an estimate and can be wrong in ways it does not show. The "
        "checks below test whether the explanations in this report add up, come out the same when "
        "repeated, survive small changes, reflect what the model uses and agree with each other. "
        "FAIL means the explanations concerned must not be relied on as they stand; WARN means "
        "they may be read only with the caveat given."
    )
    if any(c.check == "localisation" for c in checks):
        text += (
            " For an image model, C8 also tests whether the heat-maps point at the finding a "
            "clinician outlined."
        )
    text += _maps_intro(checks)
    if not gates:
        text += " The checks were computed but not judged against the policy's thresholds."
    return text


def _maps_intro(checks: Sequence[CheckResult]) -> str:
    """`` On the heat-maps, C3 and C5 test whether they ...``; empty without such checks."""
    tests = [(c.code, MAP_CHECK_TESTS[c.check]) for c in checks if c.check in MAP_CHECK_TESTS]
    if not tests:
        return ""
    codes = join_words([code for code, _ in tests])
    verb = "tests" if len(tests) == 1 else "test"
    return f" On the heat-maps, {codes} {verb} whether they {join_words([t for _, t in tests])}."


def _check_title(check: str) -> str:
    return CHECK_TITLES.get(check, check.replace("_", " ").capitalize())


def _verdict(gate: GateOutcome) -> VerdictLine:
    return VerdictLine(
        code=gate.code,
        check=_check_title(gate.check),
        method=method_label(gate.method) if gate.method else "",
        status=gate.status,
        status_word=status_word(gate.status),
        meaning=_sentence(gate.meaning),
        measured=f"Measured: {gate.actual.rstrip('.')}. Required: {gate.expected.rstrip('.')}.",
    )


def _check_view(
    check: CheckResult, gates: Sequence[GateOutcome], anchor: str, labels: Labels
) -> CheckView:
    badges = tuple(
        Badge(method_label(g.method) if g.method else "Overall", g.status, status_word(g.status))
        for g in gates
        if g.code == check.code
    )
    return CheckView(
        code=check.code,
        anchor=anchor,
        title=f"{check.code} \u00b7 {_check_title(check.check)}",
        badges=badges,
        question=CHECK_QUESTIONS.get(check.check, ""),
        scope=check_scope(check),
        error=_sentence(check.error) if check.error else None,
        subject="Feature" if by_feature(check) else "Method",
        rows=tuple(_metric_rows(check, labels)),
        chart=_chart(check, anchor),
        notes=tuple(labels.relabel(note) for note in check.notes),
    )


def by_feature(check: CheckResult) -> bool:
    """Whether the check's rows follow features (C7: the global ranking's top features) rather
    than explanation methods."""
    return check.check == "global_stability"


def is_image_check(check: CheckResult) -> bool:
    """Whether the check ran on an image model's maps (C8 and the maps' C3, C4 and C5)."""
    return check.check == "localisation" or check.check in MAP_CHECK_SCOPES


def check_scope(check: CheckResult) -> str:
    """What the check ran on, in one sentence."""
    if check.check in MAP_CHECK_SCOPES:
        chance = next((m.chance for m in check.metrics if m.metric == "top_k_agreement"), None)
        share = f" ({fmt_percent(chance)} of the image)" if chance else ""
        compared = MAP_CHECK_SCOPES[check.check].format(k=check.k, share=share)
        return (
            f"{plural(check.instances, 'image').capitalize()} checked, a sample of the explained "
            f"images stratified by predicted class; {compared}"
        )
    if check.check == "localisation":
        return (
            f"{plural(check.instances, 'image').capitalize()} checked: correctly classified "
            "evaluation images with an outline (mask) of the finding."
        )
    if check.check == "reason_stability":
        return (
            f"{plural(check.instances, 'declined applicant').capitalize()} checked; each one's "
            f"principal reasons (up to {check.k}) are compared as a set."
        )
    if check.check == "global_stability":
        return (
            f"Computed on {plural(check.instances, 'row')}; the top {check.k} features of the "
            "global ranking are followed."
        )
    return (
        f"{plural(check.instances, 'instance').capitalize()} checked; the top {check.k} features "
        "of each explanation are compared."
    )


def _sentence(text: str) -> str:
    """``could not fit`` -> ``Could not fit.``"""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _ordered_metrics(check: CheckResult) -> list[CheckMetric]:
    """Headline metric first, then the others in document order; methods in stable order."""
    names = list(dict.fromkeys(m.metric for m in check.metrics))
    headline = HEADLINE.get(check.check)
    names.sort(key=lambda name: name != headline)
    position = {name: index for index, name in enumerate(names)}
    return sorted(check.metrics, key=lambda m: (position[m.metric], method_key(m.method)))


def fmt_metric(value: float | None, *, bounded: bool) -> str:
    """A metric value: two decimals for values in [-1, 1] by nature, else 3 significant digits."""
    if value is None:
        return "\u2014"
    if abs(value) >= OFF_SCALE:
        return "n/a"
    return fmt_fixed(value, 2) if bounded else fmt_num(value)


def fmt_rate(value: float | None) -> str:
    """A hit rate as a whole percentage, ``< 1 %`` when small but not zero; ``—`` if unknown."""
    if value is None:
        return "\u2014"
    if not math.isfinite(value) or abs(value) >= OFF_SCALE:
        return "n/a"
    return fmt_percent(value)


def metric_label(check: CheckResult, words: MetricWords) -> str:
    """A metric's name in ``check``, its ``{k}`` and ``{substrate}`` filled in."""
    substrate = substrate_words(gated_substrate(m.metric for m in check.metrics))
    return words.label.format(k=check.k, substrate=substrate)


def _chance(metric: CheckMetric, words: MetricWords) -> float | None:
    """The chance level the check recorded, else the one the metric has by construction."""
    return words.chance if metric.chance is None else metric.chance


NBSP = "\u00a0"
"""Joins a number's parts (``7.6 x 10^-8`` as printed), so a narrow cell wraps only before it."""


def _metric_rows(check: CheckResult, labels: Labels) -> list[CheckMetricRow]:
    rows = []
    subject = labels if by_feature(check) else method_label
    previous = None
    for m in _ordered_metrics(check):
        words = metric_words(m.metric, check.check)
        show = fmt_rate if words.rate else partial(fmt_metric, bounded=words.bounded)
        tail = "\u2014" if words.rate else fmt_metric(m.tail, bounded=words.bounded)
        if m.tail is not None and not words.rate:
            tail = f"{'P90' if words.lower_is_better else 'P10'} {tail.replace(' ', NBSP)}"
        rows.append(
            CheckMetricRow(
                method=subject(m.method),
                metric=metric_label(check, words) if m.metric != previous else "",
                better="lower" if words.lower_is_better else "higher",
                median=show(m.median),
                tail=tail,
                pass_rate="\u2014" if m.pass_rate is None else f"{round(100 * m.pass_rate)} %",
                chance=show(_chance(m, words)),
                control=is_control(m.method),
            )
        )
        previous = m.metric
    return rows


def _chart(check: CheckResult, chart_id: str) -> DistributionSpec | None:
    """The headline metric's per-instance values, one row per method; None if there are none."""
    headline = HEADLINE.get(check.check)
    shown = sorted(
        (m for m in check.metrics if m.metric == headline and m.values),
        key=lambda m: method_key(m.method),
    )
    if headline is None or not shown:
        return None
    words = metric_words(headline, check.check)
    series = [tuple(v for v in m.values if math.isfinite(v) and abs(v) < OFF_SCALE) for m in shown]
    dropped = sum(len(m.values) for m in shown) - sum(len(s) for s in series)
    x_range = None
    if words.log_scale:
        x_range = (LOG_FLOOR, max([1.0, *chain(*series)]))
        series = [tuple(max(v, LOG_FLOOR) for v in values) for values in series]
    elif words.bounded:
        x_range = _x_range(series)
    better = "lower" if words.lower_is_better else "higher"
    return DistributionSpec(
        id=chart_id,
        labels=tuple(method_label(m.method) for m in shown),
        series=tuple(series),
        controls=tuple(is_control(m.method) for m in shown),
        chance=tuple(_chance(m, words) for m in shown),
        x_range=x_range,
        log_scale=words.log_scale,
        axis_label=f"{metric_label(check, words)} ({better} is better)",
        caption=_caption(
            shown,
            dropped,
            log_scale=words.log_scale,
            chance=words.chance,
            unit="image" if is_image_check(check) else "instance",
        ),
    )


def _caption(
    shown: Sequence[CheckMetric],
    dropped: int,
    *,
    log_scale: bool,
    chance: float | None,
    unit: str,
) -> str:
    caption = (
        f"Each dot is one checked {unit}; the box spans the middle half of the {unit}s with "
        "the median marked, and the whiskers reach P10 and P90."
    )
    if log_scale:
        caption += (
            " The axis is logarithmic, each step a factor of ten; values below "
            "10\u207b\u00b9\u2076 (the limit of machine precision) sit at its left edge."
        )
    if any(is_control(m.method) for m in shown):
        caption += (
            " Grey rows are the random control, an explanation that carries no information: a "
            "method worth trusting sits clearly apart from it."
        )
    if chance is not None or any(m.chance is not None for m in shown):
        caption += " The dashed line marks the value expected by chance."
    if dropped:
        verb = "is" if dropped == 1 else "are"
        caption += f" {plural(dropped, 'value')} that could not be computed {verb} not drawn."
    return caption


def _x_range(series: Sequence[Sequence[float]]) -> tuple[float, float]:
    """0 to 1 for a bounded metric, from -1 when a value is negative, widened to fit them all."""
    values = list(chain(*series))
    low = -1.0 if any(v < 0 for v in values) else 0.0
    return (min([low, *values]), max([1.0, *values]))


def case_caveats(
    checks: Sequence[CheckResult], gates: Sequence[GateOutcome], labels: Labels = NO_LABELS
) -> dict[str, tuple[CaveatView, ...]]:
    """Caveats per audit case id, from checks whose gate for the method did not pass;
    ``labels``: the features' display names."""
    found: dict[str, list[CaveatView]] = {}
    for check in sorted(checks, key=lambda c: code_key(c.code)):
        for caveat in sorted(check.caveats, key=lambda c: method_key(c.method)):
            gate = gate_status(gates, check.code, check.model, caveat.method)
            if gate is None or gate.status not in SHOWN_CAVEATS:
                continue
            label = (
                f"{check.code} {_check_title(check.check).lower()}, {method_label(caveat.method)}"
            )
            text = caveat_text(
                check.check,
                caveat.case_id,
                caveat.method,
                labels.each(caveat.reliable),
                labels.each(caveat.unreliable),
            )
            found.setdefault(caveat.case_id, []).append(
                CaveatView(label, gate.status, status_word(gate.status), text)
            )
    return {case_id: tuple(views) for case_id, views in found.items()}
