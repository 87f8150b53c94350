"""The training history of a torch model: its loss per epoch on the training and validation
data, its logged metrics, and the epoch its released weights come from (aggregates only)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reportgen.results.base import Cost
from reportgen.results.base import Doc as _Doc

ReleasedFrom = Literal["the policy", "the training log", "the lowest validation loss"]
"""Where the released epoch comes from: declared in the policy, flagged by the log's ``best``
column, or else the epoch of the lowest validation loss."""


class MetricCurve(_Doc):
    """A metric logged during training, one value per epoch of the log."""

    name: str
    values: list[float | None] = Field(description="Per epoch; null where it was not measured.")


class TrainingHistoryResult(_Doc):
    """Learning curves and the released epoch, read from the model's training log."""

    kind: Literal["training_history"] = "training_history"
    model: str
    log_format: Literal["csv", "tensorboard"]
    log_sha256: str | None = Field(
        description="sha256 of the CSV log (null for a TensorBoard folder)."
    )
    epochs: list[int]
    train_loss: list[float] = Field(description="Mean training loss per epoch.")
    val_loss: list[float] = Field(description="Mean validation loss per epoch.")
    metrics: list[MetricCurve]
    released_epoch: int = Field(description="The epoch the released weights come from.")
    released_from: ReleasedFrom
    lowest_val_epoch: int = Field(description="The epoch of the lowest validation loss.")
    gap: float = Field(
        description="Validation loss minus training loss at the released epoch (> 0: the "
        "network fits its training data better than unseen data)."
    )
    cost: Cost
