"""Read a model's training log: loss per epoch on the training and validation data, and any
metrics, from a CSV file or a TensorBoard event folder (models[].training_log).

Every problem is an :class:`InputError` whose one sentence names the file and what was expected.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

from reportgen._lazy import require
from reportgen.errors import InputError
from reportgen.policy.schema import Policy
from reportgen.policy.training import TrainingLogSpec
from reportgen.results.training import ReleasedFrom

REQUIRED = ("epoch", "train_loss", "val_loss")
"""Columns (CSV) or scalar tags (TensorBoard) every training log has."""
BEST = "best"
"""The optional CSV column that flags the released epoch with 1 (every other epoch 0)."""
MAX_EPOCHS = 100_000
"""Longest log read (a guard against a file that is not a training log)."""


@dataclass(frozen=True)
class TrainingLog:
    """The log as read: epochs in increasing order, a loss and each metric per epoch."""

    epochs: tuple[int, ...]
    train_loss: tuple[float, ...]
    val_loss: tuple[float, ...]
    metrics: tuple[tuple[str, tuple[float | None, ...]], ...]
    """Each further column, in file order (None: not measured that epoch)."""
    flagged: int | None
    """The epoch the log's ``best`` column flags, if it has one."""


def read_training_log(path: Path, spec: TrainingLogSpec, where: str) -> TrainingLog:
    """The log at ``path`` (``where`` names its policy key in messages).

    Raises:
        InputError: the log is missing, unreadable or malformed.
        MissingDependencyError: a TensorBoard log and the tensorboard package is not installed.
    """
    if spec.format == "tensorboard":
        if not path.is_dir():
            raise InputError(f"{path}: TensorBoard event folder not found ({where})")
        return _read_tensorboard(path, where)
    if not path.is_file():
        raise InputError(f"{path}: training log not found ({where})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the training log as UTF-8 text ({where})") from exc
    return parse_csv(text, f"{path} ({where})")


def parse_csv(text: str, where: str) -> TrainingLog:
    """The log written as CSV ``text``; ``where`` starts each message."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError(
            f"{where}: the training log is empty; expected a header row with {', '.join(REQUIRED)}"
        )
    header = [cell.strip() for cell in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise InputError(
            f"{where}: the training log has no column {', '.join(map(repr, missing))}; its header "
            f"must name {', '.join(REQUIRED)} (found {', '.join(map(repr, header))})"
        )
    if len(set(header)) != len(header):
        raise InputError(f"{where}: the training log's header names a column twice")
    body = [row for row in rows[1:] if any(cell.strip() for cell in row)]
    if not body:
        raise InputError(f"{where}: the training log has a header but no epoch")
    if len(body) > MAX_EPOCHS:
        raise InputError(
            f"{where}: the training log has {len(body)} epochs; at most {MAX_EPOCHS} are read"
        )
    columns: dict[str, list[str]] = {name: [] for name in header}
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise InputError(
                f"{where}: line {line} has {len(row)} cells; the header has {len(header)}"
            )
        for name, cell in zip(header, row, strict=True):
            columns[name].append(cell.strip())
    epochs = _epochs(columns["epoch"], where)
    metrics = tuple(
        (name, tuple(_number(cell, name, where) for cell in cells))
        for name, cells in columns.items()
        if name not in (*REQUIRED, BEST)
    )
    return TrainingLog(
        epochs=epochs,
        train_loss=_losses(columns["train_loss"], "train_loss", where),
        val_loss=_losses(columns["val_loss"], "val_loss", where),
        metrics=metrics,
        flagged=_flagged(columns.get(BEST), epochs, where),
    )


def _epochs(cells: list[str], where: str) -> tuple[int, ...]:
    epochs = []
    for cell in cells:
        if not cell.isdigit():
            raise InputError(f"{where}: epoch {cell!r} is not a whole number >= 0")
        epochs.append(int(cell))
    if any(b <= a for a, b in itertools.pairwise(epochs)):
        raise InputError(f"{where}: the epochs must increase from row to row")
    return tuple(epochs)


def _losses(cells: list[str], name: str, where: str) -> tuple[float, ...]:
    return tuple(_finite(cell, name, where) for cell in cells)


def _number(cell: str, name: str, where: str) -> float | None:
    """A metric's cell: a finite number, or None when empty (not measured that epoch)."""
    return None if cell == "" else _finite(cell, name, where)


