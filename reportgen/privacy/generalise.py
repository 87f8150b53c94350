"""Generalised values for displayed cases: ranges, top-coding and merged rare categories.

A local case shows each feature's value to a reader who must not be able to single a person
out. So a case's values are displayed generalised, learned once from the reference data:

* numeric features as a range label from quantile bins of the reference data: ``< a`` (bottom),
  ``[a, b)`` and ``≥ a`` (top). Adjacent bins are merged until every bin holds at least
  ``minimum`` reference rows, and edges are rounded to 2 (where that merges edges, 3)
  significant digits. The top bin is open and starts at or below both the ``top_code_quantile``
  quantile of the reference data and the value with ``minimum`` reference rows at or above it,
  so extreme values are top-coded;
* age columns (a name with the word "age", e.g. ``age_in_years`` or ``patientAge`` but not
  ``percentage``, or named in ``age_columns``) are top-coded at ``age_top`` instead, as in HIPAA
  Safe Harbor, and their top bin reads ``90+``. Where fewer than ``minimum`` reference rows are
  that old, the top bin starts lower (``67+``): coarser, never finer;
* categorical features as their level when it has at least ``minimum`` reference rows, else
  ``other (rare)``. When the rare levels together hold fewer than ``minimum`` rows, the least
  frequent shown levels join them until the group is large enough.

Every label therefore covers at least ``minimum`` reference rows (or is ``withheld`` where the
reference data holds fewer than ``minimum`` values of the feature). A displayed label never equals
a raw numeric value: the only numbers it contains are bin edges, so a case's own value appears
only when it happens to equal an edge, which is a rounded quantile of the reference data.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from reportgen.errors import AnalysisError
from reportgen.inputs.codec import FeatureCodec

RARE = "other (rare)"
MISSING = "missing"
WITHHELD = "withheld"
ANY = "any value"
MAX_BINS = 10


def is_age_column(name: str) -> bool:
    """Whether ``name`` has the word "age": ``age_in_years``, ``patientAge``; not ``percentage``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).lower()
    return "age" in re.split(r"[^a-z0-9]+", spaced)


@dataclass(frozen=True)
class NumericBins:
    """Bins of one numeric feature: bin i is [edges[i-1], edges[i]), open at both ends.

    ``labels`` (len(edges) + 1) and ``counts`` (reference rows per bin) follow the bins.
    """

    edges: tuple[float, ...]
    labels: tuple[str, ...]
    counts: tuple[int, ...]

    def label(self, value: float) -> str:
        if math.isnan(value):
            return MISSING
        return self.labels[int(np.searchsorted(self.edges, value, side="right"))]


@dataclass(frozen=True)
class CategoryGroups:
    """Levels of one categorical feature shown as themselves; every other level is rare."""

    shown: frozenset[str]
    counts: Mapping[str, int]

    def label(self, value: str) -> str:
        return value if value in self.shown else RARE


@dataclass(frozen=True)
class Generaliser:
    """Displays feature values generalised by rules learned from the reference data."""

    codec: FeatureCodec
    minimum: int
    numeric: Mapping[str, NumericBins]
    categorical: Mapping[str, CategoryGroups]

    @classmethod
    def fit(
        cls,
        reference: pd.DataFrame,
        codec: FeatureCodec,
        *,
        minimum: int,
        top_code_quantile: float,
        age_columns: Iterable[str],
        age_top: float,
        max_bins: int = MAX_BINS,
    ) -> Generaliser:
        """Learn display rules for every codec feature (and numeric ``age_columns`` present).

        Args:
            reference: the reference (training) frame, one row per person.
            codec: the model's features; numeric ones get bins, categorical ones level groups.
            minimum: reference rows every label must cover (the policy's min_cohort_size).
            top_code_quantile: the top bin of a non-age numeric feature starts at or below this
                quantile of its reference values (age columns use ``age_top`` instead).
            age_columns: further age columns; names with the word "age" are age columns anyway.
            age_top: age columns are top-coded at this age ("90+").
            max_bins: most bins per numeric feature before merging.

        Raises:
            ValueError: ``minimum`` is below 1 or ``max_bins`` below 1.
            AnalysisError: a feature column is missing from the reference frame.
        """
        if minimum < 1 or max_bins < 1:
            raise ValueError("minimum and max_bins must be at least 1")
        ages = set(age_columns)
        features = {f.name: f for f in codec.features}
        numeric: dict[str, NumericBins] = {}
        categorical: dict[str, CategoryGroups] = {}
        extra = [c for c in sorted(ages) if c in reference.columns and c not in codec.names]
        for name in [*codec.names, *extra]:
            if name not in reference.columns:
                raise AnalysisError(f"generalisation: reference data has no column '{name}'")
            feature = features.get(name)
            column = reference[name]
            if feature is not None and feature.kind == "categorical":
                categorical[name] = _fit_categories(column, feature.levels, minimum)
                continue
            # sensitive age columns arrive from CSV as text: read what parses as a number
            values = pd.to_numeric(column, errors="coerce").to_numpy(np.float64, na_value=np.nan)
            values = np.sort(values[np.isfinite(values)])
            age = name in ages or is_age_column(name)
            numeric[name] = _fit_bins(
                values, minimum, age_top if age else None, top_code_quantile, max_bins
            )
        return cls(codec, minimum, MappingProxyType(numeric), MappingProxyType(categorical))

    def display(self, feature: str, value: object) -> str:
        """``value`` of ``feature`` as displayed: a range label, a level, or ``other (rare)``.

        Raises:
            AnalysisError: the feature was not fitted.
        """
        if feature in self.categorical:
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return MISSING
            return self.categorical[feature].label(str(value))
        if feature in self.numeric:
            number = np.nan if value is None else float(value)  # type: ignore[arg-type]  # numbers
            return self.numeric[feature].label(number)
        raise AnalysisError(f"generalisation: feature '{feature}' was not fitted")

    def coverage(self, feature: str) -> dict[str, int]:
        """Reference rows behind each label of ``feature`` (every count is >= ``minimum``)."""
        if feature in self.numeric:
            bins = self.numeric[feature]
            return dict(zip(bins.labels, bins.counts, strict=True))
        groups = self.categorical[feature]
        shown = {level: n for level, n in groups.counts.items() if level in groups.shown}
        rare = sum(n for level, n in groups.counts.items() if level not in groups.shown)
        has_rare = len(groups.shown) < len(groups.counts)
        return {**dict(sorted(shown.items())), **({RARE: rare} if has_rare else {})}


