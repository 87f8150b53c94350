"""Model scores shared by the performance summary and permutation importance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reportgen._lazy import require


@dataclass(frozen=True)
class Score:
    """A named score of (true targets, model outputs)."""

    name: str
    higher_is_better: bool
    compute: Callable[[np.ndarray, np.ndarray], float]
    compute_many: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    """The score of a stack of outputs (m, n, ...) at once, where a vectorised form exists."""

    def signed(self, y: np.ndarray, outputs: np.ndarray) -> float:
        """The score oriented so that higher is better (what scikit-learn scorers return)."""
        value = self.compute(y, outputs)
        return value if self.higher_is_better else -value

    def signed_many(self, y: np.ndarray, stacked: np.ndarray) -> np.ndarray:
        """:meth:`signed` of each of the outputs ``stacked`` (m, n, ...) against ``y``, (m,)."""
        if self.compute_many is not None:
            values = self.compute_many(y, stacked)
        else:
            values = np.array([self.compute(y, outputs) for outputs in stacked])
        return values if self.higher_is_better else -values


def score(name: str, n_classes: int) -> Score:
    """The score ``name`` for a model with ``n_classes`` outputs (0 for regressors)."""
    metrics = require("sklearn.metrics")
    labels = list(range(n_classes))

    def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
        if n_classes == 2:
            return float(metrics.roc_auc_score(y, p[:, 1]))
        return float(metrics.roc_auc_score(y, p, multi_class="ovr", labels=labels))

    table: dict[str, tuple[bool, Callable[[np.ndarray, np.ndarray], float]]] = {
        "roc_auc": (True, roc_auc),
        "accuracy": (True, lambda y, p: float(np.mean(p.argmax(axis=1) == y))),
        "log_loss": (False, lambda y, p: float(metrics.log_loss(y, p, labels=labels))),
        "r2": (True, lambda y, v: float(metrics.r2_score(y, v))),
        "rmse": (False, lambda y, v: float(np.sqrt(np.mean((y - v) ** 2)))),
    }
    higher, compute = table[name]
    many = binary_auc_many if name == "roc_auc" and n_classes == 2 else None
    return Score(name, higher, compute, many)


def binary_auc_many(y: np.ndarray, stacked: np.ndarray) -> np.ndarray:
    """ROC AUC of the positive-class scores of each of ``stacked`` (m, n, 2) against labels y.

    The Mann-Whitney form, (sum of the positives' ranks - n1 (n1 + 1) / 2) / (n1 n0) with tied
    scores given their average rank, which is the area under the ROC curve that scikit-learn's
    ``roc_auc_score`` integrates (ties as diagonal segments); like it, undefined (an error)
    when y holds one class only.
    """
    stats = require("scipy.stats")
    positive = np.asarray(y) == 1
    n1 = int(positive.sum())
    n0 = len(positive) - n1
    if n1 == 0 or n0 == 0:
        metrics = require("sklearn.metrics")
        return np.array([metrics.roc_auc_score(y, outputs[:, 1]) for outputs in stacked])
    ranks = stats.rankdata(stacked[:, :, 1], axis=1)
    return (ranks[:, positive].sum(axis=1) - n1 * (n1 + 1) / 2) / (n1 * n0)


def default_scoring(n_classes: int) -> str:
    if n_classes == 0:
        return "r2"
    return "roc_auc" if n_classes == 2 else "log_loss"


def performance_scores(n_classes: int) -> list[str]:
    if n_classes == 0:
        return ["r2", "rmse"]
    return ["roc_auc", "accuracy", "log_loss"]
