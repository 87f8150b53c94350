"""The adverse-action reasons section: the reason policy, the reason mix over declined
applicants, the families and their statements, the proxy screen and the declined audit cases.

Built from a :class:`ReasonCodesResult` as the privacy gate published it (suppressed counts are
None and show no number) and, when check C9 ran, its gate. Sentences the summary reuses are
public here (:func:`reference_words`, :func:`proxy_sentence`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from reportgen.render.cohorts import fmt_percent
from reportgen.render.format import (
    fmt_fixed,
    fmt_int,
    fmt_num,
    fmt_short,
    fmt_signed,
    join_words,
    plural,
)
from reportgen.render.labels import NO_LABELS, Labels
from reportgen.render.views import Fact
from reportgen.results.credit import ProxyFinding, ReasonCase, ReasonCodesResult, ReasonCount
from reportgen.results.document import GateOutcome

DASH = "\u2014"
SUPPRESSED = "suppressed"
MEASURES = {"cramers_v": "Cram\u00e9r's V", "mutual_information": "normalised mutual information"}
CASES_WITHHELD = (
    "Individual cases are not shown under this policy, so no declined applicant's own reasons "
    "appear here."
)


@dataclass(frozen=True)
class ReasonMixRow:
    rank: str
    reason: str
    statement: str
    first: str
    """How many declined applicants get it as their first reason, with the share of them."""
    stated: str
    """How many get it among their principal reasons."""
    suppressed: bool


@dataclass(frozen=True)
class FamilyRow:
    reason: str
    statement: str
    features: str


@dataclass(frozen=True)
class ProxyRow:
    feature: str
    sensitive: str
    association: str
    flagged: bool


@dataclass(frozen=True)
class ReasonLine:
    rank: int
    reason: str
    statement: str
    contribution: str


@dataclass(frozen=True)
class ReasonCaseView:
    case_id: str
    probability: str
    reasons: tuple[ReasonLine, ...]
    none: str | None
    """Said instead of reasons when no family raises the applicant's score."""


@dataclass(frozen=True)
class ReasonCodesView:
    kind: Literal["reason_codes"]
    template: str
    heading: str
    intro: str
    facts: tuple[Fact, ...]
    stability: str | None
    """C9's verdict in one sentence, when the check ran."""
    stability_status: str | None
    mix_intro: str
    mix: tuple[ReasonMixRow, ...]
    mix_notes: tuple[str, ...]
    families: tuple[FamilyRow, ...]
    proxy_intro: str
    proxy_finding: str
    proxies: tuple[ProxyRow, ...]
    cases_intro: str
    cases: tuple[ReasonCaseView, ...]


def build_reason_codes(
    result: ReasonCodesResult,
    gates: Sequence[GateOutcome],
    *,
    min_cohort_size: int | None,
    heading: str,
    template: str,
    labels: Labels = NO_LABELS,
) -> ReasonCodesView:
    """The reasons section of one reason codes result; ``gates`` are the model's gates,
    ``labels`` the columns' display names."""
    c9 = next((g for g in gates if g.check == "reason_stability"), None)
    return ReasonCodesView(
        kind="reason_codes",
        template=template,
        heading=heading,
        intro=_intro(result),
        facts=_facts(result),
        stability=None if c9 is None else f"{c9.code} reason stability: {c9.actual}. {c9.meaning}",
        stability_status=None if c9 is None else c9.status,
        mix_intro=_mix_intro(result),
        mix=tuple(_mix_row(result, count) for count in result.reasons),
        mix_notes=tuple(_mix_notes(result, min_cohort_size)),
        families=tuple(
            FamilyRow(f.name, f.statement, ", ".join(labels.each(f.features)))
            for f in result.families
        ),
        proxy_intro=_proxy_intro(result),
        proxy_finding=proxy_sentence(result, labels),
        proxies=tuple(_proxy_rows(result, labels)),
        cases_intro=_cases_intro(result),
        cases=tuple(_case(case, adverse_words(result)) for case in result.cases),
    )


def adverse_words(result: ReasonCodesResult) -> str:
    """``P(bad)``: the declining score's name."""
    return f"P({result.adverse_class})"


def reference_words(result: ReasonCodesResult) -> str:
    """Whom reasons are measured against, in words."""
    score = adverse_words(result)
    if result.reference == "near_cutoff" and result.band is not None:
        low = result.cutoff - result.band
        return (
            f"the reference applicants scored just below the cutoff ({score} from "
            f"{fmt_short(low)} up to {fmt_short(result.cutoff)}), approved at or just above the "
            "approval line"
        )
    return "all reference applicants"


def _intro(result: ReasonCodesResult) -> str:
    score = adverse_words(result)
    return (
        "A lender that declines an applicant must state the specific principal reasons (ECOA, "
        "Regulation B, 12 CFR 1002.9). An applicant is declined when "
        f"{score} is at or above {fmt_short(result.cutoff)}. For each declined evaluation "
        f"applicant, every reason family's contribution is the sum of its features' SHAP "
        f"values of {score}: how much the family raises the applicant's {score} above that of "
        f"{reference_words(result)} (Regulation B commentary 9(b)(2)-5 allows either all "
        "applicants or those near the cutoff). The reasons are the families that raise it, "
        f"largest first, at most {result.max_reasons}. Sensitive attributes are not model "
        "inputs, so they are never reasons."
    )


