"""A recourse result for render tests: one declined case with a flipping change, one without."""

from __future__ import annotations

from render_fixture import MODEL

from reportgen.results.credit import RecourseCase, RecourseChange, RecourseResult
from reportgen.results.document import Cost


def make_recourse() -> RecourseResult:
    found = RecourseCase(
        case_id="case-0a1b2c3d4e",
        adverse_probability=0.62,
        found=True,
        changes=[
            RecourseChange(
                feature="credit_amount",
                current="4,000-8,000",
                suggested="under 2,000",
                direction="lower",
            )
        ],
        new_probability=0.41,
        distance=1.8,
    )
    stuck = RecourseCase(case_id="case-9f8e7d6c5b", adverse_probability=0.93, found=False)
    return RecourseResult(
        model=MODEL,
        adverse_class="bad",
        cutoff=0.5,
        max_changes=2,
        grid=10,
        immutable=["credit_history"],
        monotone={"credit_amount": "decrease"},
        cases=[found, stuck],
        cost=Cost(model_rows=120, model_calls=3, wall_seconds=0.01, model_seconds=0.005),
    )
