"""The policy's explanation checks: which run, their parameters and their pass/warn thresholds.

Defaults are the calibrated values of CHECKS.md section 9. Every check reports PASS, WARN, FAIL
or ERROR; a FAIL or ERROR makes `reportgen run` exit 1 while the report is still published.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from reportgen.policy.base import Strict
from reportgen.policy.images import LocalisationSpec


class AuditSampleSpec(Strict):
    """The instances the per-instance checks run on."""

    size: int = Field(
        default=40,
        ge=5,
        le=1000,
        description="Instances checked: the displayed audit cases plus further rows drawn by "
        "predicted class (CHECKS.md recommends 50 to 100; more costs more model evaluations).",
    )
    boundary_band: float = Field(
        default=0.1,
        ge=0.0,
        le=0.5,
        description="Classifiers: rows whose top probability is within this distance of the "
        "decision boundary count as near-boundary cases.",
    )
    boundary_share: float = Field(
        default=0.2,
        ge=0.0,
        le=1.0,
        description="Share of checked instances drawn from near-boundary rows, when there are any.",
    )


class CompletenessSpec(Strict):
    """C1: attributions add up to f(x) - f(baseline)."""

    enabled: bool = Field(default=True, description="Run this check.")
    shap_tolerance: float = Field(
        default=1e-6, gt=0, description="Largest relative additivity error of SHAP."
    )
    ig_tolerance: float = Field(
        default=0.05,
        gt=0,
        description="Integrated gradients: pass at or below this relative error.",
    )
    ig_warn: float = Field(
        default=0.10,
        gt=0,
        description="Integrated gradients: warn up to this relative error, fail above.",
    )
    ig_steps: list[Annotated[int, Field(ge=2, le=10_000)]] = Field(
        default_factory=lambda: [64, 256],
        min_length=1,
        max_length=5,
        description="Integration steps tried in turn until the tolerance is met.",
    )


class RerunSpec(Strict):
    """C2: do reruns with other seeds give the same top features (sampling explainers)?"""

    enabled: bool = Field(default=True, description="Run this check.")
    reruns: int = Field(
        default=5, ge=2, le=50, description="Runs with different seeds per instance."
    )
    fa_median_min: float = Field(
        default=0.9, ge=0, le=1, description="Pass: median top-k overlap between reruns."
    )
    warn_fa_median_min: float = Field(
        default=0.8, ge=0, le=1, description="Warn (not fail) down to this median overlap."
    )
    per_instance_fa_min: float = Field(
        default=0.8, ge=0, le=1, description="Per-instance overlap counted as stable."
    )
    sign_agreement_min: float = Field(
        default=0.9, ge=0, le=1, description="Pass: median sign agreement between reruns."
    )
    cv_max: float = Field(
        default=0.10, gt=0, description="Pass: median coefficient of variation of the top-k values."
    )
    shap_convergence_max: float = Field(
        default=0.03,
        gt=0,
        description="Sampled SHAP: largest standard error over the value range, per instance.",
    )


class PerturbationSpec(Strict):
    """C3: do tiny, class-preserving input changes keep the same top features?"""

    enabled: bool = Field(default=True, description="Run this check.")
    instances: int = Field(
        default=15, ge=2, le=1000, description="Instances perturbed (from the audit sample)."
    )
    draws: int = Field(default=10, ge=2, le=200, description="Perturbations per instance.")
    sigma_sd: float = Field(
        default=0.1, gt=0, description="Noise on numeric features, in standard deviations."
    )
    fa_median_min: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="Pass: median top-k overlap with the unperturbed explanation.",
    )
    warn_fa_min: float = Field(
        default=0.6, ge=0, le=1, description="Warn (not fail) down to this median overlap."
    )
    sensitivity_max: float = Field(
        default=0.5, gt=0, description="Pass: median relative max-sensitivity."
    )
    fail_sensitivity_above: float = Field(
        default=0.8, gt=0, description="Fail above this median relative max-sensitivity."
    )


class RemovalSpec(Strict):
    """C4: does deleting the top-ranked features move the prediction more than random orders?"""

    enabled: bool = Field(default=True, description="Run this check.")
    images: int = Field(
        default=20,
        ge=5,
        le=1000,
        description="Image models: images whose pixel deletion and insertion curves are drawn.",
    )
    image_substrate: Literal["noisy_blur", "zeros"] = Field(
        default="noisy_blur",
        description="Image models: what a deleted pixel becomes in the gated deletion curve. "
        "noisy_blur: the image blurred plus noise (ROAD-like imputation, in distribution); "
        "zeros: the normalised mean (RISE), which can leave a uniform blob where a bright "
        "finding was that still reads as a finding. The other is reported beside it.",
    )
    random_orders: int = Field(
        default=10, ge=2, le=200, description="Random feature orders compared against."
    )
    deletion_ratio_max: float = Field(
        default=0.8, gt=0, description="Pass: deletion AUC over the random orders' AUC."
    )
    warn_deletion_ratio_max: float = Field(
        default=0.9, gt=0, description="Warn (not fail) up to this deletion ratio."
    )
    insertion_ratio_min: float = Field(
        default=1.2, gt=0, description="Pass: insertion AUC over the random orders' AUC."
    )
    faithfulness_runs: int = Field(
        default=100, ge=10, le=10_000, description="Random subsets for faithfulness correlation."
    )
    faithfulness_min: float = Field(
        default=0.3, ge=-1, le=1, description="Pass: median faithfulness correlation."
    )
    faithfulness_fail_at_or_below: float = Field(
        default=0.1, ge=-1, le=1, description="Fail at or below this median correlation."
    )


class RandomisationSpec(Strict):
    """C5: do gradient attributions change when the model's weights are randomised?"""

    enabled: bool = Field(default=True, description="Run this check (torch models only).")
    instances: int = Field(
        default=30,
        ge=5,
        le=1000,
        description="Instances explained before and after randomisation.",
    )
    draws: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Tabular models: independent weight randomisations; correlations are "
        "averaged over them. Image maps: noisy copies each map is averaged over before the "
        "comparison (smooth MPRT; at most 10 are used).",
    )
    spearman_max: float = Field(
        default=0.3,
        ge=-1,
        le=1,
        description="Pass: signed and input-normalised Spearman at most this.",
    )
    fail_above: float = Field(default=0.5, ge=-1, le=1, description="Fail above this correlation.")


