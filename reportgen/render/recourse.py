"""The recourse section: for each declined audit case, the smallest change that flips it."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.render.format import fmt_fixed, plural
from reportgen.render.labels import NO_LABELS, Labels
from reportgen.render.views import Fact
from reportgen.results.credit import RecourseCase, RecourseResult

INTRO = (
    "For each declined audit case, the nearest change an applicant could act on that turns the "
    "decision into an approval: at most {max_changes} features, never a feature the policy "
    "marks immutable and never a sensitive attribute, each numeric feature moved only the way "
    "the policy allows. Every suggestion was checked by scoring the changed application again. "
    "Values are shown as the same ranges as every case value, so a change within one range "
    "reads as the same range with its direction."
)


@dataclass(frozen=True)
class ChangeRow:
    feature: str
    current: str
    suggested: str
    direction: str


@dataclass(frozen=True)
class RecourseCaseView:
    case_id: str
    before: str
    after: str | None
    rows: tuple[ChangeRow, ...]
    verdict: str


@dataclass(frozen=True)
class RecourseView:
    kind: str
    heading: str
    template: str
    intro: str
    facts: tuple[Fact, ...]
    cases: tuple[RecourseCaseView, ...]
    none_declined: str | None


def build_recourse(
    result: RecourseResult, *, heading: str, template: str, labels: Labels = NO_LABELS
) -> RecourseView:
    """The recourse section of one result; ``labels``: the features' display names."""
    facts = (
        Fact("Decision", f"declined when P({result.adverse_class}) >= {result.cutoff:g}"),
        Fact("Most features changed", str(result.max_changes)),
        Fact("Immutable", ", ".join(labels.each(result.immutable)) or "none declared"),
        Fact(
            "One direction only",
            ", ".join(f"{labels(f)} ({d})" for f, d in sorted(result.monotone.items()))
            or "none declared",
        ),
    )
    return RecourseView(
        kind="recourse",
        heading=heading,
        template=template,
        intro=INTRO.format(max_changes=result.max_changes),
        facts=facts,
        cases=tuple(_case(c, result, labels) for c in result.cases),
        none_declined=None
        if result.cases
        else "No displayed audit case is declined, so there is no recourse to show.",
    )


def _case(case: RecourseCase, result: RecourseResult, labels: Labels) -> RecourseCaseView:
    rows = tuple(
        ChangeRow(labels(c.feature), c.current, c.suggested, c.direction) for c in case.changes
    )
    if case.found and case.new_probability is not None:
        verdict = (
            f"Approved after the change: P({result.adverse_class}) "
            f"{fmt_fixed(case.adverse_probability)} -> {fmt_fixed(case.new_probability)}."
        )
    else:
        verdict = (
            f"No change of at most {plural(result.max_changes, 'feature')} on the search grid "
            "turns this decision; the applicant's reasons stand."
        )
    return RecourseCaseView(
        case_id=case.case_id,
        before=fmt_fixed(case.adverse_probability),
        after=fmt_fixed(case.new_probability) if case.new_probability is not None else None,
        rows=rows,
        verdict=verdict,
    )


def recourse_text(result: RecourseResult, seed: int) -> str:
    """How the recourse was found, for the method appendix."""
    return (
        "Exhaustive search over changes of 1, then up to "
        f"{plural(result.max_changes, 'feature')} at a time: numeric candidates are {result.grid} "
        "quantiles of the reference data on the allowed side of the case's value, categorical "
        "candidates every other level; immutable features and sensitive attributes never "
        "change. Among the changes that flip the decision, the one with the fewest features, "
        "then the smallest distance (numeric steps in median absolute deviations of the "
        "reference data, 1 per changed category) is shown, re-scored on its own. The search is "
        "deterministic (no seed needed)."
    )
