"""A training history result for the render tests (module name unique to this folder, as
render_fixture's): the hand-written log of tests/fixtures/data/training_log.csv."""

from __future__ import annotations

from render_fixture import MODEL

from reportgen.results.document import Cost
from reportgen.results.training import MetricCurve, TrainingHistoryResult


def make_training_history(released: int = 3, metrics: bool = True) -> TrainingHistoryResult:
    train, val = [0.9, 0.6, 0.4, 0.3, 0.2], [1.0, 0.7, 0.55, 0.55, 0.6]
    at = released - 1
    return TrainingHistoryResult(
        model=MODEL,
        log_format="csv",
        log_sha256="ab" * 32,
        epochs=[1, 2, 3, 4, 5],
        train_loss=train,
        val_loss=val,
        metrics=[MetricCurve(name="accuracy", values=[0.5, None, 0.8, 0.82, 0.83])]
        if metrics
        else [],
        released_epoch=released,
        released_from="the lowest validation loss" if released == 3 else "the policy",
        lowest_val_epoch=3,
        gap=val[at] - train[at],
        cost=Cost(model_rows=0, model_calls=0, wall_seconds=0.001, model_seconds=0.0),
    )