class AgreementSpec(Strict):
    """C6: do SHAP, LIME and integrated gradients agree on the top features and signs?"""

    enabled: bool = Field(default=True, description="Run this check.")
    fa_min: float = Field(
        default=0.6, ge=0, le=1, description="Pass: median top-k feature agreement."
    )
    sa_min: float = Field(default=0.6, ge=0, le=1, description="Pass: median top-k sign agreement.")
    warn_min: float = Field(
        default=0.4, ge=0, le=1, description="Warn (not fail) down to this agreement."
    )


class GlobalStabilitySpec(Strict):
    """C7: do the reported top features stay on top when the evaluation rows are resampled?"""

    enabled: bool = Field(default=True, description="Run this check.")
    shap_bootstrap: int = Field(
        default=1000, ge=50, le=100_000, description="Row resamples of mean |SHAP|."
    )
    permutation_bootstrap: int = Field(
        default=50, ge=10, le=2000, description="Row resamples of permutation importance."
    )
    inclusion_min: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="Pass: each reported top-k feature's inclusion frequency.",
    )
    warn_min: float = Field(
        default=0.6, ge=0, le=1, description="Warn (not fail) down to this inclusion frequency."
    )
    rel_ci_halfwidth_max: float = Field(
        default=0.2, gt=0, description="Pass: relative 95% CI half-width of top-k mean |SHAP|."
    )


