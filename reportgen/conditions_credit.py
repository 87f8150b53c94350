"""Fair-lending gates: each sensitive attribute's adverse impact ratios against the policy's bands.

One gate per attribute, judged by its lowest published AIR (a group's approval rate over the
reference group's): below ``air_fail_below`` (the four-fifths rule: 0.8) it fails, below
``air_warn_below`` it warns, else it passes. The bands are read from the result, which records
the policy's ``decision.fair_lending.air`` it was computed under. The point estimate is judged,
as the four-fifths rule does; its bootstrap interval is reported beside it, and the verdict's
meaning says when the interval reaches parity (the shortfall could be chance on this sample).

An attribute no ratio can be computed for because its groups are too small to publish (or its
reference is suppressed) WARNs: the report cannot say whether approval rates differ, which a
reader must know, but no computation failed. A reference group that approves nobody leaves every
ratio undefined: that is an ERROR, as for a check that could not be computed.
"""

from __future__ import annotations

from reportgen.policy.checks import ChecksSpec
from reportgen.results.credit import AttributeFairness, FairLendingGroup, FairLendingResult
from reportgen.results.document import GateOutcome

CODE = "AIR"


def judge_fair_lending(result: FairLendingResult, checks: ChecksSpec) -> list[GateOutcome]:
    """One AIR gate per attribute of ``result`` (``checks`` is not read: see the module)."""
    return [_judge(result, attribute) for attribute in result.attributes]


def _judge(result: FairLendingResult, attribute: AttributeFairness) -> GateOutcome:
    fail, warn = result.air_fail_below, result.air_warn_below
    expected = (
        f"every group's AIR against the reference >= {fail:g} (fail below), "
        f">= {warn:g} (warn below)"
    )
    name, reference = _words(attribute.attribute), attribute.reference
    judged = [g for g in attribute.groups if _ratio(g) is not None]
    others = [g for g in attribute.groups if g.size and not g.reference]
    if reference is None or not others:
        status, actual, meaning = "warn", "not judged: no ratio can be published", _unjudged(name)
    elif not judged:
        status = "error"
        actual = f"undefined: the reference group {reference} has no approved applicant"
        meaning = (
            f"Adverse impact by {name} could not be measured: the reference group ({reference}) "
            "approves nobody, so no ratio is defined; name another reference group."
        )
    else:
        worst = min(judged, key=lambda g: _ratio(g) or 0.0)
        air = _ratio(worst) or 0.0
        status = "fail" if air < fail else ("warn" if air < warn else "pass")
        actual = f"lowest AIR {air:.2f}{_interval(worst)}: {worst.label} against {reference}"
        meaning = _meaning(status, name, worst.label, reference, air, warn)
        meaning += _chance(worst, status, fail)
    return GateOutcome(
        code=CODE,
        check="adverse_impact",
        model=result.model,
        method=attribute.attribute,
        status=status,  # type: ignore[arg-type]  # one of the four literals by construction
        actual=actual,
        expected=expected,
        meaning=meaning,
    )


def _ratio(group: FairLendingGroup) -> float | None:
    air = group.adverse_impact_ratio
    return None if air is None else air.value


def _interval(group: FairLendingGroup) -> str:
    air = group.adverse_impact_ratio
    if air is None or air.low is None or air.high is None:
        return ""
    return f" (95% interval {air.low:.2f} to {air.high:.2f})"


def _chance(group: FairLendingGroup, status: str, fail: float) -> str:
    """For a shortfall: whether its 95 % interval shows it could be chance on this sample."""
    air = group.adverse_impact_ratio
    if status == "pass" or air is None or air.low is None or air.high is None:
        return ""
    if air.high >= 1:
        return (
            f" Its 95% interval ({air.low:.2f} to {air.high:.2f}) reaches parity, so on this "
            "sample the shortfall could be chance: confirm it on more applicants."
        )
    if status == "fail" and air.high < fail:
        return f" Its 95% interval ({air.low:.2f} to {air.high:.2f}) lies wholly below the line."
    return ""


def _words(attribute: str) -> str:
    return attribute.replace("_", " ")


def _unjudged(name: str) -> str:
    return (
        f"No group of {name} could be compared with a published reference group (the groups "
        "are too small to publish, or would let a small one be worked out), so this report "
        f"cannot say whether approval rates differ by {name}; assess it on a larger sample."
    )


def _meaning(status: str, name: str, group: str, reference: str, air: float, warn: float) -> str:
    share = f"{100 * air:.0f}%"
    if status == "pass":
        return (
            f"Every published group of {name} is approved at least {100 * warn:.0f}% as often as "
            f"the reference group ({reference}): the four-fifths rule finds no adverse impact by "
            f"{name}."
        )
    if status == "warn":
        return (
            f"Applicants in group {group} are approved {share} as often as those in {reference}: "
            "above the four-fifths line but close to it. Check that creditworthiness explains "
            "the difference (see the score-gap decomposition) and watch it in later versions."
        )
    return (
        f"Applicants in group {group} are approved only {share} as often as those in "
        f"{reference}, below the four-fifths line: evidence of adverse impact on a prohibited "
        f"basis ({name}). Do not rely on these decisions until the difference is shown to serve "
        "a legitimate business need that no less discriminatory alternative would meet."
    )


__all__ = ["CODE", "judge_fair_lending"]
