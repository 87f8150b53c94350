"""Reason codes of declined applicants: SHAP of P(adverse) against the reference, per family.

:func:`reason_setup` turns the policy into what every computation of reasons needs (the
adverse output, the families with any excluded proxies, the reference background);
:func:`explain_reasons` computes the reasons of coded rows with the project's SHAP estimator
(:func:`reportgen.analyses.explain.shap_explainer.shap_task`, the policy's estimator and budget),
run by a :class:`~reportgen.analyses.work.Runner` so any executor gives the same numbers. The
report's reason codes, check C9 and `reportgen reasons` all go through these two functions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from reportgen.analyses.context import SALT_BACKGROUND, SALT_REASON_BACKGROUND, SALT_REASONS
from reportgen.analyses.explain.shap_explainer import (
    ShapValues,
    budget,
    choose_estimator,
    shap_task,
)
from reportgen.analyses.reasons.families import ReasonFamilies, rank_reasons
from reportgen.analyses.reasons.proxies import ProxyPair, flagged_features, screen_proxies
from reportgen.analyses.reasons.reference import MIN_REFERENCE, Reference, reason_reference
from reportgen.analyses.work import Runner, unit_seeds
from reportgen.errors import AnalysisError
from reportgen.inputs.models import ModelAdapter
from reportgen.policy.credit import ReasonsSpec
from reportgen.policy.schema import Policy


@dataclass(frozen=True, eq=False)
class ReasonSetup:
    """Everything that decides a declined applicant's reasons, fixed before any is computed."""

    spec: ReasonsSpec
    adverse_class: str
    adverse: int
    """The model output (class column) of the adverse class."""
    cutoff: float
    families: ReasonFamilies
    reference: Reference
    proxies: tuple[ProxyPair, ...]
    estimator: str
    """The policy's SHAP estimator setting (auto, exact or permutation)."""
    permutations: int
    target_error: float | None
    """The policy's SHAP early-stopping target (None: every order runs)."""

    @property
    def max_reasons(self) -> int:
        return self.spec.max_reasons

    def chosen_estimator(self, d: int) -> Literal["exact", "permutation"]:
        """The estimator SHAP uses for ``d`` features (``auto`` resolved)."""
        return choose_estimator(self.estimator, d)

    def evals_per_row(self, d: int) -> int:
        """Coalitions evaluated per explained row (as the global SHAP result records them)."""
        return budget(self.chosen_estimator(d), d, self.permutations)


def applicant_seeds(seed: int, ids: Sequence[str] | np.ndarray) -> np.ndarray:
    """One SHAP seed per applicant, from the policy ``seed`` and the applicant's own id.

    Keyed by the id, not by the row, so an applicant's reasons do not depend on the other rows
    of a file or on their order: `reportgen reasons` on the evaluation file states exactly the
    reasons the report shows for its audit cases.
    """
    keys = [int.from_bytes(hashlib.sha256(str(i).encode()).digest()[:4], "big") for i in ids]
    return unit_seeds(seed, SALT_REASONS, np.asarray(keys, dtype=np.int64))


def has_reasons(policy: Policy) -> bool:
    """Whether the policy asks for reason codes."""
    return policy.decision is not None and policy.decision.reasons is not None


def reason_setup(
    policy: Policy, model: ModelAdapter, reference: np.ndarray, reference_frame: pd.DataFrame
) -> ReasonSetup:
    """The reason settings of ``policy`` for ``model``, with its reference background drawn from
    the coded ``reference`` rows and the proxy screen run on ``reference_frame`` (the same rows
    as loaded, sensitive columns included).

    The ``all_applicants`` background is the same seeded sample as the SHAP background of the
    rest of the report; the ``near_cutoff`` one has a seed of its own.

    Raises:
        AnalysisError: the policy has no reasons, the model no adverse class, or too few
            reference applicants qualify.
    """
    decision = policy.decision
    if decision is None or decision.reasons is None:
        raise AnalysisError(f"policy '{policy.id}' declares no decision.reasons")
    spec = decision.reasons
    if not model.classes or decision.adverse_class not in model.classes:
        raise AnalysisError(
            f"model '{model.name}': the adverse class '{decision.adverse_class}' is not one of "
            f"its classes {model.classes}"
        )
    numeric = [f.name for f in model.codec.features if f.kind == "numeric"]
    sensitive = [c for c in policy.data.sensitive if c in reference_frame.columns]
    proxies = screen_proxies(
        reference_frame,
        features=model.feature_names,
        numeric=numeric,
        sensitive=sensitive,
        spec=spec.proxy_screen,
    )
    excluded = flagged_features(proxies) if spec.exclude_proxies else []
    salt = SALT_BACKGROUND if spec.reference == "all_applicants" else SALT_REASON_BACKGROUND
    adverse = model.classes.index(decision.adverse_class)
    background = reason_reference(
        model,
        reference,
        spec=spec,
        cutoff=decision.cutoff,
        adverse=adverse,
        size=policy.explanations.shap.background_size,
        rng=np.random.default_rng([policy.seed, salt]),
        minimum=max(MIN_REFERENCE, policy.privacy.min_cohort_size),
    )
    return ReasonSetup(
        spec=spec,
        adverse_class=decision.adverse_class,
        adverse=adverse,
        cutoff=decision.cutoff,
        families=ReasonFamilies.of(spec, model.feature_names, excluded=excluded),
        reference=background,
        proxies=tuple(proxies),
        estimator=policy.explanations.shap.estimator,
        permutations=spec.permutations or policy.explanations.shap.permutations,
        target_error=policy.explanations.shap.target_error,
    )


@dataclass(frozen=True, eq=False)
class Reasons:
    """The reasons of n explained rows.

    ``probability`` (n,) P(adverse); ``values`` (n, d) SHAP values of P(adverse);
    ``totals`` (n, F) family contributions; ``ranked`` (n, max_reasons) family indices, largest
    contribution first, padded with ``NO_REASON``; ``additivity_error`` (n,)
    |sum(values) + E[f] - f(x)|.
    """

    probability: np.ndarray
    values: np.ndarray
    totals: np.ndarray
    ranked: np.ndarray
    additivity_error: np.ndarray


def explain_reasons(
    runner: Runner, setup: ReasonSetup, codes: np.ndarray, seeds: np.ndarray
) -> Reasons:
    """The principal reasons of the coded rows ``codes`` (n, d), one SHAP seed per row.

    A row's reasons depend on the row and its seed only, never on the rows explained with it.
    """
    n, d = codes.shape
    families = len(setup.families.names)
    if n == 0:
        empty = np.zeros(0)
        return Reasons(
            empty,
            np.zeros((0, d)),
            np.zeros((0, families)),
            np.zeros((0, setup.max_reasons), dtype=np.int64),
            empty,
        )
    shared = {
        "background": setup.reference.background,
        "estimator": setup.estimator,
        "permutations": setup.permutations,
        "target_error": setup.target_error,
    }
    found = runner.map(shap_task, shared, {"codes": codes, "seed": seeds})
    shap = ShapValues.from_rows(
        found,
        estimator=setup.estimator,
        permutations=setup.permutations,
        target_error=setup.target_error,
    )
    explained = shap.select(np.full(n, setup.adverse, dtype=np.int64))
    totals = setup.families.totals(explained.values)
    return Reasons(
        probability=explained.output,
        values=explained.values,
        totals=totals,
        ranked=rank_reasons(totals, setup.max_reasons),
        additivity_error=explained.fit,
    )