class ReasonStabilitySpec(Strict):
    """C9: do declined applicants keep their principal reasons across reruns and estimators?"""

    enabled: bool = Field(
        default=True, description="Run this check (credit policies with decision.reasons)."
    )
    instances: int = Field(
        default=50,
        ge=5,
        le=1000,
        description="Declined evaluation applicants checked, a seeded sample (all of them when "
        "fewer are declined).",
    )
    reruns: int = Field(
        default=2,
        ge=1,
        le=20,
        description="Reruns of the sampling SHAP estimator with other seeds (none are needed "
        "when SHAP is exact).",
    )
    min_share: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="Pass: share of checked applicants whose set of principal reasons is the "
        "same in every rerun and with the second estimator.",
    )
    warn_min_share: float = Field(
        default=0.75, ge=0, le=1, description="Warn (not fail) down to this share."
    )


class ChecksSpec(Strict):
    """Explanation trust checks (CHECKS.md section 9) and their gates."""

    top_k: int = Field(
        default=5,
        ge=1,
        le=20,
        description="How many top features the checks compare; at most the number of features. "
        "The checks use at most a third of the features (d // 3, at least 1) so that a random "
        "ranking cannot agree by chance, and say so where they lower it.",
    )
    min_pass_rate: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="Share of instances that must meet a per-instance threshold.",
    )
    audit_sample: AuditSampleSpec = Field(
        default_factory=AuditSampleSpec, description="Instances checked."
    )
    completeness: CompletenessSpec = Field(
        default_factory=CompletenessSpec, description="C1 completeness."
    )
    rerun_stability: RerunSpec = Field(
        default_factory=RerunSpec, description="C2 rerun stability and convergence."
    )
    perturbation: PerturbationSpec = Field(
        default_factory=PerturbationSpec, description="C3 perturbation robustness."
    )
    removal: RemovalSpec = Field(
        default_factory=RemovalSpec, description="C4 removal faithfulness."
    )
    randomisation: RandomisationSpec = Field(
        default_factory=RandomisationSpec, description="C5 randomisation sanity."
    )
    agreement: AgreementSpec = Field(
        default_factory=AgreementSpec, description="C6 method agreement."
    )
    global_stability: GlobalStabilitySpec = Field(
        default_factory=GlobalStabilitySpec, description="C7 global stability."
    )
    localisation: LocalisationSpec = Field(
        default_factory=LocalisationSpec, description="C8 localisation against masks (images)."
    )
    reason_stability: ReasonStabilitySpec = Field(
        default_factory=ReasonStabilitySpec,
        description="C9 stability of adverse-action reasons (credit policies with "
        "decision.reasons).",
    )

    @model_validator(mode="after")
    def _warn_bands_are_looser(self) -> ChecksSpec:
        """Each warn band lies between its pass and fail thresholds."""
        problems = []
        if self.rerun_stability.warn_fa_median_min > self.rerun_stability.fa_median_min:
            problems.append("rerun_stability.warn_fa_median_min must be <= fa_median_min")
        if self.perturbation.warn_fa_min > self.perturbation.fa_median_min:
            problems.append("perturbation.warn_fa_min must be <= fa_median_min")
        if self.removal.warn_deletion_ratio_max < self.removal.deletion_ratio_max:
            problems.append("removal.warn_deletion_ratio_max must be >= deletion_ratio_max")
        if self.agreement.warn_min > min(self.agreement.fa_min, self.agreement.sa_min):
            problems.append("agreement.warn_min must be <= fa_min and sa_min")
        if self.global_stability.warn_min > self.global_stability.inclusion_min:
            problems.append("global_stability.warn_min must be <= inclusion_min")
        if self.reason_stability.warn_min_share > self.reason_stability.min_share:
            problems.append("reason_stability.warn_min_share must be <= min_share")
        if self.completeness.ig_warn < self.completeness.ig_tolerance:
            problems.append("completeness.ig_warn must be >= ig_tolerance")
        if problems:
            raise ValueError("; ".join(problems))
        return self
