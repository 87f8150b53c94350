"""Reason families: features summed into one stated reason, and reasons ranked per applicant.

A family's contribution toward decline is the sum of its features' SHAP values of P(adverse):
exact by additivity, since SHAP values of a sum of players are the sum of their values. A
feature flagged as a possible proxy and excluded by the policy is left out of every sum, so no
reason carries its contribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reportgen.policy.credit import ReasonsSpec

NO_REASON = -1
"""Padding of a ranked row beyond the applicant's last reason."""


@dataclass(frozen=True, eq=False)
class ReasonFamilies:
    """The policy's families over a model's features (in the model's feature order).

    ``members`` is (d, F): 1 where feature j belongs to family f and is not ``excluded``.
    """

    names: tuple[str, ...]
    statements: tuple[str, ...]
    features: tuple[tuple[str, ...], ...]
    """Each family's features, as the policy lists them."""
    excluded: tuple[str, ...]
    """Features whose contributions no reason states (flagged proxies the policy excludes)."""
    members: np.ndarray

    @classmethod
    def of(
        cls, spec: ReasonsSpec, feature_names: Sequence[str], *, excluded: Sequence[str] = ()
    ) -> ReasonFamilies:
        """The families of ``spec`` over ``feature_names``.

        Raises:
            ValueError: a family names a feature the model does not have (the policy loader
                refuses such a policy, so this means model and policy disagree).
        """
        index = {name: j for j, name in enumerate(feature_names)}
        members = np.zeros((len(feature_names), len(spec.families)))
        for f, family in enumerate(spec.families):
            for feature in family.features:
                if feature not in index:
                    raise ValueError(
                        f"reason family '{family.name}' names '{feature}', which is not a "
                        "feature of the model"
                    )
                if feature not in excluded:
                    members[index[feature], f] = 1.0
        return cls(
            names=tuple(f.name for f in spec.families),
            statements=tuple(f.statement for f in spec.families),
            features=tuple(tuple(f.features) for f in spec.families),
            excluded=tuple(name for name in feature_names if name in set(excluded)),
            members=members,
        )

    def totals(self, values: np.ndarray) -> np.ndarray:
        """(n, F) family contributions from (n, d) feature contributions."""
        return np.asarray(values, dtype=np.float64) @ self.members

    def players(self) -> list[np.ndarray]:
        """Feature indices of each player of the family game: the families (their kept
        features), then one player holding every excluded feature, if any, which is never a
        reason."""
        groups = [np.flatnonzero(self.members[:, f]) for f in range(len(self.names))]
        left_out = np.flatnonzero(self.members.sum(axis=1) == 0)
        return [*groups, left_out] if len(left_out) else groups


def rank_reasons(totals: np.ndarray, max_reasons: int) -> np.ndarray:
    """(n, max_reasons) family indices of each row's principal reasons, largest first.

    A reason is a family with a positive contribution toward decline; ties go to the family
    listed first in the policy. Rows with fewer reasons are padded with :data:`NO_REASON`.
    """
    totals = np.asarray(totals, dtype=np.float64)
    families = totals.shape[1]
    order = np.lexsort((np.broadcast_to(np.arange(families), totals.shape), -totals), axis=1)
    ranked = order[:, :max_reasons]
    positive = np.take_along_axis(totals, ranked, axis=1) > 0
    return np.where(positive, ranked, NO_REASON)


def reason_sets(ranked: np.ndarray) -> list[frozenset[int]]:
    """Each row's principal reasons as a set (order ignored)."""
    return [frozenset(int(f) for f in row if f != NO_REASON) for row in ranked]
