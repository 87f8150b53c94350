"""The privacy section, the summary's privacy line, and the audit cases a policy withholds.

Built from :class:`PrivacyReport`, which the privacy gate writes into the document; documents
from before the gate carry none and say so.
"""

from __future__ import annotations

from reportgen.render.cases import PSEUDONYMOUS
from reportgen.render.format import fmt_int, fmt_short, plural
from reportgen.render.labels import NO_LABELS, Labels
from reportgen.render.privacy_views import (
    DifferentialPrivacyView,
    LedgerRow,
    PrivacyView,
    SuppressedRow,
    WithheldCasesView,
)
from reportgen.render.views import Fact
from reportgen.results.document import LedgerEntry, PrivacyReport

PRIVACY_HEADING = "Privacy"
PRIVACY_ANCHOR = "privacy"
PREDATES = (
    "This report predates the privacy gate, so its results document records no privacy protections."
)
INTRO = (
    "People who read this report must not see individuals' data. Before anything reached the "
    "report, the privacy gate applied the rules below; they are listed here, with what they "
    "removed, so that a reviewer can check the protections rather than trust them."
)
CASES_WITHHELD = "Individual audit cases are not shown under this policy."
NOTHING_SUPPRESSED = "Nothing was suppressed."
DP_OFF = (
    "Differential privacy is off: published cohort numbers are exact, protected by the minimum "
    "cohort size and suppression alone."
)
DASH = "\u2014"


def cases_withheld(privacy: PrivacyReport | None) -> bool:
    """True when the privacy gate ran and the policy does not show individual cases."""
    return privacy is not None and not privacy.local_cases


def withheld_cases(heading: str) -> WithheldCasesView:
    """What stands in place of the audit cases when the policy withholds them."""
    return WithheldCasesView(
        kind="local_explanations",
        template="_cases_withheld.html",
        heading=heading,
        sentence=CASES_WITHHELD,
    )


def privacy_line(privacy: PrivacyReport | None) -> str | None:
    """The summary's one line on privacy; None for documents that predate the gate."""
    if privacy is None:
        return None
    epsilon = privacy.epsilon
    dp = f"\u03b5={fmt_short(epsilon)}" if privacy.dp_enabled and epsilon is not None else "off"
    return (
        f"Privacy: minimum cohort size {fmt_int(privacy.min_cohort_size)}; "
        f"{plural(len(privacy.suppressed), 'cohort')} suppressed; differential privacy {dp}."
    )


def _dp_on(privacy: PrivacyReport) -> bool:
    return privacy.dp_enabled and privacy.epsilon is not None


def build_privacy(privacy: PrivacyReport | None, labels: Labels = NO_LABELS) -> PrivacyView:
    """The report-level privacy section; ``labels`` name the columns its rules and suppressed
    families mention."""
    if privacy is None:
        return PrivacyView(
            heading=PRIVACY_HEADING,
            intro=PREDATES,
            recorded=False,
            rules=(),
            facts=(),
            cases_sentence=None,
            suppressed=(),
            nothing_suppressed=None,
            dp_sentence="",
            dp=None,
        )
    dp = _dp_view(privacy, labels) if _dp_on(privacy) else None
    return PrivacyView(
        heading=PRIVACY_HEADING,
        intro=INTRO,
        recorded=True,
        rules=tuple(labels.relabel(rule) for rule in privacy.rules),
        facts=(
            Fact("Minimum cohort size", plural(privacy.min_cohort_size, "row")),
            Fact("Cohorts suppressed", fmt_int(len(privacy.suppressed))),
            _cases_fact(privacy),
            Fact("Differential privacy", "on" if dp is not None else "off"),
        ),
        cases_sentence=_cases_sentence(privacy),
        suppressed=tuple(
            SuppressedRow(labels.relabel(s.family), s.model, s.cohort, s.reason)
            for s in privacy.suppressed
        ),
        nothing_suppressed=None if privacy.suppressed else NOTHING_SUPPRESSED,
        dp_sentence=_dp_sentence(privacy) if dp is not None else DP_OFF,
        dp=dp,
    )


def _cases_fact(privacy: PrivacyReport) -> Fact:
    """What of individuals is shown: audit cases (tabular) or images (opt-in)."""
    if privacy.images:
        shown = f"up to {privacy.image_cases} (policy opt-in)" if privacy.image_cases else "none"
        return Fact("Individual images", shown)
    return Fact("Individual audit cases", "shown" if privacy.local_cases else "not shown")


def _cases_sentence(privacy: PrivacyReport) -> str | None:
    """Whether individual cases are shown, unless a rule already says it in the same words
    (an image policy's rules always say what of its images is shown)."""
    if privacy.images:
        return None
    sentence = PSEUDONYMOUS if privacy.local_cases else CASES_WITHHELD
    return None if sentence in privacy.rules else sentence


def _dp_sentence(privacy: PrivacyReport) -> str:
    return (
        "Differential privacy is on: published cohort counts, scores and profiles carry "
        "calibrated random noise, so that what the report shows changes little whether or not "
        f"any one unit of privacy ({privacy.unit or 'unit not recorded'}) is in the data. "
        "Epsilon (\u03b5) bounds how much; smaller is more private. The ledger lists every "
        "noised statistic and what it spent of the budget."
    )


def _dp_view(privacy: PrivacyReport, labels: Labels) -> DifferentialPrivacyView:
    total = privacy.epsilon
    spent = fmt_short(privacy.epsilon_spent)
    delta = privacy.delta
    return DifferentialPrivacyView(
        # Labels are set in capitals by the stylesheet, where a Greek epsilon would read as E:
        # the Greek letters go in the values.
        facts=(
            Fact("Epsilon", DASH if total is None else f"\u03b5 = {fmt_short(total)}"),
            Fact(
                "Delta",
                "\u03b4 = 0 (pure \u03b5-differential privacy)"
                if not delta
                else f"\u03b4 = {fmt_short(delta)}",
            ),
            Fact("Unit of privacy", privacy.unit or DASH),
            Fact(
                "Budget spent",
                f"\u03b5 = {spent}" if total is None else f"\u03b5 = {spent} of {fmt_short(total)}",
            ),
        ),
        ledger=tuple(_ledger_row(entry, labels) for entry in privacy.ledger),
    )


def _ledger_row(entry: LedgerEntry, labels: Labels) -> LedgerRow:
    bounds = DASH
    if entry.bounds is not None and len(entry.bounds) == 2:
        bounds = f"{fmt_short(entry.bounds[0])} to {fmt_short(entry.bounds[1])}"
    elif entry.bounds:
        bounds = ", ".join(fmt_short(b) for b in entry.bounds)
    return LedgerRow(
        statistic=labels.relabel(entry.statistic),
        mechanism=entry.mechanism,
        epsilon=fmt_short(entry.epsilon),
        sensitivity=fmt_short(entry.sensitivity),
        scale=fmt_short(entry.scale),
        bounds=bounds,
    )
