"""Cohort families as published: small cohorts suppressed (with complementary suppression),
profiles shown only over enough explained rows, and, under differential privacy, counts and
profile means with Laplace noise charged to the policy's ledger.

The privacy gate calls :func:`publish_cohorts` and vouches for what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reportgen.analyses.cohorts import CohortFigures, ModelCohorts, RawCohorts, profile_values
from reportgen.policy.privacy import PREDICTED_CLASS, CohortSpec
from reportgen.policy.schema import Policy
from reportgen.privacy.dp import Ledger, noisy_count, noisy_mean
from reportgen.privacy.families import UNPROTECTABLE, WHOLE_FAMILY, plan_family
from reportgen.privacy.rules_text import DP_FEATURES
from reportgen.privacy.suppression import reason
from reportgen.results.document import Cohort, CohortResult, MetricWithInterval, Suppressed


def publish_cohorts(
    families: list[ModelCohorts], *, policy: Policy, ledger: Ledger | None
) -> tuple[list[CohortResult], list[Suppressed]]:
    """The publishable families (a family suppression cannot protect is left out) and what was
    suppressed, each cohort or whole family with its reason."""
    publisher = _Publisher(policy, ledger, _epsilon_share(families, ledger))
    published = [r for f in families if (r := publisher.family(f)) is not None]
    return published, publisher.suppressed


def _epsilon_share(families: list[ModelCohorts], ledger: Ledger | None) -> float:
    """Equal epsilon per released statistic (sequential composition, a safe upper bound)."""
    if ledger is None:
        return 0.0
    releases = sum((len(f.raw.cohorts) + 1) * (1 + 2 * DP_FEATURES) for f in families)
    return ledger.epsilon / max(releases, 1)


@dataclass
class _Publisher:
    policy: Policy
    ledger: Ledger | None
    epsilon: float
    suppressed: list[Suppressed] = field(default_factory=list)

    @property
    def minimum(self) -> int:
        return self.policy.privacy.min_cohort_size

    def family(self, family: ModelCohorts) -> CohortResult | None:
        raw, k = family.raw, self.minimum
        plan = plan_family(
            {c.label: c.size for c in raw.cohorts},
            total=raw.overall.size,
            minimum=k,
            declared=self._declared_labels(family.spec),
        )
        if plan.withheld:
            self.suppressed.append(
                Suppressed(
                    family=raw.name, model=family.model, cohort=WHOLE_FAMILY, reason=UNPROTECTABLE
                )
            )
            return None
        for label in plan.suppressed:
            self.suppressed.append(
                Suppressed(family=raw.name, model=family.model, cohort=label, reason=reason(k))
            )
        figures = {c.label: c for c in raw.cohorts}
        cohorts = [
            self._cohort(raw, figures[label])
            if label in plan.published
            else Cohort(label=label, size=None, suppressed=reason(k))
            for label in plan.rows
        ]
        return CohortResult(
            model=family.model,
            family=raw.name,
            by=raw.by,
            overall=self._cohort(raw, raw.overall, overall=True),
            cohorts=cohorts,
            noised=self.ledger is not None,
            cost=family.cost,
        )

    def _declared_labels(self, spec: CohortSpec) -> bool:
        """Whether a family's labels come from the policy or the model, not from the data."""
        if spec.by == PREDICTED_CLASS or spec.bands is not None:
            return True
        return spec.by in self.policy.data.features.categorical

    def _cohort(self, raw: RawCohorts, c: CohortFigures, *, overall: bool = False) -> Cohort:
        label = "all rows" if overall else c.label
        if self.ledger is not None:
            return self._noised(raw, c, label, overall=overall)
        profile, top = {}, list(c.profile.top_features) if c.profile else []
        rows = c.profile.rows if c.profile else 0
        if c.profile is not None and rows >= self.minimum:
            profile = dict(zip(raw.features, (float(v) for v in c.profile.values), strict=True))
        metrics = [
            MetricWithInterval(name=e.name, value=e.value, low=e.low, high=e.high)
            for e in c.performance
        ]
        return Cohort(
            label=label,
            size=c.size,
            metrics=metrics,
            profile=profile,
            top_features=top if profile else [],
            distance=c.profile.total_variation if (c.profile and profile) else None,
            profile_rows=rows if profile else None,
        )

    def _noised(self, raw: RawCohorts, c: CohortFigures, label: str, *, overall: bool) -> Cohort:
        """Counts and profile means with Laplace noise; performance is not published under DP."""
        assert self.ledger is not None  # only called with DP on
        name = f"{raw.model} / {raw.name} / {label}"
        size = noisy_count(c.size, epsilon=self.epsilon, ledger=self.ledger, name=f"{name}: count")
        profile: dict[str, float] = {}
        values = profile_values(raw, None if overall else c.label)
        lower, upper = raw.profile_bounds or (0.0, 1.0)
        if len(values) >= self.minimum:
            for j in _noised_features(raw):
                profile[raw.features[j]] = noisy_mean(
                    values[:, j],
                    lower=lower,
                    upper=upper,
                    epsilon=self.epsilon,
                    ledger=self.ledger,
                    name=f"{name}: mean |SHAP| {raw.features[j]}",
                )
        top = sorted(profile, key=lambda f: -profile[f])[:5]
        return Cohort(
            label=label,
            size=round(size, 1),
            profile=profile,
            top_features=top,
            profile_rows=len(values) if profile else None,
        )


def _noised_features(raw: RawCohorts) -> list[int]:
    """The overall top features whose cohort means are released under DP."""
    order = np.argsort(-profile_values(raw, None).mean(axis=0), kind="stable")
    return [int(j) for j in order[:DP_FEATURES]]


__all__ = ["publish_cohorts"]
