"""Policy settings of the explanation methods: which run globally and locally, and their budgets."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from reportgen.policy.base import Strict as _Strict
from reportgen.policy.gradients import GradientsSpec
from reportgen.policy.images import ImageExplanationsSpec

Scoring = Literal["roc_auc", "accuracy", "log_loss", "r2", "rmse"]
GlobalMethod = Literal["shap", "permutation", "gradients"]
LocalMethod = Literal["shap", "lime"]


class ShapSpec(_Strict):
    """SHAP settings (interventional Shapley values over raw features)."""

    background_size: int = Field(
        default=100, ge=10, le=2000, description="Reference rows used as the SHAP background."
    )
    global_rows: int = Field(
        default=200,
        ge=10,
        le=50_000,
        description="Evaluation rows explained for the global mean |SHAP|.",
    )
    estimator: Literal["auto", "exact", "permutation"] = Field(
        default="auto",
        description="exact enumerates every coalition (2^d per row, for up to 16 "
        "features); permutation samples antithetic feature orders and is additive by "
        "construction. auto picks exact for up to 10 features.",
    )
    permutations: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="permutation estimator: feature orders sampled per row (each also run "
        "reversed); the budget is permutations * (2 * features + 1) evaluations per row.",
    )
    target_error: float | None = Field(
        default=None,
        gt=0,
        description="permutation estimator: stop a row's sampling once its largest estimated "
        "standard error (over features and outputs, in output units) is at most this; orders "
        "are drawn in rounds of 5, up to permutations. None: run every order.",
    )


class LimeSpec(_Strict):
    """LIME settings (lime's tabular method over raw features, with quartile bins)."""

    num_samples: int = Field(
        default=5000, ge=100, le=200_000, description="Perturbed samples per case."
    )


class PermutationSpec(_Strict):
    """Permutation importance settings (scikit-learn's estimator)."""

    n_repeats: int = Field(default=10, ge=2, le=500, description="Shuffles per feature.")
    scoring: Scoring | None = Field(
        default=None,
        description="Score whose drop measures importance. Defaults: roc_auc for binary, "
        "log_loss for multiclass, r2 for regression.",
    )


class GlobalSpec(_Strict):
    """Which global explanations run."""

    methods: list[GlobalMethod] = Field(
        default_factory=lambda: list[GlobalMethod](["shap", "permutation"]),
        min_length=1,
        description="shap: mean |SHAP| per feature; permutation: permutation importance; "
        "gradients: mean |gradient x input| and |integrated gradients| (torch models).",
    )


class LocalSpec(_Strict):
    """Which local explanations run, and on how many audit cases."""

    methods: list[LocalMethod] = Field(
        default_factory=lambda: list[LocalMethod](["shap", "lime"]),
        min_length=1,
        description="Methods that explain each audit case.",
    )
    sample_size: int = Field(
        default=12,
        ge=1,
        le=500,
        description="Audit cases drawn from the evaluation data, stratified by predicted class.",
    )
    top_k: int = Field(default=5, ge=1, le=20, description="Contributions shown per case.")


class ExplanationsSpec(_Strict):
    """Explanation methods and their settings."""

    model_config = _Strict.model_config | ConfigDict(populate_by_name=True)

    global_: GlobalSpec = Field(
        default_factory=GlobalSpec,
        alias="global",
        description="Global explanations: which inputs drive the model over the evaluation data.",
    )
    local: LocalSpec = Field(
        default_factory=LocalSpec,
        description="Local explanations: why the model scored individual audit cases as it did.",
    )
    shap: ShapSpec = Field(default_factory=ShapSpec, description="SHAP settings.")
    lime: LimeSpec = Field(default_factory=LimeSpec, description="LIME settings.")
    permutation: PermutationSpec = Field(
        default_factory=PermutationSpec, description="Permutation importance settings."
    )
    gradients: GradientsSpec = Field(
        default_factory=GradientsSpec, description="Global gradient attributions settings."
    )
    images: ImageExplanationsSpec = Field(
        default_factory=ImageExplanationsSpec, description="Heat-maps of image models."
    )
