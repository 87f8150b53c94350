"""Training code shared by the example models (``credit/train.py``, ``medical/train.py``).

Each example script keeps what is its own: loading its data, splitting it, choosing and encoding
its features (the :class:`~reportgen.inputs.preprocessing.Preprocessing`) and writing its data
splits. This module does the rest the same way for every example: a small ReLU network (an MLP)
trained with AdamW and early stopping, its test metrics, the writing of ``preprocessing.json``,
``model.pt`` and ``training_log.csv`` (loss per epoch, the released epoch flagged), and the
check that those files reload to the network just trained.

Everything is deterministic: :func:`make_deterministic` fixes torch's seed and algorithms, and
the same library versions give byte-identical ``preprocessing.json``, ``model.pt`` and
``training_log.csv``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from torch import nn

from reportgen.inputs.preprocessing import Preprocessing, load_preprocessing

#: Largest |logit difference| between the reloaded model.pt and the trained network that passes.
ROUND_TRIP_TOLERANCE = 1e-5


@dataclass(frozen=True)
class ClassifierSpec:
    """What differs between the examples' networks and their training.

    Attributes:
        target: the label column of the data splits.
        classes: the labels in output-column order (logit column ``i`` scores ``classes[i]``).
        positive: the class whose probability the test ROC AUC scores.
        hidden: widths of the hidden layers, input side first (``(32, 16)``: in -> 32 -> 16 -> out).
        batch_size: minibatch size of the training loop.
        seed: seeds torch, the validation split and the minibatch order.
    """

    target: str
    classes: tuple[str, ...]
    positive: str
    hidden: tuple[int, ...]
    batch_size: int
    seed: int

    @property
    def positive_index(self) -> int:
        """The output column of :attr:`positive`."""
        return self.classes.index(self.positive)


@dataclass(frozen=True)
class Evaluation:
    """A trained network on the held-out split: its logits and two metrics."""

    logits: torch.Tensor
    roc_auc: float
    accuracy: float


class DeterministicLinear(nn.Linear):
    """nn.Linear whose sizes TorchScript stores as plain attributes, not ``Final`` constants.

    TorchScript collects ``__constants__`` into a set, so their order in model.pt follows Python's
    per-process string hashing; without constants the archive is byte-identical between runs.

    TorchScript would name this class after its module (``__torch__.mlp_training.…``), which
    depends on how the module was imported; the fixed name keeps model.pt independent of that.
    It is ``Linear``, so a report's layer table names these layers as torch's own.
    """

    __constants__: list[str] = []  # noqa: RUF012 (TorchScript reads it from the class)
    _jit_override_qualname: ClassVar[str] = "__torch__.Linear"


def make_deterministic(seed: int) -> None:
    """Seed torch, allow only deterministic algorithms and use one thread (the sum order)."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


def encode(
    spec: ClassifierSpec, prep: Preprocessing, frame: pd.DataFrame
) -> tuple[torch.Tensor, torch.Tensor]:
    """Encoded features (float32) and class indices (int64) of ``frame``."""
    x = prep.encode(prep.codec.to_codes(frame))
    labels = frame[spec.target].map({label: i for i, label in enumerate(spec.classes)})
    return torch.from_numpy(x), torch.tensor(labels.to_numpy(dtype=np.int64))


def make_network(width: int, hidden: Sequence[int], n_outputs: int) -> nn.Sequential:
    """Linear layers ``width -> *hidden -> n_outputs`` with a ReLU between each two."""
    sizes = [width, *hidden, n_outputs]
    layers: list[nn.Module] = []
    for n_in, n_out in itertools.pairwise(sizes):
        if layers:
            layers.append(nn.ReLU())
        layers.append(DeterministicLinear(n_in, n_out))
    return nn.Sequential(*layers)


def _train_epoch(
    net: nn.Module,
    optimiser: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    batch_size: int,
    generator: torch.Generator,
) -> None:
    """One pass over ``(x, y)`` in shuffled minibatches."""
    net.train()
    loss_fn = nn.CrossEntropyLoss()
    for batch in torch.randperm(len(y), generator=generator).split(batch_size):
        optimiser.zero_grad()
        loss_fn(net(x[batch]), y[batch]).backward()
        optimiser.step()


