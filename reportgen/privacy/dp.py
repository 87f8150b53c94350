"""Differential privacy for published aggregates: OpenDP Laplace noise and a budget ledger.

Unit of privacy: one row of the evaluation data. Two datasets are neighbours when one has a row
the other lacks (OpenDP's symmetric distance 1, "add or remove one person"), so a count has
sensitivity 1 and a sum of values clamped to [lower, upper] has sensitivity upper - lower (as
certified by OpenDP, which adds a tiny margin for floating-point rounding; we sum values
centred on the bounds' midpoint, for which that is the smallest OpenDP certifies).

Every release goes through a :class:`Ledger`, which refuses, before any noise is drawn, a
release that would take the total spent above the policy's epsilon (sequential composition:
the epsilons of the releases add up). Each entry records what a reader needs to judge the
release: mechanism, epsilon, sensitivity, noise scale, clamping bounds and the 95% accuracy.

Randomness: OpenDP draws noise from its own cryptographically secure generator, which cannot
be seeded (deliberately: seeded noise could be subtracted). Noisy numbers therefore differ from
run to run, and a report with differential privacy on is not byte-for-byte reproducible;
tests check noise statistically.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from reportgen._lazy import require
from reportgen.errors import PrivacyError

if TYPE_CHECKING:
    from reportgen.policy.privacy import DifferentialPrivacySpec

UNIT = "one person's row in the evaluation data"
MECHANISM = "Laplace (OpenDP)"
ACCURACY_ALPHA = 0.05
"""Entries state the half-width of a 95% interval around the true value."""

_TOLERANCE = 1e-9  # relative slack when adding up epsilons written as decimals (0.1 + 0.2)
_NUDGES = 64  # at most this many one-ulp scale increases to meet epsilon exactly


@dataclass(frozen=True)
class LedgerEntry:
    """One noisy release: what was published and what it cost."""

    name: str
    statistic: str
    epsilon: float
    sensitivity: float
    scale: float
    bounds: tuple[float, float] | None
    accuracy_95: float
    mechanism: str = MECHANISM

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON-native values, for the results document."""
        return {
            "name": self.name,
            "statistic": self.statistic,
            "mechanism": self.mechanism,
            "epsilon": self.epsilon,
            "delta": 0.0,
            "sensitivity": self.sensitivity,
            "scale": self.scale,
            "bounds": list(self.bounds) if self.bounds is not None else None,
            "accuracy_95": self.accuracy_95,
        }


