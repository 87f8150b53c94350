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

With the same seed, the draws are lime's own: the same uniforms from the same stream, so the
same bins and levels bit for bit, and the same values inside the bins to rounding (about 1e-14
of the bin's standard deviation; tests/analyses/test_lime_oracle.py), because the truncated
normal's quantile is computed here for all cases at once (BinTable.values) instead of by scipy
one case at a time. With one exception: where a bin holds a single value (its lower and upper
bounds are equal, as in a count whose lowest quartile is its minimum), lime writes that bin's
standardised bound, (min - mean) / std, about 0, into the sample instead of the value; here the
sample gets the bin's value, so the model is never asked about a value outside the bin (and
outside the data) such as 0 existing credits. lime draws nothing for such entries, so every
other value is lime's.
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

    def interpretable(self, rows: np.ndarray) -> np.ndarray:
        """(c, d) each case's bin (numeric features) or level (categorical) per feature."""
        found = np.array(rows, dtype=np.float64)
        for j, bins in self.binned.items():
            found[:, j] = bins.bin_of(found[:, j])
        return found

    def sample(
        self, rows: np.ndarray, seeds: np.ndarray, num_samples: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """lime's neighbourhood of each case ``rows[i]``, drawn from ``RandomState(seeds[i])``.

        Each case's stream is consumed in lime's order: for each feature in turn, ``choice``
        draws one uniform per sample and takes the bin or level where the cumulative
        frequencies first exceed it; then for each numeric feature in turn, one uniform per
        sample (after the first) whose bin has room, the quantile of its truncated normal.
        One call per case draws the stream; all the rest is computed for all cases at once.

        Returns:
            binary: (c, num_samples, d) 1.0 where a sample shares the case's bin or level (row 0,
                the case itself, is all ones); samples: (c * num_samples, d) the coded rows the
                model is asked about, case after case (each case's row 0 is the case).
        """
        c, d = rows.shape
        m = num_samples
        numeric = list(self.binned)
        table = BinTable.of([self.binned[j] for j in numeric])
        # a bound on the quantiles lime may still draw; the first ``inside.sum()`` are drawn
        quantiles = len(numeric) * (m - 1)
        stream = np.empty((c, d * m + quantiles))
        rng = np.random.RandomState()
        for i, seed in enumerate(seeds):
            rng.seed(int(seed))
            stream[i] = rng.random_sample(d * m + quantiles)
        picks = stream[:, : d * m].reshape(c, d, m)
        drawn = np.empty((c, d, m))  # feature by feature, as the stream is
        for j, (values, shares) in enumerate(zip(self.values, self.frequencies, strict=True)):
            cdf = shares.cumsum()  # as RandomState.choice computes its draws
            cdf /= cdf[-1]
            # choice's cdf.searchsorted(u, side="right"): how many of cdf are <= u (u < 1)
            index = np.zeros((c, m), dtype=np.intp)
            for edge in cdf[:-1]:
                index += picks[:, j] >= edge
            np.take(values, index, out=drawn[:, j])
        own = self.interpretable(rows)[:, :, None]
        binary = np.ascontiguousarray((drawn == own).transpose(0, 2, 1), dtype=np.float64)
        binary[:, 0] = 1.0
        if numeric:  # lime's undiscretize
            cell = drawn[:, numeric, 1:].astype(np.intp) + table.first[:, None]
            inside = np.take(table.spread, cell)
            order = np.cumsum(inside.reshape(c, quantiles), axis=1) - 1
            np.maximum(order, 0, out=order)
            uniforms = np.take_along_axis(stream[:, d * m :], order, axis=1)
            drawn[:, numeric, 1:] = np.where(
                inside, table.values(cell, uniforms.reshape(cell.shape)), np.take(table.lows, cell)
            )
        drawn[:, :, 0] = rows
        return binary, drawn.transpose(0, 2, 1).reshape(c * m, d)

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


@dataclass(frozen=True)
class BinTable:
    """The bins of every numeric feature end to end: feature k's bin b is entry first[k] + b.

    Attributes:
        below, above: Phi(a) and Phi(-b) of each bin's standardised bounds a and b, and mass the
            normal's probability between them (computed where it has no cancellation, as scipy's
            truncnorm computes it).
    """

    first: np.ndarray
    lows: np.ndarray
    means: np.ndarray
    stds: np.ndarray
    spread: np.ndarray
    a: np.ndarray
    b: np.ndarray
    below: np.ndarray
    above: np.ndarray
    mass: np.ndarray

    @classmethod
    def of(cls, binned: list[Binned]) -> BinTable:
        def joined(field: str) -> np.ndarray:
            return np.concatenate([np.zeros(0), *(getattr(bins, field) for bins in binned)])

        ndtr = require("scipy.special").ndtr
        a, b = joined("z_lows"), joined("z_highs")
        below, above = ndtr(a), ndtr(-b)
        central = (1.0 - below) - above
        mass = np.where(b <= 0, ndtr(b) - below, np.where(a > 0, ndtr(-a) - above, central))
        sizes = [len(bins.lows) for bins in binned]
        return cls(
            first=np.cumsum([0, *sizes[:-1]], dtype=np.int64),
            lows=joined("lows"),
            means=joined("means"),
            stds=joined("stds"),
            spread=a != b,
            a=a,
            b=b,
            below=below,
            above=above,
            mass=mass,
        )

    def values(self, cell: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        """scipy's ``truncnorm.ppf(uniforms, a, b, loc=mean, scale=std)`` of each bin ``cell``.

        The quantile x of the normal truncated to [a, b] has Phi(x) = Phi(a) + u * mass, or
        equally Phi(-x) = Phi(-b) + (1 - u) * mass; x is taken from whichever of the two is
        below 1/2, where ``ndtri`` keeps its relative precision (scipy's upper-tail form).
        scipy works in logarithms instead, which only matters where Phi(a) and Phi(b) both
        underflow (both bounds some 38 standard deviations to one side of the mean): a bin's
        own mean lies inside it, so its bounds never do.
        """
        ndtri = require("scipy.special").ndtri
        mass = np.take(self.mass, cell)
        lower = uniforms * mass
        lower += np.take(self.below, cell)
        upper = 1.0 - uniforms
        upper *= mass
        upper += np.take(self.above, cell)
        x = ndtri(np.minimum(lower, upper))
        np.negative(x, out=x, where=lower > upper)
        ends = (lower == 0) | (upper == 0)  # u = 0, or u = 1 - 2^-53 on a bin of no mass
        x[ends] = np.where(lower[ends] == 0, self.a[cell[ends]], self.b[cell[ends]])
        x *= np.take(self.stds, cell)
        x += np.take(self.means, cell)
        return x
