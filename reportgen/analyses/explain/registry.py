"""The explainers a model gets, behind one callable shape the checks take.

Checks compose with explainers instead of knowing backends: an ``Explainer`` maps
(coded rows, target output per row, seed per row) to an Attribution, so rerun stability,
perturbation robustness, faithfulness and agreement run the same code for SHAP, LIME, integrated
gradients and the random control. A row's attribution depends on that row, its target and its
own seed only, never on the rows explained with it: that is what lets :func:`explain_task` run
any shard of rows anywhere and still give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from reportgen.analyses.explain.attribution import Attribution
from reportgen.analyses.explain.gradients import explain_ig
from reportgen.analyses.explain.lime_explainer import explain_lime
from reportgen.analyses.explain.shap_explainer import choose_estimator, explain_shap
from reportgen.inputs.models import ModelAdapter, TorchAdapter
from reportgen.policy.schema import Policy

ExplainFn = Callable[[np.ndarray, np.ndarray, np.ndarray], Attribution]

LABELS = {
    "shap": "SHAP",
    "lime": "LIME",
    "ig": "integrated gradients",
    "random": "random attributions (control)",
}


@dataclass(frozen=True)
class ExplainSettings:
    """The policy's explainer settings as plain values (what a worker needs to rebuild them)."""

    methods: tuple[str, ...]
    shap_estimator: str
    shap_permutations: int
    shap_target_error: float | None
    lime_samples: int
    ig_steps: tuple[int, ...]
    ig_tolerance: float

    @classmethod
    def of(cls, policy: Policy) -> ExplainSettings:
        explanations, completeness = policy.explanations, policy.checks.completeness
        return cls(
            methods=tuple(explanations.local.methods),
            shap_estimator=explanations.shap.estimator,
            shap_permutations=explanations.shap.permutations,
            shap_target_error=explanations.shap.target_error,
            lime_samples=explanations.lime.num_samples,
            ig_steps=tuple(completeness.ig_steps),
            ig_tolerance=completeness.ig_tolerance,
        )


@dataclass(frozen=True)
class Explainer:
    """An explanation method ready to call: ``explain(codes, target, seeds)``, one seed per row.

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
    model: ModelAdapter,
    settings: ExplainSettings,
    *,
    background: np.ndarray,
    reference: np.ndarray,
) -> dict[str, Explainer]:
    """The policy's local methods for ``model``, plus IG for torch models."""
    found: dict[str, Explainer] = {}
    if "shap" in settings.methods:
        found["shap"] = shap_explainer(model, settings, background=background)
    if "lime" in settings.methods:
        found["lime"] = Explainer(
            "lime",
            lambda codes, target, seeds: explain_lime(
                model,
                codes,
                target=target,
                background=reference,
                seeds=seeds,
                num_samples=settings.lime_samples,
            ),
            stochastic=True,
        )
    if isinstance(model, TorchAdapter):
        found["ig"] = ig_explainer(model, settings, background=background)
    return found


def shap_explainer(
    model: ModelAdapter, settings: ExplainSettings, *, background: np.ndarray
) -> Explainer:
    def explain(codes: np.ndarray, target: np.ndarray, seeds: np.ndarray) -> Attribution:
        values = explain_shap(
            model,
            codes,
            background=background,
            seeds=seeds,
            estimator=settings.shap_estimator,
            permutations=settings.shap_permutations,
            target_error=settings.shap_target_error,
        )
        return values.select(target)

    sampled = choose_estimator(settings.shap_estimator, background.shape[1]) == "permutation"
    return Explainer("shap", explain, stochastic=sampled)


def ig_explainer(
    model: ModelAdapter, settings: ExplainSettings, *, background: np.ndarray
) -> Explainer:
    return Explainer(
        "ig",
        lambda codes, target, seeds: explain_ig(
            model,
            codes,
            target=target,
            background=background,
            steps=settings.ig_steps,
            tolerance=settings.ig_tolerance,
        ),
        stochastic=False,
        gradient=True,
    )


def random_control(d: int) -> Explainer:
    """Independent N(0, 1) attributions: the chance level of every metric."""

    def explain(codes: np.ndarray, target: np.ndarray, seeds: np.ndarray) -> Attribution:
        values = np.stack([np.random.default_rng(int(s)).normal(size=d) for s in seeds])
        zeros = np.zeros(len(codes))
        return Attribution(
            values.reshape(len(codes), d),
            zeros,
            zeros,
            "random",
            zeros,
            {"distribution": "N(0, 1)"},
        )

    return Explainer("random", explain, stochastic=True)


def explain_task(
    model: ModelAdapter, shared: Mapping[str, Any], rows: Mapping[str, np.ndarray]
) -> dict[str, Any]:
    """A shard of rows explained by ``shared["method"]``: the task a runner ships anywhere.

    ``shared`` holds the method, the ExplainSettings and the background and reference arrays;
    ``rows`` the coded rows, their targets and their seeds.
    """
    method = shared["method"]
    codes = rows["codes"]
    if method == "random":
        explainer = random_control(codes.shape[1])
    else:
        explainer = explainers_for(
            model,
            shared["settings"],
            background=shared["background"],
            reference=shared["reference"],
        )[method]
    return as_rows(explainer.explain(codes, rows["target"], rows["seed"]))


def as_rows(attribution: Attribution) -> dict[str, Any]:
    """An Attribution as per-row arrays and lists (what crosses between processes)."""
    n = len(attribution.values)
    return {
        "values": attribution.values,
        "base": attribution.base,
        "output": attribution.output,
        "fit": attribution.fit,
        "standard_error": attribution.standard_error
        if attribution.standard_error is not None
        else np.full(attribution.values.shape, np.nan),
        "conditions": attribution.conditions or [{} for _ in range(n)],
    }


def from_rows(
    rows: Mapping[str, Any], method: str, details: dict[str, object] | None = None
) -> Attribution:
    """The Attribution of joined :func:`as_rows` outputs."""
    se = rows["standard_error"]
    sampled = bool(len(se)) and not np.isnan(se).all()
    return Attribution(
        values=rows["values"],
        base=rows["base"],
        output=rows["output"],
        method=method,
        fit=rows["fit"],
        details=details or {},
        conditions=rows["conditions"] if method == "lime" else None,
        standard_error=se if sampled else None,
    )
