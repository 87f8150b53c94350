"""LIME's tabular neighbourhood: lime's quartile statistics, its draws, and its rule texts.

This is lime's ``LimeTabularExplainer`` with ``discretize_continuous=True`` and the quartile
discretizer, written out so that many cases can be explained together (lime_explainer.py):

- statistics from the reference rows: a numeric feature is cut at its quartiles (duplicates
  dropped), and each bin keeps its training frequency, bounds, mean and standard deviation;
  a categorical feature keeps the frequency of each coded level;
- a case's samples come from ``numpy.random.RandomState(seed)`` drawn in lime's order: first a
  bin or level per feature from the training frequencies, then a value inside each drawn bin
  from a normal truncated to the bin (lime's ``undiscretize``); the first sample is the case;
- the interpretable representation is binary: 1 where a sample lies in the case's bin or level.

With the same seed, the draws are lime's own, bit for bit, with one exception: where a bin holds
a single value (its lower and upper bounds are equal, as in a count whose lowest quartile is its
minimum), lime writes that bin's standardised bound, (min - mean) / std, about 0, into the sample
instead of the value; here the sample gets the bin's value, so the model is never asked about a
value outside the bin (and outside the data) such as 0 existing credits. lime draws nothing for
such entries, so every other value stays identical to lime's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen._lazy import require
from reportgen.inputs.codec import FeatureCodec

LIME_TINY_STD = 1e-11
"""lime adds this to every bin's standard deviation (discretize.BaseDiscretizer)."""


