"""Cohort figures of one model: size, performance with intervals, and an explanation profile.

INTERNAL AND NOT PUBLISHABLE. :func:`cohort_table` returns :class:`RawCohorts`, plain frozen
dataclasses that are deliberately *not* results-document types: they hold exact small counts and,
privately, the evaluation row indices of every cohort. Only the privacy gate may turn them into
published results (suppressing cohorts below the policy's minimum size, complementary
suppression, optional differential-privacy noise). Never put these objects into results.json.

A policy's cohort family splits the evaluation rows by one of:

* a categorical column (a sensitive attribute or a categorical feature): one cohort per level;
* a numeric column (or a text column whose values all read as numbers, as sensitive columns
  read from CSV do) with ``bands``: ``[25, 35, 50, 65]`` gives ``<25``, ``25-35``, ``35-50``,
  ``50-65`` and ``65+`` (lower edges inclusive; the middle labels use an en dash, U+2013);
* ``predicted_class``: one cohort per class (regressors: the tercile bands of the prediction).

Rows whose value is missing form a last cohort named ``missing``. Declared cohorts (bands, the
model's levels of a categorical feature, its classes) are always listed, even when empty, so the
shape of the table does not depend on the data.

Per cohort: performance (classifiers: accuracy with a 95 % Wilson interval; binary classifiers
also ROC AUC with a 95 % percentile-bootstrap interval; regressors: RMSE with a bootstrap
interval) and the explanation profile: mean |SHAP| per feature of the explained output (binary:
the positive class; multiclass: averaged over classes; regressors: the prediction) over the
cohort's rows among ``data.global_rows``, its top features, and how far it is from the overall
profile (total variation distance of the normalised profiles).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reportgen._lazy import require
from reportgen.analyses.context import SALT_BOOTSTRAP, Measure, ModelData
from reportgen.errors import AnalysisError
from reportgen.inputs.columns import numeric_values
from reportgen.policy.bands import band_labels
from reportgen.policy.privacy import PREDICTED_CLASS, CohortSpec
from reportgen.results.document import Cost

MISSING = "missing"
OVERALL = "all rows"
Z_95 = 1.959963984540054  # standard normal quantile at 0.975
BOOTSTRAP_RESAMPLES = 200
TOP_FEATURES = 5
_BOOTSTRAP_CELLS = 4_000_000  # resampled values held in memory at once

# (labels, scores) each (r, m) -> (r,): one statistic per resample, NaN where undefined
_Statistic = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Estimate:
    """One performance figure with its 95 % interval; ``value`` is None when undefined.

    ``method`` says how the interval was obtained, or why the figure is undefined.
    """

    name: str
    value: float | None
    low: float | None
    high: float | None
    method: str


@dataclass(frozen=True, eq=False)
class Profile:
    """Mean |SHAP| per feature over the cohort's rows among the global rows.

    ``values`` (d,) in the model's feature order; ``rows`` is how many rows it averages.
    ``total_variation`` in [0, 1] compares it with the overall profile; None where undefined
    (an all-zero profile).
    """

    values: np.ndarray
    rows: int
    top_features: tuple[str, ...]
    total_variation: float | None


@dataclass(frozen=True, eq=False)
class CohortFigures:
    """One cohort's figures; its evaluation row indices are private (``_rows``)."""

    label: str
    size: int
    performance: tuple[Estimate, ...]
    profile: Profile | None
    _rows: np.ndarray = field(repr=False)

    def estimate(self, name: str) -> Estimate:
        """The performance figure ``name`` ("accuracy", "roc_auc" or "rmse")."""
        for found in self.performance:
            if found.name == name:
                return found
        raise KeyError(name)


