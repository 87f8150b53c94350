"""Policy settings of a model's training history: where its training log is and which epoch the
released weights come from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reportgen.policy.base import Strict


class TrainingLogSpec(Strict):
    """The log of a torch model's training, one entry per epoch."""

    path: str = Field(
        description="csv: a CSV file with a header row and one row per epoch, columns `epoch`, "
        "`train_loss` and `val_loss`, an optional `best` column (1 on the released epoch, else "
        "0) and any further numeric columns as metrics (an empty cell: not measured that "
        "epoch). tensorboard: a folder of TensorBoard event files whose scalar tags "
        "`train_loss` and `val_loss` (and any other, as metrics) are logged with the epoch as "
        "step. Relative to the policy file."
    )
    format: Literal["csv", "tensorboard"] = Field(
        default="csv",
        description="csv, or tensorboard (read with the tensorboard package: the `tensorboard` "
        "extra).",
    )
    released_epoch: int | None = Field(
        default=None,
        ge=0,
        description="The epoch whose weights were released; it must be in the log. Default: "
        "the epoch the log's `best` column flags, or else the epoch of the lowest validation "
        "loss (the first of equals).",
    )
