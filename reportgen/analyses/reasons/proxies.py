"""The proxy screen: how strongly each model feature is associated with each sensitive attribute.

A feature that carries much of a prohibited basis (a near-copy of age, a neighbourhood standing
for national origin) can bring that basis into a decision and into its stated reasons. The
screen measures the association of every (feature, sensitive attribute) pair on the reference
data with a stated measure in [0, 1] and flags pairs at or above the policy's threshold as
possible proxies. Numeric columns (features, and sensitive columns whose every value is a
number) are cut into quantile bins first; both measures compare labels.

* ``cramers_v``: Cramer's V of the contingency table (scipy.stats.contingency.association);
* ``mutual_information``: normalised mutual information, arithmetic mean
  (sklearn.metrics.normalized_mutual_info_score).

A flag is a reason to look, not a finding of discrimination: the association is measured on the
data, whatever the model does with the feature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportgen._lazy import require
from reportgen.inputs.columns import numeric_values
from reportgen.policy.credit import ProxyScreenSpec

MEASURE_WORDS = {
    "cramers_v": "Cramer's V",
    "mutual_information": "normalised mutual information",
}


@dataclass(frozen=True)
class ProxyPair:
    """One feature's association with one sensitive attribute."""

    feature: str
    sensitive: str
    association: float
    flagged: bool


def screen_proxies(
    frame: pd.DataFrame,
    *,
    features: Sequence[str],
    numeric: Sequence[str],
    sensitive: Sequence[str],
    spec: ProxyScreenSpec,
) -> list[ProxyPair]:
    """Every (feature, sensitive attribute) pair of ``frame`` with its association.

    Args:
        features: the model's features; ``numeric`` names those that are numbers.
        sensitive: the sensitive columns; one whose values all read as numbers is binned.
    """
    labels = {name: _labels(frame[name], name in numeric, spec.bins) for name in features}
    found = []
    for attribute in sensitive:
        values = numeric_values(frame[attribute])
        target = (
            _labels(frame[attribute], True, spec.bins)
            if values is not None
            else frame[attribute].astype(str).to_numpy()
        )
        for feature in features:
            association = _association(labels[feature], target, spec.measure)
            found.append(ProxyPair(feature, attribute, association, association >= spec.flag_at))
    return found


def flagged_features(pairs: Sequence[ProxyPair]) -> list[str]:
    """The features flagged against any sensitive attribute, in first-seen order."""
    return list(dict.fromkeys(p.feature for p in pairs if p.flagged))


def _labels(column: pd.Series, numeric: bool, bins: int) -> np.ndarray:
    """A column as labels: numbers cut at their quantiles into at most ``bins`` bins (a column
    with at most ``bins`` distinct values keeps them), text as it is."""
    if not numeric:
        return column.astype(str).to_numpy()
    values = column.to_numpy(dtype=np.float64)
    if len(np.unique(values)) <= bins:
        return values
    edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.searchsorted(edges, values, side="right")


def _association(a: np.ndarray, b: np.ndarray, measure: str) -> float:
    """The association of two label arrays in [0, 1]; 0 when either holds one label."""
    if len(np.unique(a)) < 2 or len(np.unique(b)) < 2:
        return 0.0
    if measure == "mutual_information":
        metrics = require("sklearn.metrics")
        return float(metrics.normalized_mutual_info_score(a, b))
    table = pd.crosstab(pd.Series(a), pd.Series(b)).to_numpy()
    contingency = require("scipy.stats.contingency")
    return float(contingency.association(table, method="cramer"))