def _finite(cell: str, name: str, where: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(f"{where}: column {name!r} holds {cell!r}, which is not a finite number")
    return value


def _flagged(cells: list[str] | None, epochs: tuple[int, ...], where: str) -> int | None:
    if cells is None:
        return None
    if any(cell not in ("0", "1") for cell in cells):
        raise InputError(
            f"{where}: column {BEST!r} must hold 1 on the released epoch and 0 on every other"
        )
    flagged = [epoch for epoch, cell in zip(epochs, cells, strict=True) if cell == "1"]
    if len(flagged) != 1:
        raise InputError(
            f"{where}: column {BEST!r} flags {len(flagged)} epochs; it must flag exactly one"
        )
    return flagged[0]


def _read_tensorboard(folder: Path, where: str) -> TrainingLog:
    """Scalars of the event files in ``folder``, the step taken as the epoch."""
    accumulator = require("tensorboard.backend.event_processing.event_accumulator")
    events = accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0})
    events.Reload()
    tags = list(events.Tags().get("scalars", []))
    missing = [name for name in REQUIRED[1:] if name not in tags]
    if missing:
        raise InputError(
            f"{folder} ({where}): the event files log no scalar {', '.join(map(repr, missing))}"
        )
    series = {tag: {int(e.step): float(e.value) for e in events.Scalars(tag)} for tag in tags}
    epochs = tuple(sorted(series["train_loss"]))
    if sorted(series["val_loss"]) != list(epochs):
        raise InputError(
            f"{folder} ({where}): train_loss and val_loss are logged at different steps"
        )
    return TrainingLog(
        epochs=epochs,
        train_loss=tuple(series["train_loss"][e] for e in epochs),
        val_loss=tuple(series["val_loss"][e] for e in epochs),
        metrics=tuple(
            (tag, tuple(series[tag].get(e) for e in epochs)) for tag in tags if tag not in REQUIRED
        ),
        flagged=None,
    )


def released_epoch(log: TrainingLog, declared: int | None, where: str) -> tuple[int, ReleasedFrom]:
    """The epoch of the released weights and where it comes from: the policy, the log's
    ``best`` column, or the lowest validation loss (the first of equals).

    Raises:
        InputError: the declared epoch is not in the log, or the log flags another.
    """
    if declared is not None:
        if declared not in log.epochs:
            raise InputError(
                f"{where}.released_epoch: epoch {declared} is not in the training log, which "
                f"holds epochs {log.epochs[0]} to {log.epochs[-1]}"
            )
        if log.flagged is not None and log.flagged != declared:
            raise InputError(
                f"{where}.released_epoch: the policy declares epoch {declared} but the "
                f"training log's {BEST!r} column flags epoch {log.flagged}"
            )
        return declared, "the policy"
    if log.flagged is not None:
        return log.flagged, "the training log"
    best = min(range(len(log.epochs)), key=lambda i: log.val_loss[i])
    return log.epochs[best], "the lowest validation loss"


@dataclass(frozen=True)
class LoadedLog:
    """A model's training log as read, where it is, and its released epoch."""

    log: TrainingLog
    path: Path
    released: int
    released_from: ReleasedFrom


def load_training_log(policy: Policy, base_dir: Path, index: int) -> LoadedLog:
    """Read the training log of the policy's model number ``index`` (its path relative to
    ``base_dir``, the policy file's folder) and find its released epoch. ``validate`` and ``run``
    call it when they load the model, so a bad log is refused before any analysis.

    Raises:
        InputError: the model names no training log, or it is missing or malformed, or the
            declared released epoch is not in it.
    """
    where = f"models[{index}].training_log"
    spec = policy.models[index].training_log
    if spec is None:
        raise InputError(f"{where}: model '{policy.models[index].name}' names no training log")
    path = (base_dir / spec.path).resolve()
    log = read_training_log(path, spec, f"{where}.path")
    epoch, source = released_epoch(log, spec.released_epoch, where)
    return LoadedLog(log, path, epoch, source)
