"""Model performance on the evaluation data: the context every explanation is read in."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from reportgen.analyses.context import Measure
from reportgen.analyses.metrics import performance_scores, score
from reportgen.errors import AnalysisError
from reportgen.inputs.models import Meter
from reportgen.results.document import Metric, PerformanceResult


class _Model(Protocol):
    name: str
    meter: Meter

    @property
    def classes(self) -> list[str] | None: ...


class Scored(Protocol):
    """What performance reads: a model, its outputs on the evaluation data, the truth."""

    @property
    def model(self) -> _Model: ...

    @property
    def predictions(self) -> np.ndarray: ...

    @property
    def target(self) -> np.ndarray: ...


def run_performance(data: Scored) -> PerformanceResult:
    """Scores on the evaluation rows (or images) and the predicted class counts."""
    model = data.model
    n_classes = len(model.classes or [])
    with Measure(model) as measure:
        outputs = data.predictions
    metrics = []
    for name in performance_scores(n_classes):
        try:
            metrics.append(
                Metric(name=name, value=score(name, n_classes).compute(data.target, outputs))
            )
        except ValueError as exc:
            raise AnalysisError(
                f"model '{model.name}': {name} cannot be computed on the evaluation data ({exc})"
            ) from exc
    counts: dict[str, int] = {}
    if model.classes:
        predicted = outputs.argmax(axis=1)
        counts = {c: int((predicted == i).sum()) for i, c in enumerate(model.classes)}
    return PerformanceResult(
        model=model.name,
        rows=len(data.target),
        metrics=metrics,
        class_counts=counts,
        cost=measure.cost,
    )
