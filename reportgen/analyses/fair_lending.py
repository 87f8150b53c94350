"""Fair lending: do approval rates differ across the groups of a sensitive attribute, and why?

Per sensitive attribute (``decision.fair_lending``), per group:

* **approval rate**: the share of the group whose score (probability of the adverse class) is
  below the cutoff, computed by fairlearn's ``MetricFrame`` (``selection_rate`` of the approvals);
* **adverse impact ratio** (AIR): the group's approval rate over the reference group's. The
  four-fifths rule reads an AIR below 0.8 as evidence of adverse impact;
* **standardized mean difference** (SMD) of the scores: (mean score of the group - mean score of
  the reference) / pooled standard deviation, the pooled deviation being
  sqrt(((n_g - 1) s_g^2 + (n_r - 1) s_r^2) / (n_g + n_r - 2)) with sample variances s^2
  (Cohen's d). Positive: the group is scored as riskier than the reference;
* 95 % percentile-bootstrap intervals of the three, each group resampled within itself (its size
  kept, as the groups are fixed parts of the applicant population), from the policy seed.

The reference is the group the policy names, or the group of at least ``privacy.min_cohort_size``
applicants approved most often. The gap in mean score between two groups (by default the group
with the lowest AIR against the reference) is decomposed into feature contributions: the
difference of the two groups' mean interventional SHAP values of the adverse-class probability.
Every row's values sum to its score minus one base value (the mean score over the shared
background), so the contributions sum to the gap in mean score exactly.

INTERNAL FIGURES. The result this module returns holds every group, however small: only the
privacy gate may publish it (it suppresses small groups, complementarily, and withholds what
depends on them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportgen._lazy import require
from reportgen.analyses.context import Measure, ModelData
from reportgen.analyses.decision import Decision, decision_of, groups_of
from reportgen.analyses.resample import percentile_interval, resampled_sums, stream
from reportgen.policy.bands import band_named
from reportgen.policy.fair_lending import HIGHEST_APPROVAL, FairLendingAttribute, assessed
from reportgen.results.credit import (
    AttributeFairness,
    FairLendingGroup,
    FairLendingResult,
    FeatureContribution,
    GapDecomposition,
)
from reportgen.results.document import MetricWithInterval


@dataclass(frozen=True)
class GroupStats:
    """One group's size, approval rate and score moments (None where the group is empty)."""

    size: int
    approval_rate: float | None
    mean_score: float | None
    score_variance: float | None
    """Sample variance (ddof 1); None below two rows."""


def group_stats(
    approved: np.ndarray, scores: np.ndarray, groups: np.ndarray, labels: list[str]
) -> dict[str, GroupStats]:
    """Each group's figures, computed by fairlearn's MetricFrame.

    Args:
        approved: (n,) True where the applicant is approved.
        scores: (n,) each applicant's probability of the adverse class.
        groups: (n,) each applicant's group label.
        labels: every group, in display order (an empty one gets size 0).
    """
    metrics = require("fairlearn.metrics")
    sensitive = pd.Series(groups, name="group", dtype=object)
    # selection_rate reads y_pred alone: the share of a group with prediction 1, approved here
    decisions = metrics.MetricFrame(
        metrics={"approval_rate": metrics.selection_rate, "size": metrics.count},
        y_true=approved.astype(np.int64),
        y_pred=approved.astype(np.int64),
        sensitive_features=sensitive,
    ).by_group
    moments = metrics.MetricFrame(
        metrics={"mean": _mean_score, "variance": _score_variance},
        y_true=approved.astype(np.int64),
        y_pred=scores,
        sensitive_features=sensitive,
    ).by_group
    found: dict[str, GroupStats] = {}
    for label in labels:
        if label not in decisions.index:
            found[label] = GroupStats(0, None, None, None)
            continue
        size = int(decisions.loc[label, "size"])
        variance = float(moments.loc[label, "variance"]) if size > 1 else None
        found[label] = GroupStats(
            size=size,
            approval_rate=float(decisions.loc[label, "approval_rate"]),
            mean_score=float(moments.loc[label, "mean"]),
            score_variance=variance,
        )
    return found


