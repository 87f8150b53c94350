"""Aggregates of a layer's activations: quantiles, dead and saturated units, and the population
stability index between the reference and the evaluation data.

A layer's *units* are its output's features (dimension 1): a dense layer's neurons, a
convolution's channels. A unit's value on a row is its output there; for a channel, the mean over
its positions (a dead channel: never above 0 at any position). The rules, stated once:

- dead (ReLU, ReLU6): the unit's output is never > 0 on any reference row;
- saturated (Tanh: |a| > 0.99; Sigmoid: a < 0.01 or a > 0.99): on more than 99% of the reference
  rows (of rows x positions for a channel);
- PSI of a unit: its reference deciles, duplicates dropped, cut the line into bins (each closed
  on the right); with r_b and e_b the shares of reference and evaluation values in bin b, each
  floored at 1e-4, PSI = sum_b (e_b - r_b) ln(e_b / r_b). A layer's drift is the mean (and the
  largest) PSI of its units.
"""

from __future__ import annotations

import numpy as np

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""The quantiles of a layer's activations reported (no extreme value of any one row)."""
DEAD_TYPES = frozenset({"ReLU", "ReLU6"})
SATURATING = {"Tanh": 0.99, "Sigmoid": 0.99}
SATURATED_SHARE = 0.99
PSI_FLOOR = 1e-4
DECILES = np.linspace(0.1, 0.9, 9)


def unit_values(output: np.ndarray) -> np.ndarray:
    """A layer's output (n, units, ...) as (n, units): each channel's mean over its positions."""
    if output.ndim == 1:
        return output.reshape(-1, 1)
    return output.reshape(output.shape[0], output.shape[1], -1).mean(axis=2)


def quantiles(values: np.ndarray) -> list[float]:
    """The :data:`QUANTILES` of every (row, unit) value of a layer."""
    return [float(q) for q in np.quantile(values, QUANTILES)]


def dead_units(layer_type: str, reference: np.ndarray) -> list[int] | None:
    """Units of a ReLU-like layer never above 0 on the reference rows; None for other layers."""
    if layer_type not in DEAD_TYPES:
        return None
    peak = reference.reshape(reference.shape[0], reference.shape[1], -1).max(axis=(0, 2))
    return [int(u) for u in np.flatnonzero(peak <= 0)]


def saturated_units(layer_type: str, reference: np.ndarray) -> list[int] | None:
    """Units of a Tanh or Sigmoid layer saturated on more than 99% of the reference rows; None
    for other layers."""
    bound = SATURATING.get(layer_type)
    if bound is None:
        return None
    flat = reference.reshape(reference.shape[0], reference.shape[1], -1)
    near = np.abs(flat) > bound if layer_type == "Tanh" else np.minimum(flat, 1 - flat) < 1 - bound
    share = near.mean(axis=(0, 2))
    return [int(u) for u in np.flatnonzero(share > SATURATED_SHARE)]


def psi(reference: np.ndarray, evaluation: np.ndarray) -> float:
    """Population stability index of one unit's evaluation values against its reference values,
    over bins cut at the reference deciles (see the module's rules)."""
    edges = np.unique(np.quantile(reference, DECILES))
    bins = len(edges) + 1
    r = np.bincount(np.searchsorted(edges, reference), minlength=bins) / len(reference)
    e = np.bincount(np.searchsorted(edges, evaluation), minlength=bins) / len(evaluation)
    r, e = np.maximum(r, PSI_FLOOR), np.maximum(e, PSI_FLOOR)
    return float(np.sum((e - r) * np.log(e / r)))


def layer_psi(reference: np.ndarray, evaluation: np.ndarray) -> np.ndarray:
    """Each unit's PSI, for (n, units) reference and evaluation values."""
    return np.array([psi(reference[:, u], evaluation[:, u]) for u in range(reference.shape[1])])


__all__ = [
    "QUANTILES",
    "dead_units",
    "layer_psi",
    "psi",
    "quantiles",
    "saturated_units",
    "unit_values",
]