# -- numeric bins ---------------------------------------------------------------------------------


def _fit_bins(
    x: np.ndarray, minimum: int, age_top: float | None, quantile: float, max_bins: int
) -> NumericBins:
    """Bins of the sorted finite values ``x``, each holding at least ``minimum`` of them."""
    if len(x) < minimum:
        return NumericBins((), (WITHHELD,), (len(x),))
    k = max(1, min(max_bins, len(x) // minimum))
    raw = np.quantile(x, np.arange(1, k) / k)
    cap_raw = age_top if age_top is not None else float(np.quantile(x, quantile))
    cap_raw = min(cap_raw, float(x[len(x) - minimum]))  # the top bin holds `minimum` values
    for digits in (2, 3):
        edges = sorted({_nice(e, digits) for e in raw})
        if len(edges) == len(np.unique(raw)):
            break
    cap = _floor_nice(cap_raw, digits)
    edges = _merge(x, sorted({e for e in edges if e < cap} | {cap}), minimum)
    counts = np.bincount(np.searchsorted(edges, x, side="right"), minlength=len(edges) + 1)
    return NumericBins(
        tuple(edges), _labels(edges, age=age_top is not None), tuple(map(int, counts))
    )


def _merge(x: np.ndarray, edges: list[float], minimum: int) -> list[float]:
    """Drop edges until every bin holds ``minimum`` values: the smallest bin joins its smaller
    neighbour first (ties: the lower bin), so the top bin only ever grows downwards."""
    edges = list(edges)
    while edges:
        counts = np.bincount(np.searchsorted(edges, x, side="right"), minlength=len(edges) + 1)
        i = int(np.argmin(counts))
        if counts[i] >= minimum:
            break
        if i == 0:
            del edges[0]
        elif i == len(edges) or counts[i - 1] <= counts[i + 1]:
            del edges[i - 1]
        else:
            del edges[i]
    return edges


def _labels(edges: list[float], *, age: bool) -> tuple[str, ...]:
    if not edges:
        return (ANY,)
    text = [_number(e) for e in edges]
    top = f"{text[-1]}+" if age else f"≥ {text[-1]}"
    middle = [f"[{a}, {b})" for a, b in itertools.pairwise(text)]
    return (f"< {text[0]}", *middle, top)


def _nice(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant digits (a clean decimal float)."""
    return float(f"{value:.{digits}g}")


def _floor_nice(value: float, digits: int) -> float:
    """The largest number with ``digits`` significant digits at or below ``value``."""
    rounded = _nice(value, digits)
    if rounded <= value:
        return rounded
    step = 10.0 ** (math.floor(math.log10(abs(rounded))) - digits + 1)
    return _nice(rounded - step, digits)


def _number(value: float) -> str:
    """A bin edge in plain decimal notation (no exponent, no trailing zeros)."""
    return str(np.format_float_positional(value, trim="-"))


# -- categories -----------------------------------------------------------------------------------


def _fit_categories(column: pd.Series, levels: Iterable[str], minimum: int) -> CategoryGroups:
    """Levels with ``minimum`` reference rows are shown; the rest (levels of the model that the
    reference data lacks included) form the rare group, grown until it too holds ``minimum``."""
    counts = dict.fromkeys(levels, 0)
    counts |= {str(k): int(v) for k, v in column.dropna().astype(str).value_counts().items()}
    shown = {level for level, n in counts.items() if n >= minimum}
    rare = sum(n for level, n in counts.items() if level not in shown)
    # a rare group smaller than the minimum would single out its few rows: grow it
    while len(shown) < len(counts) and rare < minimum and shown:
        smallest = min(shown, key=lambda level: (counts[level], level))
        shown.remove(smallest)
        rare += counts[smallest]
    return CategoryGroups(frozenset(shown), MappingProxyType(dict(sorted(counts.items()))))