def _mean_score(_: np.ndarray, scores: np.ndarray) -> float:
    return float(np.mean(scores))


def _score_variance(_: np.ndarray, scores: np.ndarray) -> float:
    return float(np.var(scores, ddof=1)) if len(scores) > 1 else float("nan")


def adverse_impact_ratio(rate: float | None, reference_rate: float | None) -> float | None:
    """A group's approval rate over the reference's; None when either is unknown or the
    reference approves nobody."""
    if rate is None or reference_rate is None or reference_rate == 0:
        return None
    return rate / reference_rate


def standardized_mean_difference(group: GroupStats, reference: GroupStats) -> float | None:
    """(mean_g - mean_r) / pooled sd, pooled over both groups' sample variances; None when
    undefined (fewer than three rows together, or no spread)."""
    if group.score_variance is None or reference.score_variance is None:
        return None
    if group.mean_score is None or reference.mean_score is None:
        return None
    n_g, n_r = group.size, reference.size
    pooled = ((n_g - 1) * group.score_variance + (n_r - 1) * reference.score_variance) / (
        n_g + n_r - 2
    )
    if pooled <= 0:
        return None
    return (group.mean_score - reference.mean_score) / float(np.sqrt(pooled))


def decompose_gap(
    values: np.ndarray, scores: np.ndarray, compared_values: np.ndarray, compared_scores: np.ndarray
) -> tuple[float, np.ndarray, float]:
    """The gap in mean score between two groups and each feature's share of it.

    Args:
        values, compared_values: (m, d) SHAP values of the score for each group's rows, against
            one shared background.
        scores, compared_scores: (m,) the scores those values explain.

    Returns:
        gap (mean score of the first group minus the second's), contributions (d,) (the
        difference of the group-mean SHAP values) and the residual gap - sum(contributions).
    """
    gap = float(scores.mean() - compared_scores.mean())
    contributions = values.mean(axis=0) - compared_values.mean(axis=0)
    return gap, contributions, gap - float(contributions.sum())


Publishable = Callable[[Mapping[str, int], int, bool], frozenset[str]]
"""Which groups the privacy gate will publish, from every group's size, the minimum cohort size
and whether the labels are declared (bands) rather than values from the data."""


def at_least_minimum(sizes: Mapping[str, int], minimum: int, declared: bool) -> frozenset[str]:
    """The groups of at least ``minimum`` applicants (ignoring complementary suppression)."""
    return frozenset(label for label, n in sizes.items() if n >= minimum)


def run_fair_lending(
    data: ModelData, *, publishable: Publishable = at_least_minimum
) -> FairLendingResult:
    """Approval rates, AIR, SMD and a decomposed score gap for every fair-lending attribute.

    Args:
        publishable: the groups the report may show; the reference group and the decomposed
            pair are chosen among them, so that the gate does not have to withhold the ratios
            of a whole attribute because its reference was suppressed. The kind registry passes
            the privacy gate's own plan; the gate enforces it whatever this says.
    """
    decision = decision_of(data)
    spec = decision.spec.fair_lending
    if spec is None:
        raise ValueError("the policy's decision has no fair_lending settings")
    with Measure(data.model) as measure:
        attributes = [
            _attribute(data, decision, item, publishable)
            for item in assessed(spec, data.policy.data.sensitive)
        ]
    return FairLendingResult(
        model=data.model.name,
        adverse_class=decision.spec.adverse_class,
        cutoff=decision.spec.cutoff,
        score=data.output_name(decision.index),
        rows=len(decision.scores),
        air_fail_below=spec.air.fail_below,
        air_warn_below=spec.air.warn_below,
        bootstrap=spec.bootstrap,
        attributes=attributes,
        cost=measure.cost,
    )


