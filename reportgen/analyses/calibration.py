"""Calibration: does a score of p mean a risk of p? Overall and per group of each fair-lending
attribute.

The score is the model's probability of the adverse class; the outcome is 1 where the observed
class is the adverse one.

* **Expected calibration error** (ECE): the scores are binned into ``bins`` equal-width bins on
  [0, 1] (bin i holds i/M <= p < (i+1)/M, the last bin also p = 1); ECE = sum over bins of
  (n_b / n) |observed adverse rate in b - mean score in b|. 0 is perfect calibration.
* **Brier score**: the mean of (p - outcome)^2 over the rows (0 is perfect; it mixes calibration
  with discrimination).
* **Reliability diagram** (all rows): per bin, the mean score against the observed adverse rate,
  with the bin's row count. Its bins are the ECE's bins, also broken at the decision cutoff and
  at 0.5 (:func:`diagram_edges`), where other published counts (approvals, predicted classes)
  split the rows: the privacy gate suppresses small bins within each segment between those
  thresholds so that no suppressed bin can be worked out from the published counts.
* 95 % percentile-bootstrap intervals of ECE and Brier (rows resampled, within each group for a
  group's figures), from the policy seed.

No gate: there is no accepted threshold of ECE or Brier for a credit score (both depend on the
base rate and the bins), so calibration is reported, not judged.

INTERNAL FIGURES. Every group and bin is here, however small: only the privacy gate may publish
the result.
"""

from __future__ import annotations

import numpy as np

from reportgen.analyses.context import Measure, ModelData
from reportgen.analyses.decision import Decision, decision_of, groups_of
from reportgen.analyses.resample import percentile_interval, resampled_sums, stream
from reportgen.policy.fair_lending import assessed
from reportgen.results.credit import (
    CalibrationFigures,
    CalibrationGroups,
    CalibrationResult,
    ReliabilityBin,
)
from reportgen.results.document import MetricWithInterval


def bin_edges(bins: int) -> np.ndarray:
    """The edges of ``bins`` equal-width bins on [0, 1] (i / bins: 0.3, not 0.30000000000000004)."""
    return np.arange(bins + 1) / bins


def bin_index(scores: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each score's bin: edges[i] <= p < edges[i + 1], the last bin closed at 1."""
    return np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, len(edges) - 2)


def diagram_edges(bins: int, thresholds: list[float]) -> np.ndarray:
    """The ECE's equal-width edges with the ``thresholds`` added as edges."""
    return np.unique(np.concatenate([bin_edges(bins), np.asarray(thresholds, dtype=np.float64)]))


def expected_calibration_error(scores: np.ndarray, outcomes: np.ndarray, bins: int) -> float:
    """Sum over equal-width bins of (n_b / n) |mean outcome - mean score| (see the module)."""
    index = bin_index(scores, bin_edges(bins))
    gaps = np.bincount(index, weights=outcomes - scores, minlength=bins)
    return float(np.abs(gaps).sum() / len(scores))


def brier_score(scores: np.ndarray, outcomes: np.ndarray) -> float:
    """The mean squared difference between score and 0/1 outcome."""
    return float(np.mean((scores - outcomes) ** 2))


def reliability_bins(
    scores: np.ndarray, outcomes: np.ndarray, edges: np.ndarray
) -> list[ReliabilityBin]:
    """Per bin of ``edges``: its rows, mean score and observed adverse rate (None if empty)."""
    index = bin_index(scores, edges)
    count = np.bincount(index, minlength=len(edges) - 1)
    score_sum = np.bincount(index, weights=scores, minlength=len(edges) - 1)
    outcome_sum = np.bincount(index, weights=outcomes, minlength=len(edges) - 1)
    return [
        ReliabilityBin(
            low=float(edges[b]),
            high=float(edges[b + 1]),
            count=int(count[b]),
            mean_predicted=float(score_sum[b] / count[b]) if count[b] else None,
            observed_rate=float(outcome_sum[b] / count[b]) if count[b] else None,
        )
        for b in range(len(edges) - 1)
    ]


def run_calibration(data: ModelData) -> CalibrationResult:
    """ECE, Brier score and the reliability diagram, overall and per fair-lending group."""
    decision = decision_of(data)
    spec = decision.spec.calibration
    if spec is None:
        raise ValueError("the policy's decision has no calibration settings")
    thresholds = sorted({decision.spec.cutoff, 0.5})
    with Measure(data.model) as measure:
        every = np.arange(len(decision.scores))
        overall = _figures(data, decision, every, "all rows", "\x00all")
        reliability = reliability_bins(
            decision.scores, decision.adverse, diagram_edges(spec.bins, thresholds)
        )
        attributes = _per_group(data, decision)
    return CalibrationResult(
        model=data.model.name,
        adverse_class=decision.spec.adverse_class,
        score=data.output_name(decision.index),
        rows=len(decision.scores),
        bins=spec.bins,
        thresholds=thresholds,
        bootstrap=spec.bootstrap,
        overall=overall,
        reliability=reliability,
        attributes=attributes,
        cost=measure.cost,
    )


def _per_group(data: ModelData, decision: Decision) -> list[CalibrationGroups]:
    """Per group of each fair-lending attribute; none without fair-lending settings."""
    fair = decision.spec.fair_lending
    if fair is None:
        return []
    found = []
    for item in assessed(fair, data.policy.data.sensitive):
        labels, groups = groups_of(data, item)
        figures = [
            _figures(data, decision, np.flatnonzero(groups == label), label, item.attribute)
            for label in labels
        ]
        found.append(CalibrationGroups(attribute=item.attribute, bands=item.bands, groups=figures))
    return found


def _figures(
    data: ModelData, decision: Decision, rows: np.ndarray, label: str, family: str
) -> CalibrationFigures:
    """ECE and Brier of ``rows`` with bootstrap intervals (a stream per family and label)."""
    if len(rows) == 0:
        return CalibrationFigures(label=label, size=0)
    spec = decision.spec.calibration
    bins = spec.bins if spec else 10
    p, y = decision.scores[rows], decision.adverse[rows]
    values = np.column_stack([p, y, (p - y) ** 2])
    _, sums = resampled_sums(
        values,
        resamples=spec.bootstrap if spec else 0,
        rng=stream(data.seed, "calibration", family, label),
        bins=bin_index(p, bin_edges(bins)),
        n_bins=bins,
    )
    ece_draws = np.abs(sums[:, :, 1] - sums[:, :, 0]).sum(axis=1) / len(rows)
    brier_draws = sums[:, :, 2].sum(axis=1) / len(rows)
    ece_low, ece_high = percentile_interval(ece_draws)
    brier_low, brier_high = percentile_interval(brier_draws)
    return CalibrationFigures(
        label=label,
        size=len(rows),
        expected_calibration_error=MetricWithInterval(
            name="expected_calibration_error",
            value=expected_calibration_error(p, y, bins),
            low=ece_low,
            high=ece_high,
        ),
        brier_score=MetricWithInterval(
            name="brier_score", value=brier_score(p, y), low=brier_low, high=brier_high
        ),
    )


__all__ = [
    "bin_edges",
    "bin_index",
    "brier_score",
    "diagram_edges",
    "expected_calibration_error",
    "reliability_bins",
    "run_calibration",
]