@dataclass(frozen=True, eq=False)
class RawCohorts:
    """One cohort family of one model, before any privacy protection. Never publish as is.

    ``profile_bounds`` bounds every per-row |SHAP| value (probabilities: [0, 1]); None for
    regressors, whose outputs are unbounded. ``_abs_shap`` (g, d) holds per-row |SHAP| of the
    explained output for ``_global_rows``.
    """

    name: str
    by: str
    model: str
    output: str
    features: tuple[str, ...]
    profile_bounds: tuple[float, float] | None
    cohorts: tuple[CohortFigures, ...]
    overall: CohortFigures
    _abs_shap: np.ndarray = field(repr=False)
    _global_rows: np.ndarray = field(repr=False)

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.cohorts]

    def cohort(self, label: str | None) -> CohortFigures:
        """The cohort named ``label``; None gives the all-rows figures.

        Raises:
            KeyError: no cohort of this family has that label.
        """
        if label is None:
            return self.overall
        for found in self.cohorts:
            if found.label == label:
                return found
        raise KeyError(label)


@dataclass(frozen=True)
class ModelCohorts:
    """Raw cohort statistics of one model and family: for the privacy gate only, never published."""

    model: str
    spec: CohortSpec
    raw: RawCohorts
    cost: Cost


def run_cohorts(data: ModelData) -> list[ModelCohorts]:
    """Every cohort family of the policy for ``data``'s model, measured one by one."""
    found = []
    for spec in data.policy.privacy.cohorts:
        with Measure(data.model) as measure:
            raw = cohort_table(data, data.frame, spec)
        found.append(ModelCohorts(data.model.name, spec, raw, measure.cost))
    return found


def profile_values(raw: RawCohorts, label: str | None) -> np.ndarray:
    """Per-row |SHAP| (m, d) of cohort ``label``'s rows among the global rows (None: all rows).

    Their column means are the cohort's profile; each value lies within ``raw.profile_bounds``,
    so a differentially private mean can be computed from them.
    """
    rows = raw.cohort(label)._rows
    return raw._abs_shap[np.isin(raw._global_rows, rows)]


def cohort_table(data: ModelData, frame: pd.DataFrame, spec: CohortSpec) -> RawCohorts:
    """Figures of every cohort of ``spec`` for ``data``'s model, and of all rows together.

    Args:
        data: the model's coded evaluation data, predictions and global SHAP values.
        frame: the evaluation frame, same row order as ``data.evaluation``; may hold sensitive
            columns that are not model inputs.
        spec: the cohort family (column or ``predicted_class``, and bands for numeric columns).

    Raises:
        AnalysisError: the column is not in the evaluation data, a numeric column has no bands,
            a categorical one has bands, bands are not increasing, or the frame's rows do not
            match the evaluation rows.
    """
    if len(frame) != len(data.evaluation):
        raise AnalysisError(
            f"cohort '{spec.name}': the evaluation frame has {len(frame)} rows "
            f"but the model's evaluation data has {len(data.evaluation)}"
        )
    labels, index = _assign(data, frame, spec)
    explained = _explained_output(data)
    abs_shap = _abs_shap(data, explained)
    overall_profile = abs_shap.mean(axis=0)
    names = tuple(data.model.feature_names)

    def figures(label: str, rows: np.ndarray, family: str | None = spec.name) -> CohortFigures:
        rng = _bootstrap_rng(data, family, label)
        used = abs_shap[np.isin(data.global_rows, rows)]
        return CohortFigures(
            label=label,
            size=len(rows),
            performance=_performance(data, rows, rng),
            profile=_profile(used, overall_profile, names),
            _rows=rows,
        )

    cohorts = tuple(figures(label, np.flatnonzero(index == i)) for i, label in enumerate(labels))
    return RawCohorts(
        name=spec.name,
        by=spec.by,
        model=data.model.name,
        output=data.output_name(explained),
        features=names,
        profile_bounds=(0.0, 1.0) if data.model.classes else None,
        cohorts=cohorts,
        overall=figures(OVERALL, np.arange(len(data.evaluation)), family=None),
        _abs_shap=abs_shap,
        _global_rows=data.global_rows,
    )


# -- assigning rows to cohorts --------------------------------------------------------------------