@dataclass(frozen=True)
class _Draws:
    """Bootstrap draws (B,) of one group's approval rate, mean score and score variance."""

    rate: np.ndarray
    mean: np.ndarray
    variance: np.ndarray


def _draws(data: ModelData, decision: Decision, rows: np.ndarray, *names: str) -> _Draws:
    resamples = decision.spec.fair_lending.bootstrap if decision.spec.fair_lending else 0
    s = decision.scores[rows]
    values = np.column_stack([decision.approved[rows].astype(np.float64), s, s * s])
    _, sums = resampled_sums(values, resamples=resamples, rng=stream(data.seed, *names))
    n = len(rows)
    mean = sums[:, 0, 1] / n
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = (sums[:, 0, 2] - n * mean * mean) / (n - 1)
    return _Draws(rate=sums[:, 0, 0] / n, mean=mean, variance=variance)


def _attribute(
    data: ModelData, decision: Decision, item: FairLendingAttribute, publishable: Publishable
) -> AttributeFairness:
    labels, groups = groups_of(data, item)
    stats = group_stats(decision.approved, decision.scores, groups, labels)
    draws = {
        label: _draws(
            data, decision, np.flatnonzero(groups == label), "fair lending", item.attribute, label
        )
        for label in labels
        if stats[label].size > 0
    }
    declared = item.bands is not None or item.attribute in data.policy.data.features.categorical
    sizes = {label: stats[label].size for label in labels}
    published = publishable(sizes, data.policy.privacy.min_cohort_size, declared)
    reference = _reference(item, labels, stats, published)
    notes = []
    if reference is None and item.reference == HIGHEST_APPROVAL:
        notes.append("No group can be published, so no reference group could be chosen.")
    rows = [_group(label, stats, draws, reference) for label in labels]
    pair = _pair(item, reference, rows, published)
    return AttributeFairness(
        attribute=item.attribute,
        bands=item.bands,
        reference=reference,
        reference_rule="highest_approval_rate" if item.reference == HIGHEST_APPROVAL else "policy",
        groups=rows,
        decomposition=None
        if pair is None
        else _decomposition(data, decision, groups, pair, item.attribute),
        notes=notes,
    )


def _reference(
    item: FairLendingAttribute,
    labels: list[str],
    stats: dict[str, GroupStats],
    published: frozenset[str],
) -> str | None:
    """The policy's reference group, or the published group approved most often (ties: the
    larger group, then the first listed)."""
    if item.reference != HIGHEST_APPROVAL:
        named = band_named(item.reference, item.bands) if item.bands else item.reference
        return named if named in labels else None
    eligible = [label for label in labels if label in published and stats[label].size > 0]
    if not eligible:
        return None
    return max(eligible, key=lambda label: (stats[label].approval_rate or 0.0, stats[label].size))


def _group(
    label: str, stats: dict[str, GroupStats], draws: dict[str, _Draws], reference: str | None
) -> FairLendingGroup:
    mine = stats[label]
    if mine.size == 0:
        return FairLendingGroup(label=label, size=0, reference=label == reference)
    d = draws[label]
    rate = MetricWithInterval(name="approval_rate", value=mine.approval_rate, **_interval(d.rate))
    air = smd = None
    if reference is not None and label != reference and stats[reference].size > 0:
        ref, r = stats[reference], draws[reference]
        with np.errstate(divide="ignore", invalid="ignore"):
            air_draws = d.rate / r.rate
            pooled = ((mine.size - 1) * d.variance + (ref.size - 1) * r.variance) / (
                mine.size + ref.size - 2
            )
            smd_draws = (d.mean - r.mean) / np.sqrt(pooled)
        air = MetricWithInterval(
            name="adverse_impact_ratio",
            value=adverse_impact_ratio(mine.approval_rate, ref.approval_rate),
            **_interval(air_draws),
        )
        smd = MetricWithInterval(
            name="standardized_mean_difference",
            value=standardized_mean_difference(mine, ref),
            **_interval(smd_draws),
        )
    return FairLendingGroup(
        label=label,
        size=mine.size,
        reference=label == reference,
        approval_rate=rate,
        adverse_impact_ratio=air,
        mean_score=mine.mean_score,
        standardized_mean_difference=smd,
    )