class Ledger:
    """The privacy budget of one report and every release charged to it.

    Parameters
    ----------
    epsilon:
        Total budget; releases are refused once their epsilons would add up to more.
    delta:
        Total delta, reported as declared; the Laplace releases here spend none of it.
    unit:
        The unit of privacy the report states.
    """

    def __init__(self, epsilon: float, delta: float = 0.0, *, unit: str = UNIT) -> None:
        if not (math.isfinite(epsilon) and epsilon > 0):
            raise ValueError(f"privacy budget epsilon must be a positive number, got {epsilon}")
        if not 0 <= delta < 1:
            raise ValueError(f"delta must be in [0, 1), got {delta}")
        self._epsilon = float(epsilon)
        self._delta = float(delta)
        self._unit = unit
        self._entries: list[LedgerEntry] = []
        self._lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: DifferentialPrivacySpec) -> Ledger:
        """The ledger for a policy's ``privacy.differential_privacy`` section."""
        return cls(spec.epsilon, spec.delta, unit=spec.unit)

    @property
    def epsilon(self) -> float:
        """The total budget."""
        return self._epsilon

    @property
    def delta(self) -> float:
        """The declared delta."""
        return self._delta

    @property
    def unit(self) -> str:
        """The unit of privacy."""
        return self._unit

    @property
    def spent(self) -> float:
        """Epsilon spent so far, as certified by OpenDP's privacy maps."""
        return math.fsum(e.epsilon for e in self._entries)

    @property
    def remaining(self) -> float:
        """Epsilon still available."""
        return max(0.0, self._epsilon - self.spent)

    @property
    def entries(self) -> list[dict[str, Any]]:
        """Every release so far, oldest first, as JSON-native dicts."""
        return [e.to_json() for e in self._entries]

    def to_json(self) -> dict[str, Any]:
        """Budget, unit and releases, JSON-native, for the report's Privacy section."""
        return {
            "epsilon": self._epsilon,
            "delta": self._delta,
            "unit": self._unit,
            "spent": self.spent,
            "entries": self.entries,
        }

    @contextmanager
    def _spend(self, name: str, epsilon: float) -> Iterator[list[LedgerEntry]]:
        """Reserve ``epsilon`` for ``name``; the entries appended in the block are recorded.

        Raises PrivacyError, before the block runs, when the budget cannot cover ``epsilon``.
        If the block raises, nothing is recorded.
        """
        with self._lock:
            if self.spent + epsilon > self._epsilon * (1 + _TOLERANCE):
                raise PrivacyError(
                    f"differential privacy budget exhausted: {name} needs ε={epsilon:g}, "
                    f"only {self.remaining:g} of ε={self._epsilon:g} left"
                )
            pending: list[LedgerEntry] = []
            yield pending
            certified = math.fsum(e.epsilon for e in pending)
            if certified > epsilon * (1 + _TOLERANCE):  # pragma: no cover - calibration bug
                raise RuntimeError(f"{name}: released ε={certified!r} exceeds ε={epsilon!r}")
            self._entries.extend(pending)


@dataclass(frozen=True)
class Calibration:
    """An OpenDP measurement with its noise scale and the epsilon its privacy map certifies."""

    measurement: Any
    d_in: int
    sensitivity: float
    scale: float
    epsilon: float

    def entry(self, name: str, statistic: str, bounds: tuple[float, float] | None) -> LedgerEntry:
        """The ledger entry describing a release of this measurement."""
        accuracy = _opendp().laplacian_scale_to_accuracy(self.scale, ACCURACY_ALPHA)
        return LedgerEntry(
            name=name,
            statistic=statistic,
            epsilon=self.epsilon,
            sensitivity=self.sensitivity,
            scale=self.scale,
            bounds=bounds,
            accuracy_95=float(accuracy),
        )


def count_measurement(epsilon: float) -> Calibration:
    """Laplace noise on a count (integer, sensitivity 1), at most ``epsilon`` for one row."""
    _check_epsilon(epsilon)
    dp = _opendp()
    space = dp.atom_domain(T="i64"), dp.absolute_distance(T="i64")
    return _calibrate(lambda scale: dp.m.make_laplace(*space, scale=scale), 1.0, epsilon)


def sum_measurement(*, lower: float, upper: float, epsilon: float) -> Calibration:
    """Clamp to ``[lower, upper]``, sum, add Laplace noise: at most ``epsilon`` for one row.

    The measurement takes values already centred on the bounds' midpoint (a list of floats)
    and clamps them to ``±(upper - lower) / 2``; its output is the noisy centred sum.
    """
    _check_epsilon(epsilon)
    _check_bounds(lower, upper)
    dp = _opendp()
    half = (upper - lower) / 2
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.symmetric_distance()
    clamped_sum = dp.t.make_clamp(*space, bounds=(-half, half)) >> dp.t.then_sum()
    sensitivity = float(clamped_sum.map(1))
    return _calibrate(
        lambda scale: clamped_sum >> dp.m.then_laplace(scale=scale), sensitivity, epsilon
    )