def _loss(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean cross-entropy of the network in evaluation mode."""
    net.eval()
    with torch.no_grad():
        return float(nn.CrossEntropyLoss()(net(x), y).item())


@dataclass(frozen=True)
class Epoch:
    """One epoch of training: mean cross-entropy on the fit and the validation slices after it."""

    epoch: int
    train_loss: float
    val_loss: float


@dataclass(frozen=True)
class Fitted:
    """A trained network (the weights of its best epoch) and the log of its training."""

    net: nn.Module
    history: tuple[Epoch, ...]
    best_epoch: int


def fit(
    spec: ClassifierSpec,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    max_epochs: int = 300,
    patience: int = 25,
    net: nn.Module | None = None,
) -> Fitted:
    """AdamW on minibatches; early stopping on a stratified 20 % validation slice.

    ``net`` is the network to train (default: the MLP of ``spec.hidden``).

    Training stops after ``patience`` epochs without a validation loss lower by more than 1e-5;
    the returned network (in evaluation mode) has the weights of the best epoch. Each epoch's
    losses are measured in evaluation mode after it (no gradient, no random draw: measuring
    them leaves the weights and the minibatch order as they would be without).
    """
    fit_idx, val_idx = train_test_split(
        np.arange(len(y)), test_size=0.2, stratify=y.numpy(), random_state=spec.seed
    )
    if net is None:
        net = make_network(x.shape[1], spec.hidden, len(spec.classes))
    optimiser = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2)
    generator = torch.Generator().manual_seed(spec.seed)
    best_loss, best_state, best_epoch, waited = float("inf"), net.state_dict(), 0, 0
    x_fit, y_fit = x[fit_idx], y[fit_idx]
    history: list[Epoch] = []
    for epoch in range(1, max_epochs + 1):
        _train_epoch(net, optimiser, x_fit, y_fit, batch_size=spec.batch_size, generator=generator)
        val_loss = _loss(net, x[val_idx], y[val_idx])
        history.append(Epoch(epoch, _loss(net, x_fit, y_fit), val_loss))
        if val_loss < best_loss - 1e-5:
            best_loss, best_epoch, waited = val_loss, epoch, 0
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                break
    net.load_state_dict(best_state)
    return Fitted(net.eval(), tuple(history), best_epoch)


def write_training_log(path: Path, fitted: Fitted) -> None:
    """``path``: one CSV row per epoch (epoch, train_loss, val_loss, best = 1 on the released
    epoch), losses written as Python's shortest round-trip repr (same run, same bytes)."""
    lines = ["epoch,train_loss,val_loss,best"]
    lines += [
        f"{e.epoch},{e.train_loss!r},{e.val_loss!r},{int(e.epoch == fitted.best_epoch)}"
        for e in fitted.history
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def evaluate(spec: ClassifierSpec, net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Evaluation:
    """Logits, ROC AUC for ``spec.positive`` and accuracy of ``net`` on ``(x, y)``."""
    with torch.inference_mode():
        logits = net(x)
    proba = torch.softmax(logits, dim=1).numpy()
    positive = spec.positive_index
    auc = roc_auc_score(y.numpy() == positive, proba[:, positive])
    accuracy = accuracy_score(y.numpy(), proba.argmax(axis=1))
    return Evaluation(logits, float(auc), float(accuracy))


def save_model(folder: Path, prep: Preprocessing, net: nn.Module) -> None:
    """Write ``folder/preprocessing.json`` and the TorchScript network ``folder/model.pt``."""
    text = json.dumps(prep.to_dict(), sort_keys=True, indent=2) + "\n"
    (folder / "preprocessing.json").write_text(text, encoding="utf-8")
    torch.jit.save(torch.jit.script(net), str(folder / "model.pt"))


def round_trip_difference(
    folder: Path, evaluation: pd.DataFrame, expected: torch.Tensor, model: str = "model.pt"
) -> float:
    """Reload the written files the way reportgen does; max |logit difference| from ``expected``.

    ``evaluation`` is the evaluation split as read back from its file and ``expected`` the trained
    network's logits on it as encoded at training time, so this checks the data files, the
    preprocessing file and the model file (``folder/model``) together.
    """
    prep = load_preprocessing(folder / "preprocessing.json")
    x = torch.from_numpy(prep.encode(prep.codec.to_codes(evaluation)))
    loaded = torch.jit.load(str(folder / model))
    with torch.inference_mode():
        return float((loaded(x) - expected).abs().max())


def train_and_export(
    spec: ClassifierSpec,
    prep: Preprocessing,
    train: pd.DataFrame,
    test: pd.DataFrame,
    folder: Path,
    write_splits: Callable[[pd.DataFrame, pd.DataFrame], None],
    read_evaluation: Callable[[], pd.DataFrame],
) -> int:
    """Train on ``train``, score on ``test``, write every output and check the round trip.

    ``write_splits(train, test)`` writes the example's data files and ``read_evaluation()``
    reads its evaluation file back; the model files go into ``folder``. Prints the metrics and
    returns the exit status: 0 when the reloaded model matches the trained one, else 1.
    """
    fitted = fit(spec, *encode(spec, prep, train))
    net = fitted.net
    result = evaluate(spec, net, *encode(spec, prep, test))
    write_splits(train, test)
    save_model(folder, prep, net)
    write_training_log(folder / "training_log.csv", fitted)
    diff = round_trip_difference(folder, read_evaluation(), result.logits)
    print(f"encoded width {prep.encoded_width}; train {len(train)} rows, test {len(test)} rows")
    print(f"test ROC AUC ({spec.positive}) {result.roc_auc:.4f}, accuracy {result.accuracy:.4f}")
    print(f"reloaded model.pt vs. trained network: max |logit diff| {diff:.3g}")
    print(f"model.pt: {(folder / 'model.pt').stat().st_size} bytes")
    return 0 if diff < ROUND_TRIP_TOLERANCE else 1
