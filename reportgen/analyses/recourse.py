"""Recourse for declined applicants: the nearest actionable change that flips the decision.

For each declined audit case, every change of one mutable feature to a candidate value is
scored, then (if none flips the decision) every pair, up to ``max_changes`` features: numeric
candidates are quantiles of the reference data on the allowed side of the case's value
(``monotone`` features move one way only), categorical candidates are the other levels;
``immutable`` features never change, nor do sensitive attributes (never model inputs). Among
the changes that flip the decision, the one with the fewest features, then the smallest
distance (numeric steps in median absolute deviations of the reference data, 1 per changed
category), is chosen, and re-scored on its own.

An exhaustive search on a stated grid rather than a library's sampler (dice-ml's random or
genetic search): it is deterministic, its result is the proven nearest on the grid, and a test
checks it against brute force. The cost is the number of candidate rows, batched on the model.
"""

from __future__ import annotations

import itertools

import numpy as np

from reportgen.analyses.context import Measure, ModelData
from reportgen.errors import AnalysisError
from reportgen.policy.credit import DecisionSpec, RecourseSpec
from reportgen.results.credit import RecourseCase, RecourseChange, RecourseResult

MAX_ROWS = 2_000_000
"""Most candidate rows one case may send to the model (the search stops short and says so)."""


def run_recourse(data: ModelData) -> RecourseResult:
    """Recourse for every declined case among the displayed audit cases."""
    decision = _decision(data)
    spec = decision.recourse
    adverse = (data.model.classes or []).index(decision.adverse_class)
    search = Search(data, spec, adverse, decision.cutoff)
    rows = [int(r) for r in data.display_rows if data.predictions[r, adverse] >= decision.cutoff]
    with Measure(data.model) as measure:
        cases = [search.case(row) for row in rows]
    return RecourseResult(
        model=data.model.name,
        adverse_class=decision.adverse_class,
        cutoff=decision.cutoff,
        max_changes=spec.max_changes,
        grid=spec.grid,
        immutable=list(spec.immutable),
        monotone=dict(spec.monotone),
        cases=cases,
        cost=measure.cost,
    )


def _decision(data: ModelData) -> DecisionSpec:
    decision = data.policy.decision
    if decision is None:  # the kind applies only to policies with a decision
        raise AnalysisError("recourse needs the policy's decision (adverse_class, cutoff)")
    return decision


class Search:
    """The candidate grid of one model and policy, and the search for one case."""

    def __init__(self, data: ModelData, spec: RecourseSpec, adverse: int, cutoff: float) -> None:
        self.data, self.spec, self.adverse, self.cutoff = data, spec, adverse, cutoff
        codec = data.model.codec
        self.names = codec.names
        self.categorical = set(codec.categorical_indices)
        self.mutable = [j for j, n in enumerate(self.names) if n not in set(spec.immutable)]
        reference = data.reference
        quantiles = np.linspace(0.0, 1.0, spec.grid)
        self.grid = {
            j: np.arange(len(codec.features[j].levels), dtype=np.float64)
            if j in self.categorical
            else np.unique(np.quantile(reference[:, j], quantiles))
            for j in self.mutable
        }
        mad = np.median(np.abs(reference - np.median(reference, axis=0)), axis=0)
        spread = np.where(mad > 0, mad, reference.std(axis=0))
        self.scale = np.where(spread > 0, spread, 1.0)

    def candidates(self, j: int, value: float) -> np.ndarray:
        """Feature ``j``'s allowed new values for a case whose value is ``value``."""
        grid = self.grid[j]
        direction = self.spec.monotone.get(self.names[j])
        if direction == "increase":
            return grid[grid > value]
        if direction == "decrease":
            return grid[grid < value]
        return grid[grid != value]

    def case(self, row: int) -> RecourseCase:
        x = self.data.evaluation[row]
        before = float(self.data.predictions[row, self.adverse])
        for size in range(1, self.spec.max_changes + 1):
            found = self._best(x, size)
            if found is not None:
                return self._found(row, x, before, *found)
        return RecourseCase(
            case_id=str(self.data.ids[row]), adverse_probability=before, found=False
        )

    def _best(self, x: np.ndarray, size: int) -> tuple[np.ndarray, float] | None:
        """The nearest flipping row among changes of exactly ``size`` features, or None."""
        best: tuple[np.ndarray, float] | None = None
        for features in itertools.combinations(self.mutable, size):
            options = [self.candidates(j, float(x[j])) for j in features]
            if any(len(o) == 0 for o in options):
                continue
            values = np.array(list(itertools.product(*options)), dtype=np.float64)
            if len(values) > MAX_ROWS:
                raise AnalysisError(
                    f"recourse: {len(values)} candidates for features {features}; lower "
                    "decision.recourse.grid or max_changes"
                )
            rows = np.repeat(x[None], len(values), axis=0)
            rows[:, list(features)] = values
            flipped = self.data.model.predict_codes(rows)[:, self.adverse] < self.cutoff
            if not flipped.any():
                continue
            distance = self._distance(x, rows[flipped], features)
            i = int(np.argmin(distance))
            if best is None or distance[i] < best[1]:
                best = (rows[flipped][i], float(distance[i]))
        return best

    def _distance(self, x: np.ndarray, rows: np.ndarray, features: tuple[int, ...]) -> np.ndarray:
        total = np.zeros(len(rows))
        for j in features:
            if j in self.categorical:
                total += rows[:, j] != x[j]
            else:
                total += np.abs(rows[:, j] - x[j]) / self.scale[j]
        return total

    def _found(
        self, row: int, x: np.ndarray, before: float, changed: np.ndarray, distance: float
    ) -> RecourseCase:
        after = float(self.data.model.predict_codes(changed[None])[0, self.adverse])  # re-score
        codec = self.data.model.codec
        changes = [
            RecourseChange(
                feature=self.names[j],
                current=codec.display_value(j, float(x[j])),
                suggested=codec.display_value(j, float(changed[j])),
                direction="another level"
                if j in self.categorical
                else ("lower" if changed[j] < x[j] else "higher"),
            )
            for j in (int(i) for i in np.flatnonzero(changed != x))
        ]
        return RecourseCase(
            case_id=str(self.data.ids[row]),
            adverse_probability=before,
            found=after < self.cutoff,
            changes=changes,
            new_probability=after,
            distance=round(distance, 6),
        )