def _assign(data: ModelData, frame: pd.DataFrame, spec: CohortSpec) -> tuple[list[str], np.ndarray]:
    """Cohort labels in display order, and each row's cohort index."""
    if spec.by == PREDICTED_CLASS:
        return _by_prediction(data)
    if spec.by not in frame.columns:
        raise AnalysisError(
            f"cohort '{spec.name}': column '{spec.by}' is not in the evaluation data"
        )
    column = frame[spec.by]
    feature = {f.name: f for f in data.model.codec.features}.get(spec.by)
    categorical = feature is not None and feature.kind == "categorical"
    numbers = None if categorical else numeric_values(column)
    if numbers is None:
        if spec.bands:
            raise AnalysisError(
                f"cohort '{spec.name}': column '{spec.by}' is categorical and takes no bands"
            )
        return by_level(column, list(feature.levels) if feature is not None else None)
    if not spec.bands:
        raise AnalysisError(
            f"cohort '{spec.name}': column '{spec.by}' is numeric and needs bands, "
            "e.g. bands: [25, 35, 50, 65]"
        )
    return by_band(numbers, spec.bands)


def _by_prediction(data: ModelData) -> tuple[list[str], np.ndarray]:
    if data.model.classes:
        return list(data.model.classes), data.predictions.argmax(axis=1)
    bands = ["low predicted value", "middle predicted value", "high predicted value"]
    return bands, pd.Categorical(data.strata, categories=bands).codes.astype(np.int64)


def by_level(column: pd.Series, levels: list[str] | None) -> tuple[list[str], np.ndarray]:
    """Labels (``levels``, else the column's values sorted) and each row's label index."""
    missing = column.isna().to_numpy()
    text = column.astype(str).to_numpy(dtype=object)
    labels = levels if levels is not None else sorted(set(text[~missing]))
    index = pd.Categorical(text, categories=labels).codes.astype(np.int64)
    return _with_missing(labels, index, missing)


def by_band(values: np.ndarray, bands: list[float]) -> tuple[list[str], np.ndarray]:
    """Band labels ("<25", "25-35", ..., "65+") and each row's band index."""
    edges = np.asarray(bands, dtype=np.float64)  # strictly increasing: CohortSpec checks it
    labels = band_labels(bands)
    missing = np.isnan(values)
    index = np.searchsorted(edges, values, side="right").astype(np.int64)
    return _with_missing(labels, index, missing)


def _with_missing(
    labels: list[str], index: np.ndarray, missing: np.ndarray
) -> tuple[list[str], np.ndarray]:
    if not missing.any():
        return labels, index
    index = np.where(missing, len(labels), index)
    return [*labels, MISSING], index


# -- performance ----------------------------------------------------------------------------------


def _performance(
    data: ModelData, rows: np.ndarray, rng: np.random.Generator
) -> tuple[Estimate, ...]:
    classes = data.model.classes
    y, outputs = data.target[rows], data.predictions[rows]
    if not classes:
        return (_bootstrap("rmse", _rmse, y.astype(np.float64), outputs, rng),)
    n_correct = int((outputs.argmax(axis=1) == y).sum()) if len(rows) else 0
    accuracy = _wilson("accuracy", n_correct, len(rows))
    if data.positive_index is None:
        return (accuracy,)
    positive = (y == data.positive_index).astype(np.float64)
    auc = _bootstrap("roc_auc", _auc, positive, outputs[:, data.positive_index], rng)
    return accuracy, auc


def _wilson(name: str, successes: int, n: int) -> Estimate:
    """A proportion with its 95 % Wilson score interval."""
    if n == 0:
        return Estimate(name, None, None, None, "undefined: empty cohort")
    p = successes / n
    centre = (p + Z_95**2 / (2 * n)) / (1 + Z_95**2 / n)
    half = Z_95 / (1 + Z_95**2 / n) * math.sqrt(p * (1 - p) / n + Z_95**2 / (4 * n**2))
    return Estimate(
        name, p, max(0.0, centre - half), min(1.0, centre + half), "Wilson score interval"
    )


