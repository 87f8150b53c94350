"""The explainers a model gets, behind one callable shape the checks take.

Checks compose with explainers instead of knowing backends: an ``Explainer`` maps
(coded rows, target output per row, seed) to an Attribution, so rerun stability, perturbation
robustness, faithfulness and agreement run the same code for SHAP, LIME, integrated gradients and
the random control.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reportgen.analyses.explain.attribution import Attribution
from reportgen.analyses.explain.gradients import explain_ig
from reportgen.analyses.explain.lime_explainer import explain_lime
from reportgen.analyses.explain.shap_explainer import choose_estimator, explain_shap
from reportgen.inputs.models import ModelAdapter, TorchAdapter
from reportgen.policy.schema import Policy

ExplainFn = Callable[[np.ndarray, np.ndarray, int], Attribution]

LABELS = {
    "shap": "SHAP",
    "lime": "LIME",
    "ig": "integrated gradients",
    "random": "random attributions (control)",
}


@dataclass(frozen=True)
class Explainer:
    """An explanation method ready to call: ``explain(codes, target, seed)``.

    ``stochastic`` methods give different answers for different seeds (rerun checks apply);
    ``gradient`` methods read the model's gradients (randomisation sanity applies).
    """

    name: str
    explain: ExplainFn
    stochastic: bool
    gradient: bool = False

    @property
    def label(self) -> str:
        return LABELS[self.name]


def explainers_for(
    model: ModelAdapter, policy: Policy, *, background: np.ndarray, reference: np.ndarray
) -> dict[str, Explainer]:
    """The policy's local methods for ``model``, plus IG for torch models."""
    settings = policy.explanations
    found: dict[str, Explainer] = {}
    if "shap" in settings.local.methods:
        found["shap"] = shap_explainer(model, policy, background=background)
    if "lime" in settings.local.methods:
        found["lime"] = Explainer(
            "lime",
            lambda codes, target, seed: explain_lime(
                model,
                codes,
                target=target,
                background=reference,
                seed=seed,
                num_samples=settings.lime.num_samples,
            ),
            stochastic=True,
        )
    if isinstance(model, TorchAdapter):
        found["ig"] = ig_explainer(model, policy, background=background)
    return found


def shap_explainer(model: ModelAdapter, policy: Policy, *, background: np.ndarray) -> Explainer:
    shap = policy.explanations.shap

    def explain(codes: np.ndarray, target: np.ndarray, seed: int) -> Attribution:
        values = explain_shap(
            model,
            codes,
            background=background,
            seed=seed,
            estimator=shap.estimator,
            permutations=shap.permutations,
        )
        return values.select(target)

    sampled = choose_estimator(shap.estimator, background.shape[1]) == "permutation"
    return Explainer("shap", explain, stochastic=sampled)


def ig_explainer(model: ModelAdapter, policy: Policy, *, background: np.ndarray) -> Explainer:
    completeness = policy.checks.completeness
    return Explainer(
        "ig",
        lambda codes, target, seed: explain_ig(
            model,
            codes,
            target=target,
            background=background,
            steps=tuple(completeness.ig_steps),
            tolerance=completeness.ig_tolerance,
        ),
        stochastic=False,
        gradient=True,
    )


def random_control(d: int) -> Explainer:
    """Independent N(0, 1) attributions on every call: the chance level of every metric."""

    def explain(codes: np.ndarray, target: np.ndarray, seed: int) -> Attribution:
        values = np.random.default_rng([seed, len(codes)]).normal(size=(len(codes), d))
        zeros = np.zeros(len(codes))
        return Attribution(values, zeros, zeros, "random", zeros, {"distribution": "N(0, 1)"})

    return Explainer("random", explain, stochastic=True)
