"""The training history section of a torch model: learning curves of its training and
validation loss (and logged metrics) per epoch, and the epoch its released weights come from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reportgen.render.format import fmt_int, fmt_num, plural
from reportgen.render.views import Fact
from reportgen.results.training import TrainingHistoryResult


@dataclass(frozen=True)
class CurveSeries:
    label: str
    values: tuple[float | None, ...]
    """One value per epoch of the chart; None: not measured that epoch (a gap in the line)."""


@dataclass(frozen=True)
class CurveSpec:
    """Lines over the epochs, with a dashed vertical line at the released epoch."""

    id: str
    epochs: tuple[int, ...]
    series: tuple[CurveSeries, ...]
    released: int
    y_label: str
    caption: str


@dataclass(frozen=True)
class TrainingView:
    kind: Literal["training_history"]
    template: str
    heading: str
    intro: str
    facts: tuple[Fact, ...]
    released: str
    losses: CurveSpec
    metrics: CurveSpec | None


def build_training_history(
    result: TrainingHistoryResult, anchor: str, *, heading: str, template: str
) -> TrainingView:
    """The section of one model's training history; ``anchor`` prefixes its charts' ids."""
    epochs = tuple(result.epochs)
    at = result.epochs.index(result.released_epoch)
    caption = f"The dashed line marks epoch {result.released_epoch}, the released weights."
    return TrainingView(
        kind="training_history",
        template=template,
        heading=heading,
        intro=(
            f"How the network learned, as its training log ({result.log_format}) records it: "
            "the mean loss on the training data and on the validation data held out from "
            "training, after each epoch. A validation loss that rises while the training loss "
            "keeps falling is the network learning its training rows rather than the task."
        ),
        facts=(
            Fact("Epochs logged", fmt_int(len(epochs))),
            Fact("Released epoch", str(result.released_epoch)),
            Fact("Training loss at release", fmt_num(result.train_loss[at])),
            Fact("Validation loss at release", fmt_num(result.val_loss[at])),
        ),
        released=released_sentence(result),
        losses=CurveSpec(
            id=f"{anchor}-learning-curves",
            epochs=epochs,
            series=(
                CurveSeries("training loss", tuple(result.train_loss)),
                CurveSeries("validation loss", tuple(result.val_loss)),
            ),
            released=result.released_epoch,
            y_label="Mean loss",
            caption=f"Learning curves: training and validation loss per epoch. {caption}",
        ),
        metrics=CurveSpec(
            id=f"{anchor}-training-metrics",
            epochs=epochs,
            series=tuple(CurveSeries(m.name, tuple(m.values)) for m in result.metrics),
            released=result.released_epoch,
            y_label="Value",
            caption=f"Metrics logged during training, per epoch. {caption}",
        )
        if result.metrics
        else None,
    )


def released_sentence(result: TrainingHistoryResult) -> str:
    """Which epoch was released and why, and the gap between the losses there."""
    at = result.epochs.index(result.released_epoch)
    train, val = result.train_loss[at], result.val_loss[at]
    if result.released_from == "the lowest validation loss":
        why = "taken as the epoch of the lowest validation loss (neither the policy nor the log "
        why += "names the released epoch)"
    else:
        verb = "declares" if result.released_from == "the policy" else "flags"
        why = f"as {result.released_from} {verb}; " + (
            "it is the epoch of the lowest validation loss"
            if result.released_epoch == result.lowest_val_epoch
            else f"the lowest validation loss was at epoch {result.lowest_val_epoch}"
        )
    ratio = f" ({result.gap / train:.0%} of the training loss)" if train > 0 else ""
    return (
        f"The released weights come from epoch {result.released_epoch} of "
        f"{plural(len(result.epochs), 'logged epoch')}, {why}. There the validation loss is "
        f"{fmt_num(val)} and the training loss {fmt_num(train)}: a gap of "
        f"{fmt_num(result.gap)}{ratio}, validation minus training."
    )


def training_text(result: TrainingHistoryResult, seed: int) -> str:
    """The method appendix's paragraph (the seed plays no part: the log is read as written)."""
    source = (
        f"the CSV file of sha256 {result.log_sha256}"
        if result.log_sha256
        else "the TensorBoard event files (read with the tensorboard package)"
    )
    return (
        f"Read from {source}, as logged during training; no data row is evaluated. The released "
        "epoch is the one the policy declares, else the one the log's best column flags, else "
        "the epoch of the lowest validation loss (the first of equals)."
    )


__all__ = [
    "CurveSeries",
    "CurveSpec",
    "TrainingView",
    "build_training_history",
    "released_sentence",
    "training_text",
]