def _facts(result: ReasonCodesResult) -> tuple[Fact, ...]:
    declined = (
        SUPPRESSED
        if result.declined is None
        else f"{fmt_int(result.declined)} of {plural(result.applicants, 'evaluation applicant')}"
    )
    reference = (
        f"{plural(result.background_rows, 'applicant')} sampled from "
        f"{fmt_int(result.reference_rows)} qualifying, mean {adverse_words(result)} "
        f"{fmt_fixed(result.reference_score, 3)}"
    )
    how = (
        "exact enumeration"
        if result.estimator == "exact"
        else f"permutation estimator, {fmt_int(result.evals_per_row)} evaluations per applicant"
    )
    return (
        Fact("Declined", declined),
        Fact("Reference", reference),
        Fact("Reasons per applicant", f"up to {result.max_reasons}"),
        Fact("SHAP", how),
        Fact("Largest additivity error", fmt_num(result.additivity_max_error)),
    )


def _mix_intro(result: ReasonCodesResult) -> str:
    return (
        "How often each reason is given. The first reason is the family that raises an "
        "applicant's score most; each applicant has one, so those counts add up to the declined "
        f"applicants. An applicant can have up to {result.max_reasons} reasons, so the counts "
        "among all reasons add up to more. Shares are of the declined applicants."
    )


def _count(value: int | None, total: int | None) -> str:
    if value is None:
        return SUPPRESSED
    if not total:
        return fmt_int(value)
    return f"{fmt_int(value)} ({fmt_percent(value / total)})"


def _mix_row(result: ReasonCodesResult, count: ReasonCount) -> ReasonMixRow:
    return ReasonMixRow(
        rank=DASH if count.rank is None else str(count.rank),
        reason=count.reason,
        statement=count.statement,
        first=_count(count.principal, result.declined),
        stated=_count(count.stated, result.declined),
        suppressed=count.principal is None,
    )


def _mix_notes(result: ReasonCodesResult, minimum: int | None) -> list[str]:
    notes = []
    if result.without_reason:
        notes.append(
            f"{plural(result.without_reason, 'declined applicant')} had no family raising "
            f"{adverse_words(result)} above the reference, so no reason is stated for them."
        )
    if any(c.principal is None or c.stated is None for c in result.reasons):
        size = f"fewer than {fmt_int(minimum)}" if minimum is not None else "too few"
        notes.append(
            f"A count is suppressed where it covers {size} declined applicants, or where it "
            "would let a reader work out a suppressed one; suppressed reasons are listed after "
            "the others, in the policy's order, without a rank."
        )
    return notes


def _proxy_intro(result: ReasonCodesResult) -> str:
    return (
        "A feature strongly associated with a sensitive attribute can carry that attribute "
        "into a decision and its reasons. The screen measures each feature's association with "
        f"each sensitive attribute on the reference data by {MEASURES[result.proxy_measure]} "
        f"(0 none, 1 complete; numeric columns cut into {result.proxy_bins} quantile bins) and "
        f"flags it as a possible proxy at {fmt_short(result.proxy_flag_at)} or above. A flag is "
        "a reason to look, not a finding of discrimination. The table gives each feature's "
        "strongest association."
    )


def flagged(result: ReasonCodesResult) -> list[ProxyFinding]:
    """The flagged pairs, strongest first."""
    return sorted(
        (p for p in result.proxies if p.flagged), key=lambda p: (-p.association, p.feature)
    )


def proxy_sentence(result: ReasonCodesResult, labels: Labels = NO_LABELS) -> str:
    """What the proxy screen found and what the policy did about it, in one or two sentences."""
    pairs = flagged(result)
    measure = MEASURES[result.proxy_measure]
    if not result.proxies:
        return "No sensitive attribute is declared, so no feature was screened as a proxy."
    if not pairs:
        return (
            f"The proxy screen ({measure} at {fmt_short(result.proxy_flag_at)} or above) flags "
            "no feature as a possible proxy for a sensitive attribute."
        )
    found = join_words(
        [
            f"{labels(p.feature)} for {labels(p.sensitive)} ({fmt_fixed(p.association, 2)})"
            for p in pairs
        ]
    )
    text = (
        f"The proxy screen ({measure} at {fmt_short(result.proxy_flag_at)} or above) flags "
        f"{found} as possible {'proxy' if len(pairs) == 1 else 'proxies'}."
    )
    if result.excluded:
        verb = "is" if len(result.excluded) == 1 else "are"
        return (
            f"{text} As the policy asks, {join_words(labels.each(result.excluded))} {verb} left "
            "out of every "
            "reason: no notice states its contribution, though the model still uses it."
        )
    return (
        f"{text} The policy does not exclude flagged features, so they can still be given as "
        "reasons."
    )


def _proxy_rows(result: ReasonCodesResult, labels: Labels) -> list[ProxyRow]:
    strongest: dict[str, ProxyFinding] = {}
    for pair in result.proxies:
        best = strongest.get(pair.feature)
        if best is None or pair.association > best.association:
            strongest[pair.feature] = pair
    ordered = sorted(strongest.values(), key=lambda p: (-p.association, p.feature))
    return [
        ProxyRow(labels(p.feature), labels(p.sensitive), fmt_fixed(p.association, 2), p.flagged)
        for p in ordered
    ]


def _cases_intro(result: ReasonCodesResult) -> str:
    if result.cases_withheld:
        return CASES_WITHHELD
    if not result.cases:
        return "None of the displayed audit cases is declined."
    return (
        "The displayed audit cases the model declines, with the reasons a notice would state, "
        "largest contribution first. Case ids are the audit cases' pseudonyms."
    )


def _case(case: ReasonCase, score: str) -> ReasonCaseView:
    lines = tuple(
        ReasonLine(i, r.reason, r.statement, fmt_signed(r.contribution, 3))
        for i, r in enumerate(case.reasons, start=1)
    )
    none = None if lines else "No family raises this applicant's score above the reference."
    return ReasonCaseView(case.case_id, f"{score} = {fmt_fixed(case.probability, 3)}", lines, none)
