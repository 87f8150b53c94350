"""Pieces every trust check uses: metric summaries, reruns, and per-target model calls."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reportgen.analyses.checks.metrics import summary
from reportgen.analyses.context import ModelData
from reportgen.analyses.explain import Attribution
from reportgen.results.document import CheckMetric


def metric(
    method: str,
    name: str,
    values: np.ndarray,
    *,
    threshold: float | None = None,
    higher_is_better: bool = True,
    chance: float | None = None,
) -> CheckMetric:
    """A per-instance metric summarised as median, tail and pass rate against ``threshold``."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.where(np.isfinite(values), values, np.finfo(np.float64).max)
    s = summary(finite, threshold if threshold is not None else 0.0, higher_is_better)
    return CheckMetric(
        method=method,
        metric=name,
        median=float(s.median),
        tail=float(s.tail),
        pass_rate=float(s.pass_rate) if threshold is not None else None,
        chance=chance,
        values=[float(v) for v in finite],
    )


def scalar(method: str, name: str, value: float, *, chance: float | None = None) -> CheckMetric:
    """A metric with one value (global checks)."""
    return CheckMetric(method=method, metric=name, median=float(value), chance=chance)


def rerun(data: ModelData, method: str, rows: np.ndarray, seed: int) -> Attribution:
    """``method``'s attributions of ``rows`` with another seed."""
    explainer = data.explainers[method] if method != "random" else data.control
    return explainer.explain(data.evaluation[rows], data.targets(rows), seed)


def target_output(data: ModelData, target: int) -> Callable[[np.ndarray], np.ndarray]:
    """Coded rows -> the model output ``target`` for each row (probability or value)."""

    def predict(codes: np.ndarray) -> np.ndarray:
        out = data.model.predict_codes(codes)
        return out[:, target] if out.ndim == 2 else out

    return predict