def _bootstrap(
    name: str, statistic: _Statistic, y: np.ndarray, s: np.ndarray, rng: np.random.Generator
) -> Estimate:
    """``statistic`` with a 95 % percentile-bootstrap interval over resampled rows.

    Resamples on which the statistic is undefined (AUC with one class) are left out.
    """
    value = statistic(y[None, :], s[None, :])[0] if len(y) else np.nan
    if not np.isfinite(value):
        why = "empty cohort" if len(y) == 0 else "the cohort holds one class"
        return Estimate(name, None, None, None, f"undefined: {why}")
    m = len(y)
    draws: list[np.ndarray] = []
    step = max(1, _BOOTSTRAP_CELLS // m)
    for start in range(0, BOOTSTRAP_RESAMPLES, step):
        chosen = rng.integers(0, m, size=(min(step, BOOTSTRAP_RESAMPLES - start), m))
        draws.append(statistic(y[chosen], s[chosen]))
    values = np.concatenate(draws)
    values = values[np.isfinite(values)]
    method = f"percentile bootstrap ({len(values)} of {BOOTSTRAP_RESAMPLES} resamples defined)"
    if len(values) == 0:
        return Estimate(name, float(value), None, None, method)
    low, high = np.percentile(values, [2.5, 97.5])
    return Estimate(name, float(value), float(low), float(high), method)


def _auc(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of scores ``s`` (r, m) for 0/1 labels ``y`` (r, m); NaN with one class.

    The Mann-Whitney form with average ranks for ties: equal to scikit-learn's roc_auc_score.
    """
    ranks = require("scipy.stats").rankdata(s, axis=1)
    positives = y.sum(axis=1)
    negatives = y.shape[1] - positives
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (ranks * y).sum(axis=1) - positives * (positives + 1) / 2
        return np.where(positives * negatives > 0, u / (positives * negatives), np.nan)


def _rmse(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean((y - v) ** 2, axis=1))


def _bootstrap_rng(data: ModelData, family: str | None, label: str) -> np.random.Generator:
    """A stream of its own per cohort, so adding a cohort or family changes no other figures.

    Seeded from the policy seed and the bootstrap salt (as ``data.rng(SALT_BOOTSTRAP)``) with the
    family and cohort names appended, so it is independent of the C7 bootstrap stream. The
    all-rows figures (``family`` None) use one stream, so every family reports the same ones.
    """
    texts = ("\x00all", label) if family is None else (family, label)
    keys = [int.from_bytes(hashlib.sha256(t.encode()).digest()[:4], "big") for t in texts]
    return np.random.default_rng([data.seed, SALT_BOOTSTRAP, *keys])


# -- explanation profile --------------------------------------------------------------------------


def _explained_output(data: ModelData) -> int | None:
    """The explained output: binary the positive class, regressors 0, multiclass None (all)."""
    if data.positive_index is not None:
        return data.positive_index
    return None if data.model.classes else 0


def _abs_shap(data: ModelData, explained: int | None) -> np.ndarray:
    """(g, d) |SHAP| of the explained output for the global rows (multiclass: class mean)."""
    values = data.global_shap.values
    outputs = slice(None) if explained is None else slice(explained, explained + 1)
    return np.abs(values[:, :, outputs]).mean(axis=2)


def _profile(used: np.ndarray, overall: np.ndarray, names: tuple[str, ...]) -> Profile | None:
    if len(used) == 0:
        return None
    values = used.mean(axis=0)
    order = sorted(range(len(names)), key=lambda j: (-float(values[j]), names[j]))
    return Profile(
        values=values,
        rows=len(used),
        top_features=tuple(names[j] for j in order[:TOP_FEATURES]),
        total_variation=_total_variation(values, overall),
    )


def _total_variation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Half the L1 distance between the profiles scaled to sum to 1: 0 same shape, 1 disjoint."""
    if a.sum() <= 0 or b.sum() <= 0:
        return None
    return float(0.5 * np.abs(a / a.sum() - b / b.sum()).sum())
