"""Publishing reason codes: the reason mix protected like cohorts, the cases like audit cases.

The first reasons of the declined applicants split them into groups (one per family, plus
those without a reason), a partition like a cohort family: a group below the minimum size is
suppressed, with complementary suppression against the published number of declined
applicants. A family's count among all stated reasons (an applicant has up to four) is shown
only when both the applicants who have it and those who do not reach the minimum (a count close
to the total would single out the few without it); where the family's first-reason count is
suppressed, it is shown only when it is at least the suppressed first reasons' total, which a
reader can work out anyway (a smaller one would bound the suppressed count, since no family
comes first more often than it is given). Ranks are given among the published first-reason
counts only, and suppressed rows follow in the policy's order, so the order says nothing about
a suppressed count.

A reason never names a sensitive column: a family that lists one is refused, whatever the
policy loader let through. Displayed cases carry pseudonymous ids, and are withheld where the
policy shows no individual cases.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from reportgen.errors import PrivacyError
from reportgen.privacy.families import WHOLE_FAMILY, plan_family
from reportgen.privacy.suppression import reason, suppress
from reportgen.results.credit import ReasonCodesResult, ReasonCount
from reportgen.results.document import Suppressed

NO_REASON_LABEL = "(no reason)"
"""The group of declined applicants no family raised above the reference."""
FIRST_REASONS = "reason mix: first reasons"
ANY_RANK = "reason mix: reasons at any rank"
DECLINED = "declined applicants"


def publish_reason_codes(
    result: ReasonCodesResult,
    *,
    minimum: int,
    sensitive: Collection[str],
    pseudonym: Callable[[str], str] | None,
) -> tuple[ReasonCodesResult, list[Suppressed]]:
    """The publishable form of ``result`` and what was suppressed.

    Args:
        minimum: the policy's minimum cohort size.
        sensitive: the sensitive columns, which no reason may name.
        pseudonym: issues a case's pseudonymous id; None withholds the cases (the policy shows
            no individual cases).

    Raises:
        PrivacyError: a family names a sensitive column, or a count or case names a reason
            that is no declared family.
    """
    _refuse_sensitive(result, sensitive)
    mix, declined, without, suppressed = _mix(result, minimum)
    if pseudonym is None:
        cases, withheld = [], True
    else:
        cases = [c.model_copy(update={"case_id": pseudonym(c.case_id)}) for c in result.cases]
        withheld = False
    published = result.model_copy(
        update={
            "reasons": mix,
            "declined": declined,
            "without_reason": without,
            "cases": cases,
            "cases_withheld": withheld,
        }
    )
    return published, suppressed


def _refuse_sensitive(result: ReasonCodesResult, sensitive: Collection[str]) -> None:
    what = f"privacy gate: the reason_codes result of model '{result.model}'"
    for family in result.families:
        named = [f for f in family.features if f in sensitive]
        if named:
            raise PrivacyError(
                f"{what} has reason '{family.name}' built from sensitive column(s) {named}; "
                "a prohibited basis is never a reason; refused"
            )
    declared = {f.name for f in result.families}
    given = {r.reason for r in result.reasons}
    given |= {r.reason for case in result.cases for r in case.reasons}
    unknown = sorted(given - declared)
    if unknown:
        raise PrivacyError(f"{what} gives reasons {unknown} that no family declares; refused")


def _mix(
    result: ReasonCodesResult, minimum: int
) -> tuple[list[ReasonCount], int | None, int | None, list[Suppressed]]:
    """The published reason mix, declined count and no-reason count, and what was hidden."""
    model, why = result.model, reason(minimum)
    declined = result.declined or 0
    split = suppress(
        {DECLINED: declined, "approved": result.applicants - declined},
        minimum=minimum,
        total=result.applicants,
    )
    # in the policy's order: what is listed as suppressed must not follow the true counts
    order = [f.name for f in result.families]
    counts = sorted(result.reasons, key=lambda r: order.index(r.reason))
    first = {r.reason: r.principal or 0 for r in counts}
    first[NO_REASON_LABEL] = result.without_reason or 0
    plan = plan_family(first, total=declined, minimum=minimum, declared=True)
    if DECLINED in split.suppressed or not split.total_publishable or plan.withheld:
        hidden = [r.model_copy(update=_HIDDEN | {"suppressed": why}) for r in counts]
        gone = Suppressed(family=FIRST_REASONS, model=model, cohort=WHOLE_FAMILY, reason=why)
        keep_declined = DECLINED not in split.suppressed and split.total_publishable
        return hidden, declined if keep_declined else None, None, [gone]
    suppressed = [
        Suppressed(family=FIRST_REASONS, model=model, cohort=label, reason=why)
        for label in plan.suppressed
    ]
    residual = declined - sum(first[label] for label in plan.published)
    rows = []
    for count in counts:
        stated = count.stated or 0
        both = suppress(
            {"with": stated, "without": declined - stated}, minimum=minimum, total=declined
        )
        if count.reason not in plan.published:
            # its first-reason count is at most the residual, which a reader can work out: a
            # count at any rank below the residual would bound it more tightly, so is hidden
            hide = bool(both.suppressed) or stated < residual
            update = _HIDDEN | {"stated": None if hide else stated, "suppressed": why}
            rows.append(count.model_copy(update=update))
        else:
            hide = bool(both.suppressed)
            update = {"stated": None if hide else stated, "suppressed": why if hide else None}
            rows.append(count.model_copy(update=update))
        if hide:
            suppressed.append(
                Suppressed(family=ANY_RANK, model=model, cohort=count.reason, reason=why)
            )
    without = result.without_reason if NO_REASON_LABEL in plan.published else None
    return _ranked(rows), declined, without, suppressed


_HIDDEN: dict[str, object] = {"principal": None, "stated": None, "rank": None}


def _ranked(rows: list[ReasonCount]) -> list[ReasonCount]:
    """Published first-reason counts largest first (then by name), ranked where they are not 0;
    suppressed ones after, unranked, in the order given (the policy's, never that of their true
    counts)."""
    shown = sorted(
        (r for r in rows if r.principal is not None),
        key=lambda r: (-(r.principal or 0), r.reason),
    )
    ranked = [
        r.model_copy(update={"rank": i if r.principal else None})
        for i, r in enumerate(shown, start=1)
    ]
    return ranked + [r for r in rows if r.principal is None]