def noisy_count(value: int, *, epsilon: float, ledger: Ledger, name: str) -> float:
    """``value`` plus Laplace noise of scale 1/epsilon, charged to ``ledger``.

    ``value`` is a count of rows (sensitivity 1 under the unit of privacy). The result is an
    integer-valued float and may be negative; rounding or clipping it afterwards costs no
    privacy. Raises PrivacyError when the ledger cannot cover ``epsilon``.
    """
    _check_epsilon(epsilon)
    if value < 0:
        raise ValueError(f"{name}: a count cannot be negative, got {value}")
    with ledger._spend(name, epsilon) as pending:
        calibration = count_measurement(epsilon)
        noisy = float(calibration.measurement(int(value)))
        pending.append(calibration.entry(name, "count", None))
    return noisy


def noisy_mean(
    values: np.ndarray,
    *,
    lower: float,
    upper: float,
    epsilon: float,
    ledger: Ledger,
    name: str,
    count: float | None = None,
) -> float:
    """The mean of ``values`` clamped to ``[lower, upper]``, from a noisy sum and count.

    Parameters
    ----------
    values:
        One value per row (any shape; flattened). NaN is refused: drop missing values first.
    lower, upper:
        Declared bounds, public (from the policy, never from the data); values are clamped.
    epsilon:
        Spent in total. Without ``count``, half goes to a noisy count and half to the noisy
        sum (two ledger entries); with ``count``, all of it goes to the sum.
    count:
        The cohort size as already released, e.g. by :func:`noisy_count`. Reusing a released
        number costs nothing; passing an exact count that is not published would break the
        guarantee.

    Returns the noisy sum over the noisy count (at least 1), clipped to the bounds.
    """
    _check_epsilon(epsilon)
    _check_bounds(lower, upper)
    data = np.asarray(values, dtype=float).ravel()
    if np.isnan(data).any():
        raise ValueError(f"{name}: values contain NaN; drop missing values before noisy_mean")
    bounds = (float(lower), float(upper))
    sum_epsilon = epsilon if count is not None else epsilon / 2
    with ledger._spend(name, epsilon) as pending:
        centre = (bounds[0] + bounds[1]) / 2
        total = sum_measurement(lower=bounds[0], upper=bounds[1], epsilon=sum_epsilon)
        if count is None:
            counting = count_measurement(epsilon / 2)
            count = float(counting.measurement(int(data.size)))
            pending.append(counting.entry(name, "count", None))
        noisy_sum = float(total.measurement((data - centre).tolist()))
        pending.append(total.entry(name, "clamped sum", bounds))
    mean = noisy_sum / max(count, 1.0) + centre
    return min(max(mean, bounds[0]), bounds[1])


def _calibrate(build: Callable[[float], Any], sensitivity: float, epsilon: float) -> Calibration:
    """The measurement with scale sensitivity/epsilon, nudged up until its map gives <= epsilon.

    The privacy map rounds conservatively, so 1 / (1 / 0.7) may certify 0.7000000000000001;
    a few one-ulp increases of the scale bring it to epsilon or just below.
    """
    scale = sensitivity / epsilon
    for _ in range(_NUDGES):
        measurement = build(scale)
        certified = float(measurement.map(1))
        if certified <= epsilon:
            return Calibration(measurement, 1, sensitivity, scale, certified)
        scale = math.nextafter(scale, math.inf)
    raise RuntimeError(f"could not calibrate Laplace noise to ε={epsilon!r}")  # pragma: no cover


def _check_epsilon(epsilon: float) -> None:
    if not (math.isfinite(epsilon) and epsilon > 0):
        raise ValueError(f"epsilon must be a positive number, got {epsilon}")


def _check_bounds(lower: float, upper: float) -> None:
    if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
        raise ValueError(f"bounds must be finite with lower < upper, got [{lower}, {upper}]")


@cache
def _opendp() -> ModuleType:
    """``opendp.prelude`` with the 'contrib' features (the Laplace mechanism) enabled."""
    dp = require("opendp.prelude")
    dp.enable_features("contrib")
    return dp


__all__ = [
    "UNIT",
    "Calibration",
    "Ledger",
    "LedgerEntry",
    "count_measurement",
    "noisy_count",
    "noisy_mean",
    "sum_measurement",
]
