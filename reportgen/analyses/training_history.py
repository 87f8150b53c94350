"""The training history of a torch model: learning curves read from the training log the policy
names (models[].training_log), and the epoch the released weights come from.

No row of the data is touched: the log's losses and metrics are means over the training and
validation data, computed when the network was trained (aggregates).
"""

from __future__ import annotations

import hashlib

from reportgen.analyses.context import Measure, ModelData
from reportgen.inputs.models import TorchAdapter
from reportgen.inputs.training_log import load_training_log
from reportgen.policy.schema import ModelSpec, Policy
from reportgen.results.training import MetricCurve, TrainingHistoryResult


def wanted(policy: Policy) -> bool:
    """Whether any model of the policy names a training log."""
    return any(model.training_log is not None for model in policy.models)


def _spec(data: ModelData) -> tuple[int, ModelSpec]:
    return next((i, m) for i, m in enumerate(data.policy.models) if m.name == data.model.name)


def applies(data: ModelData) -> bool:
    """A torch model whose policy entry names its training log."""
    return isinstance(data.model, TorchAdapter) and _spec(data)[1].training_log is not None


def why_not(data: ModelData) -> str:
    index, spec = _spec(data)
    if spec.training_log is None:
        return f"model '{spec.name}' names no training log (models[{index}].training_log)"
    return (
        "the training history is read for torch models (torchscript or torch_export); "
        f"model '{spec.name}' is of format {spec.format}"
    )


def run_training_history(data: ModelData) -> TrainingHistoryResult:
    """Read the model's training log and find its released epoch.

    Raises:
        InputError: the model names no log, the log is missing or malformed, or the declared
            released epoch is not in it.
    """
    index, spec = _spec(data)
    with Measure(data.model) as measure:
        loaded = load_training_log(data.policy, data.policy_dir, index)
        log = loaded.log
        at = log.epochs.index(loaded.released)
        lowest = min(range(len(log.epochs)), key=lambda i: log.val_loss[i])
        csv = loaded.path.is_file()
        digest = hashlib.sha256(loaded.path.read_bytes()).hexdigest() if csv else None
    return TrainingHistoryResult(
        model=spec.name,
        log_format="csv" if csv else "tensorboard",
        log_sha256=digest,
        epochs=list(log.epochs),
        train_loss=list(log.train_loss),
        val_loss=list(log.val_loss),
        metrics=[MetricCurve(name=name, values=list(values)) for name, values in log.metrics],
        released_epoch=loaded.released,
        released_from=loaded.released_from,
        lowest_val_epoch=log.epochs[lowest],
        gap=log.val_loss[at] - log.train_loss[at],
        cost=measure.cost,
    )
