"""Every kind of analysis, described in one place: the registry the engine runs from.

A kind says when the policy wants it and when it applies to a model, how it runs (and what its
row-sharded work is split by), the privacy rule the gate admits its results under, and the rule
that turns its results into pass/warn/fail gates. The engine plans from this registry, the
privacy gate refuses any result whose kind declares no rule (it fails closed), and conditions
come from here; the report's sections come from the render registry
(:mod:`reportgen.render.kinds`) keyed by the same result kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from reportgen.analyses import attention, training_history
from reportgen.analyses.calibration import run_calibration
from reportgen.analyses.checks import CHECKS, Check, needs_gradients, not_applicable, run_check
from reportgen.analyses.cohorts import ModelCohorts, run_cohorts
from reportgen.analyses.context import ModelData
from reportgen.analyses.edits import run_edits
from reportgen.analyses.fair_lending import run_fair_lending
from reportgen.analyses.global_gradients import run_global_gradients
from reportgen.analyses.global_importance import run_global_shap, run_permutation
from reportgen.analyses.imaging.c8 import run_localisation
from reportgen.analyses.imaging.cases import run_image_cases
from reportgen.analyses.imaging.checks import (
    checked_methods,
    run_map_randomisation,
    run_map_removal,
    run_map_robustness,
)
from reportgen.analyses.imaging.context import ImageData
from reportgen.analyses.imaging.mean_maps import run_image_maps
from reportgen.analyses.local import run_local
from reportgen.analyses.network import run_network, unreadable, wanted
from reportgen.analyses.network_images import run_image_network
from reportgen.analyses.performance import run_performance
from reportgen.analyses.reasons import has_reasons, run_reason_codes, run_reason_stability
from reportgen.analyses.recourse import run_recourse
from reportgen.conditions import JUDGES, Judge
from reportgen.conditions_credit import judge_fair_lending
from reportgen.conditions_edits import judge_edits
from reportgen.inputs.models import TorchAdapter
from reportgen.policy.schema import Policy
from reportgen.privacy.group_figures import publishable_groups
from reportgen.privacy.rules import PrivacyRule
from reportgen.results.document import CheckResult, Result

Output = Result | list[ModelCohorts]
Context = ModelData | ImageData
"""What a kind runs on: a tabular model's data, or an image model's images."""


@dataclass(frozen=True)
class AnalysisKind:
    """One kind of analysis and everything the engine needs to know about it.

    ``name`` is the result's ``kind`` tag, or the check's name for the trust checks (whose
    results share the tag ``check``). ``privacy`` is None only to show what the gate does with
    a kind that declares nothing: it refuses it. ``data`` is the kind of data it explains
    (None: every kind); ``applies`` and ``run`` take that data's context (:data:`Context`).
    """

    name: str
    label: str
    wanted: Callable[[Policy], bool]
    applies: Callable[[Any], bool]
    run: Callable[[Any], Output]
    privacy: PrivacyRule | None
    shards: str
    judge: Judge | None = None
    data: str | None = "tabular"
    why_not: Callable[[Any], str] = not_applicable
    """Why the kind does not apply to a context it is wanted for (the report states it)."""


def _always(_: object) -> bool:
    return True


def _needs_torch(data: ModelData) -> str:
    return needs_gradients(data.model.name, data.model.format)


def _check_kind(check: Check) -> AnalysisKind:
    return AnalysisKind(
        name=check.name,
        label=f"{check.code} {check.label} check",
        wanted=lambda policy: check.enabled(policy.checks),
        applies=check.applies,
        why_not=check.why_not,
        run=partial(run_check, check),
        privacy=PrivacyRule.CHECK,
        shards=check.shards,
        judge=JUDGES[check.name],
    )


_MAP_CHECK_SPEC = {
    "map_robustness": "perturbation",
    "map_removal": "removal",
    "map_randomisation": "randomisation",
}
"""The policy's check section whose thresholds (and enabled flag) each map check uses."""