def _interval(draws: np.ndarray) -> dict[str, float | None]:
    low, high = percentile_interval(draws)
    return {"low": low, "high": high}


def _pair(
    item: FairLendingAttribute,
    reference: str | None,
    groups: list[FairLendingGroup],
    published: frozenset[str],
) -> tuple[str, str] | None:
    """The two groups whose score gap is decomposed: the policy's pair, else the published group
    with the lowest AIR against the reference; None when there is none, or one of the two
    would not be published."""
    if item.decompose is not None:
        first, second = (
            band_named(x, item.bands) or x if item.bands else x for x in item.decompose
        )
        pair: tuple[str, str] | None = (first, second)
    else:
        judged = [
            g
            for g in groups
            if not g.reference
            and g.label in published
            and g.adverse_impact_ratio is not None
            and g.adverse_impact_ratio.value is not None
        ]
        lowest = min(judged, key=_air, default=None)
        pair = None if lowest is None or reference is None else (lowest.label, reference)
    if pair is None or not set(pair) <= published:
        return None
    return pair


def _air(group: FairLendingGroup) -> float:
    ratio = group.adverse_impact_ratio
    return ratio.value if ratio is not None and ratio.value is not None else float("inf")


def _decomposition(
    data: ModelData,
    decision: Decision,
    groups: np.ndarray,
    pair: tuple[str, str],
    attribute: str,
) -> GapDecomposition:
    """The gap between the pair's mean scores, by feature (see the module docstring)."""
    spec = decision.spec.fair_lending
    cap = spec.decomposition_rows if spec else 500
    every = [np.flatnonzero(groups == label) for label in pair]
    used = [
        _explained(data, rows, cap, attribute, label)
        for rows, label in zip(every, pair, strict=True)
    ]
    shap = data.shap_of(np.concatenate(used))
    values, scores = shap.values[:, :, decision.index], shap.output[:, decision.index]
    m = len(used[0])
    gap, contributions, residual = decompose_gap(values[:m], scores[:m], values[m:], scores[m:])
    names = data.model.feature_names
    order = sorted(range(len(names)), key=lambda j: (-abs(float(contributions[j])), names[j]))
    return GapDecomposition(
        group=pair[0],
        compared_with=pair[1],
        rows="all" if all(len(u) == len(e) for u, e in zip(used, every, strict=True)) else "sample",
        group_rows=len(used[0]),
        compared_rows=len(used[1]),
        gap=gap,
        gap_all_rows=float(decision.scores[every[0]].mean() - decision.scores[every[1]].mean()),
        residual=residual,
        contributions=[
            FeatureContribution(feature=names[j], contribution=float(contributions[j]), rank=rank)
            for rank, j in enumerate(order, start=1)
        ],
    )


def _explained(
    data: ModelData, rows: np.ndarray, cap: int, attribute: str, label: str
) -> np.ndarray:
    """The rows of one group the decomposition explains: all of them up to ``cap``, else a
    seeded sample of ``cap`` that takes the group's global SHAP rows first (already explained)."""
    if len(rows) <= cap:
        return rows
    rng = stream(data.seed, "fair lending sample", attribute, label)
    explained = np.intersect1d(rows, data.global_rows)
    if len(explained) >= cap:
        return np.sort(rng.choice(explained, size=cap, replace=False))
    others = np.setdiff1d(rows, explained)
    extra = rng.choice(others, size=cap - len(explained), replace=False)
    return np.sort(np.concatenate([explained, extra]))


__all__ = [
    "GroupStats",
    "Publishable",
    "adverse_impact_ratio",
    "at_least_minimum",
    "decompose_gap",
    "group_stats",
    "run_fair_lending",
    "standardized_mean_difference",
]