@dataclass(frozen=True)
class Binned:
    """A numeric feature cut at its reference quartiles, as lime's QuartileDiscretizer cuts it.

    Attributes:
        cuts: the distinct quartiles; bin b holds cuts[b-1] < x <= cuts[b].
        lows, highs, means, stds: per bin (len(cuts) + 1), the bounds lime truncates to and the
            reference mean and standard deviation (plus LIME_TINY_STD) inside the bin.
    """

    cuts: np.ndarray
    lows: np.ndarray
    highs: np.ndarray
    means: np.ndarray
    stds: np.ndarray

    def bin_of(self, x: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.cuts, x)

    @property
    def z_lows(self) -> np.ndarray:
        """Each bin's lower bound in standard units of the bin, as lime's undiscretize has it."""
        return (self.lows - self.means) / self.stds

    @property
    def z_highs(self) -> np.ndarray:
        return (self.highs - self.means) / self.stds

    @property
    def spread(self) -> np.ndarray:
        """Bins lime draws a value in (its truncated normal has room: lower != upper bound)."""
        return self.z_lows != self.z_highs

    def values_in(self, bins: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        """A value inside each bin ``bins``: lime's truncated normal at the quantile ``uniforms``
        (``truncnorm.rvs`` draws exactly so), or the bin's one value where it has no room."""
        truncnorm = require("scipy.stats").truncnorm
        values = self.lows[bins]
        inside = self.spread[bins]
        b = bins[inside]
        values[inside] = truncnorm.ppf(
            uniforms[inside], self.z_lows[b], self.z_highs[b], loc=self.means[b], scale=self.stds[b]
        )
        return values

    def rules(self, name: str) -> list[str]:
        """lime's rule text of each bin, e.g. "duration <= 12.00", "12.00 < duration <= 24.00"."""
        cuts = self.cuts
        inner = [f"{cuts[b]:.2f} < {name} <= {cuts[b + 1]:.2f}" for b in range(len(cuts) - 1)]
        return [f"{name} <= {cuts[0]:.2f}", *inner, f"{name} > {cuts[-1]:.2f}"]


@dataclass(frozen=True)
class LimeStatistics:
    """What lime learns from the reference rows, per feature.

    Attributes:
        values: per feature, the bins (numeric) or coded levels (categorical) seen in the
            reference rows, sorted; frequencies: their shares of the reference rows.
        binned: numeric features by index, each with its quartile bins.
    """

    values: list[np.ndarray]
    frequencies: list[np.ndarray]
    binned: dict[int, Binned]

    @classmethod
    def of(cls, reference: np.ndarray, categorical: list[int]) -> LimeStatistics:
        """lime's statistics of ``reference`` (b, d) coded rows; ``categorical``: coded columns."""
        if len(reference) == 0:
            raise ValueError("LIME needs at least one reference row to sample from")
        binned = {
            j: _quartile_bins(reference[:, j])
            for j in range(reference.shape[1])
            if j not in categorical
        }
        values, frequencies = [], []
        for j in range(reference.shape[1]):
            column = binned[j].bin_of(reference[:, j]) if j in binned else reference[:, j]
            levels, counts = np.unique(column.astype(np.float64), return_counts=True)
            values.append(levels)
            frequencies.append(counts / float(counts.sum()))
        return cls(values, frequencies, binned)

    def interpretable(self, row: np.ndarray) -> np.ndarray:
        """The case's bin (numeric features) or level (categorical) per feature."""
        row = np.asarray(row, dtype=np.float64)
        return np.array(
            [self.binned[j].bin_of(x) if j in self.binned else x for j, x in enumerate(row)],
            dtype=np.float64,
        )

    def sample(
        self, rows: np.ndarray, seeds: np.ndarray, num_samples: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """lime's neighbourhood of each case ``rows[i]``, drawn from ``RandomState(seeds[i])``.

        Each case consumes its own random stream in lime's order (a bin or level per feature,
        then per numeric feature the uniforms of its truncated normals); the truncated normals
        of all cases are then computed together by their inverse distribution function, as
        scipy's ``truncnorm.rvs`` computes them one call at a time.

        Returns:
            binary: (c, num_samples, d) 1.0 where a sample shares the case's bin or level (row 0,
                the case itself, is all ones); samples: (c * num_samples, d) the coded rows the
                model is asked about, case after case (each case's row 0 is the case).
        """
        c, d = rows.shape
        drawn = np.empty((c, num_samples, d))
        uniforms = {j: np.zeros((c, num_samples - 1)) for j in self.binned}
        for i, seed in enumerate(seeds):
            rng = np.random.RandomState(int(seed))
            for j, (values, shares) in enumerate(zip(self.values, self.frequencies, strict=True)):
                drawn[i, :, j] = rng.choice(values, size=num_samples, replace=True, p=shares)
            for j, bins in self.binned.items():
                inside = bins.spread[drawn[i, 1:, j].astype(np.int64)]
                uniforms[j][i, inside] = rng.uniform(size=int(inside.sum()))
        own = np.stack([self.interpretable(row) for row in rows])
        binary = (drawn == own[:, None, :]).astype(np.float64)
        binary[:, 0] = 1.0
        for j, bins in self.binned.items():  # lime's undiscretize, all cases at once
            drawn[:, 1:, j] = bins.values_in(drawn[:, 1:, j].astype(np.int64), uniforms[j])
        drawn[:, 0] = rows
        return binary, drawn.reshape(c * num_samples, d)

    def rules(self, codec: FeatureCodec, row: np.ndarray) -> dict[int, str]:
        """lime's rule text of each feature for the case ``row``: "purpose=car (new)" or
        "duration_in_month > 24.00"."""
        found = {}
        for j, feature in enumerate(codec.features):
            if j in self.binned:
                bins = self.binned[j]
                found[j] = bins.rules(feature.name)[int(bins.bin_of(row[j]))]
            else:
                found[j] = f"{feature.name}={feature.levels[int(row[j])]}"
        return found


def _quartile_bins(column: np.ndarray) -> Binned:
    """lime's quartile bins of one reference column, with the same arithmetic as lime."""
    cuts = np.unique(np.array(np.percentile(column, [25, 50, 75])))
    which = np.searchsorted(cuts, column)
    means, stds = [], []
    for b in range(len(cuts) + 1):
        inside = column[which == b]
        means.append(np.mean(inside) if len(inside) else 0.0)
        stds.append((np.std(inside) if len(inside) else 0.0) + LIME_TINY_STD)
    return Binned(
        cuts=cuts,
        lows=np.array([np.min(column), *cuts.tolist()]),
        highs=np.array([*cuts.tolist(), np.max(column)]),
        means=np.array(means),
        stds=np.array(stds),
    )
