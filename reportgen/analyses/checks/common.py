"""Pieces every trust check uses: metric summaries, reruns, and per-target model calls."""

from __future__ import annotations

import numpy as np

from reportgen.analyses.checks.metrics import summary
from reportgen.analyses.context import SALT_RERUN, ModelData
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
    """A per-instance metric summarised as median, tail and pass rate against ``threshold``.

    Values are first rounded to 12 significant digits: many metrics are exact fractions (4 of 5
    top features is 0.8) that binary arithmetic leaves a hair below their value, and a value
    of 0.7999999999999999 must meet a threshold of 0.8.
    """
    values = snap(np.asarray(values, dtype=np.float64))
    finite = np.where(np.isfinite(values), values, np.finfo(np.float64).max)
    s = summary(finite, threshold if threshold is not None else 0.0, higher_is_better)
    return CheckMetric(
        method=method,
        metric=name,
        median=float(snap(np.array([s.median]))[0]),
        tail=float(snap(np.array([s.tail]))[0]),
        pass_rate=float(s.pass_rate) if threshold is not None else None,
        chance=chance,
        values=[float(v) for v in finite],
    )


def snap(values: np.ndarray) -> np.ndarray:
    """``values`` rounded to 12 significant digits (infinities and NaN kept)."""
    return np.array([float(f"{v:.12g}") for v in np.ravel(values)]).reshape(np.shape(values))


def check_k(data: ModelData) -> int:
    """The number of top features the checks compare: ``checks.top_k``, capped at ``d // 3``.

    Two random top-k sets of d features share k/d of their features by chance, so with few
    features a large k agrees by chance alone (k = 5 of 6: 0.83). Capping k at d // 3 (at
    least 1) keeps that chance level at or below 1/3 wherever d >= 3.
    """
    return min(data.checks.top_k, max(1, data.evaluation.shape[1] // 3))


def k_note(data: ModelData) -> str | None:
    """Why the checks compare fewer top features than the policy asks, or None if they do not."""
    asked, used, d = data.checks.top_k, check_k(data), data.evaluation.shape[1]
    if used == asked:
        return None
    return (
        f"Top-k lowered from {asked} to {used}: with {d} features, {asked} features picked at "
        f"random would already share {asked}/{d} = {asked / d:.0%} of a top-{asked} set by "
        f"chance, so the checks compare at most a third of the features, and at least one "
        f"(chance now {used}/{d} = {used / d:.0%})."
    )


def scalar(method: str, name: str, value: float, *, chance: float | None = None) -> CheckMetric:
    """A metric with one value (global checks), rounded as :func:`metric` rounds."""
    median = float(snap(np.array([value]))[0])
    return CheckMetric(method=method, metric=name, median=median, chance=chance)


def reruns(data: ModelData, method: str, rows: np.ndarray, count: int) -> np.ndarray:
    """``count`` further runs of ``method`` on ``rows``, each row with a seed of its own per run,
    all sent as one batch of work: attributions of shape (count, len(rows), d)."""
    run = np.repeat(np.arange(1, count + 1), len(rows))
    row = np.tile(rows, count)
    seeds = data.seeds(SALT_RERUN, run, row)
    found = data.explain(method, data.evaluation[row], data.targets(row), seeds)
    return found.values.reshape(count, len(rows), -1)
