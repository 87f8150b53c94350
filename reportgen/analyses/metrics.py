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

    def signed(self, y: np.ndarray, outputs: np.ndarray) -> float:
        """The score oriented so that higher is better (what scikit-learn scorers return)."""
        value = self.compute(y, outputs)
        return value if self.higher_is_better else -value


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
    return Score(name, higher, compute)


def default_scoring(n_classes: int) -> str:
    if n_classes == 0:
        return "r2"
    return "roc_auc" if n_classes == 2 else "log_loss"


def performance_scores(n_classes: int) -> list[str]:
    if n_classes == 0:
        return ["r2", "rmse"]
    return ["roc_auc", "accuracy", "log_loss"]
