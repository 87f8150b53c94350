"""Model performance on the evaluation data: the context every explanation is read in."""

from __future__ import annotations

from reportgen.analyses.context import Measure, ModelData
from reportgen.analyses.metrics import performance_scores, score
from reportgen.errors import AnalysisError
from reportgen.results.document import Metric, PerformanceResult


def run_performance(data: ModelData) -> PerformanceResult:
    """Scores on the evaluation rows and the predicted class counts."""
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
        rows=len(data.evaluation),
        metrics=metrics,
        class_counts=counts,
        cost=measure.cost,
    )