def _map_check(name: str, label: str, run: Callable[[Any], Output], batched: str) -> AnalysisKind:
    """A trust check on image maps: runs when its check section is enabled and the policy
    computes a gradient-family map (Grad-CAM or integrated gradients)."""
    section = _MAP_CHECK_SPEC[name]
    return AnalysisKind(
        name=name,
        label=f"{label} check",
        wanted=lambda policy: bool(getattr(policy.checks, section).enabled),
        applies=lambda data: bool(checked_methods(data)),
        run=run,
        privacy=PrivacyRule.CHECK,
        shards=f"none ({batched} batched on the model)",
        judge=JUDGES[name],
        data="images",
    )


KINDS: tuple[AnalysisKind, ...] = (
    AnalysisKind(
        "model_performance",
        "model performance",
        _always,
        _always,
        run_performance,
        PrivacyRule.PREDICTION_COUNTS,
        shards="none (one pass over the evaluation rows)",
        data=None,
    ),
    AnalysisKind(
        "global_shap",
        "global SHAP importance",
        lambda policy: "shap" in policy.explanations.global_.methods,
        _always,
        run_global_shap,
        PrivacyRule.AGGREGATE,
        shards="the explained evaluation rows",
    ),
    AnalysisKind(
        "global_gradients",
        "global gradient attributions (gradient x input, integrated gradients)",
        lambda policy: "gradients" in policy.explanations.global_.methods,
        lambda data: isinstance(data.model, TorchAdapter),
        run_global_gradients,
        PrivacyRule.AGGREGATE,
        shards="blocks of 64 evaluation rows (every row)",
        why_not=_needs_torch,
    ),
    AnalysisKind(
        "permutation_importance",
        "permutation importance",
        lambda policy: "permutation" in policy.explanations.global_.methods,
        _always,
        run_permutation,
        PrivacyRule.AGGREGATE,
        shards="the repeats",
    ),
    AnalysisKind(
        "local_explanations",
        "audit cases (local explanations)",
        _always,
        _always,
        run_local,
        PrivacyRule.CASES,
        shards="the audit cases and checked rows",
    ),
    AnalysisKind(
        "reason_codes",
        "adverse-action reason codes",
        has_reasons,
        _always,
        run_reason_codes,
        PrivacyRule.REASON_CODES,
        shards="the declined evaluation rows",
    ),
    *(_check_kind(check) for check in CHECKS),
    AnalysisKind(
        "recourse",
        "recourse for declined audit cases",
        lambda policy: policy.decision is not None and policy.decision.recourse.enabled,
        lambda data: bool(data.model.classes),
        run_recourse,
        PrivacyRule.CASES,
        shards="none (each case's candidates batched on the model)",
        why_not=lambda data: (
            "recourse changes a declined applicant's decision: it applies to "
            "classifiers only, and this model is a regressor"
        ),
    ),
    AnalysisKind(
        "fair_lending",
        "fair lending (approval rates, adverse impact ratios, score gap)",
        lambda policy: policy.decision is not None and policy.decision.fair_lending is not None,
        _always,
        partial(run_fair_lending, publishable=publishable_groups),
        PrivacyRule.FAIR_LENDING,
        shards="the decomposed groups' rows missing from the global SHAP rows",
        judge=judge_fair_lending,
    ),
    AnalysisKind(
        "calibration",
        "calibration (ECE, Brier score, reliability diagram)",
        lambda policy: policy.decision is not None and policy.decision.calibration is not None,
        _always,
        run_calibration,
        PrivacyRule.CALIBRATION,
        shards="none (one pass over the scores)",
    ),
    AnalysisKind(
        "reason_stability",
        "C9 reason stability check",
        lambda policy: has_reasons(policy) and policy.checks.reason_stability.enabled,
        _always,
        run_reason_stability,
        PrivacyRule.CHECK,
        shards="reruns x checked declined rows; the declined rows for the exact estimator",
        judge=JUDGES["reason_stability"],
    ),
    AnalysisKind(
        "edits",
        "edits for deployment (pruning, int8 weights, a candidate): drift against the release",
        lambda policy: policy.edits is not None,
        lambda data: isinstance(data.model, TorchAdapter) and bool(data.model.classes),
        run_edits,
        PrivacyRule.AGGREGATE,
        shards="the global rows and audit cases, per edit",
        judge=judge_edits,
        why_not=lambda data: (
            "edits change the weights of a torch classifier (torchscript or torch_export); "
            f"model '{data.model.name}' is a "
            + ("classifier" if data.model.classes else "regressor")
            + f" of format {data.model.format}"
        ),
    ),
    AnalysisKind(
        "network",
        "network internals (layers, activations, per-layer gradients, channel maps)",
        lambda policy: wanted(policy.internals),
        lambda data: isinstance(data, ImageData) or unreadable(data) is None,
        lambda data: run_image_network(data) if isinstance(data, ImageData) else run_network(data),
        PrivacyRule.NETWORK,
        shards="none (activations in padded blocks; gradients one row at a time)",
        data=None,
        why_not=lambda data: unreadable(data) or "",
    ),
    AnalysisKind(
        "attention",
        "attention weights (model-internal; rank agreement with global SHAP)",
        attention.wanted,
        attention.applies,
        attention.run_attention,
        PrivacyRule.AGGREGATE,
        shards="blocks of 64 evaluation rows (every row)",
        why_not=attention.why_not,
    ),
    AnalysisKind(
        "training_history",
        "training history (learning curves, released epoch)",
        training_history.wanted,
        training_history.applies,
        training_history.run_training_history,
        PrivacyRule.AGGREGATE,
        shards="none (reads the training log)",
        why_not=training_history.why_not,
    ),
    AnalysisKind(
        "cohorts",
        "cohorts",
        lambda policy: bool(policy.privacy.cohorts),
        _always,
        run_cohorts,
        PrivacyRule.COHORTS,
        shards="none (reuses the global SHAP values)",
    ),
    AnalysisKind(
        "image_maps",
        "heat-maps (mean per class and cohort)",
        _always,
        _always,
        run_image_maps,
        PrivacyRule.MEAN_MAPS,
        shards="none (images and integration steps batched on the model)",
        data="images",
    ),
    AnalysisKind(
        "image_cases",
        "individual images with their heat-maps (policy opt-in)",
        lambda policy: policy.privacy.image_cases > 0,
        _always,
        run_image_cases,
        PrivacyRule.IMAGE_CASES,
        shards="none (reuses the heat-maps)",
        data="images",
    ),
    AnalysisKind(
        "localisation",
        "C8 localisation check",
        lambda policy: policy.checks.localisation.enabled,
        lambda data: bool(data.has_mask.any()),
        run_localisation,
        PrivacyRule.CHECK,
        shards="none (reuses the heat-maps)",
        judge=JUDGES["localisation"],
        data="images",
    ),
    _map_check("map_robustness", "C3 map robustness", run_map_robustness, "noisy copies"),
    _map_check("map_removal", "C4 pixel deletion and insertion", run_map_removal, "curves"),
    _map_check("map_randomisation", "C5 map randomisation", run_map_randomisation, "copies"),
)


def registry() -> dict[str, AnalysisKind]:
    """The kinds by name (read at call time, so tests can add a kind)."""
    return {kind.name: kind for kind in KINDS}


def kind_of(result: Result) -> AnalysisKind | None:
    """The kind a result belongs to; None when no kind of this engine made it."""
    name = result.check if isinstance(result, CheckResult) else result.kind
    return registry().get(name)


def planned(policy: Policy) -> list[AnalysisKind]:
    """The kinds the policy asks for (of its data's kind), in the order they run."""
    return [
        kind
        for kind in registry().values()
        if kind.data in (None, policy.data.kind) and kind.wanted(policy)
    ]


__all__ = ["KINDS", "AnalysisKind", "kind_of", "planned", "registry"]
