"""Trust checks C1-C7 (CHECKS.md section 9): each takes a model's data and returns a CheckResult.

A check that cannot be computed returns a CheckResult carrying the error, so the report still
publishes and its gate reads ERROR instead of the run failing silently or crashing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reportgen.analyses.checks.agreement import run_agreement
from reportgen.analyses.checks.common import check_k, k_note
from reportgen.analyses.checks.completeness import APPLIES_TO, run_completeness
from reportgen.analyses.checks.global_stability import run_global_stability
from reportgen.analyses.checks.randomisation import run_randomisation
from reportgen.analyses.checks.removal import run_removal
from reportgen.analyses.checks.stability import run_perturbation, run_rerun_stability
from reportgen.analyses.context import ModelData
from reportgen.errors import ReportgenError
from reportgen.policy.checks import ChecksSpec
from reportgen.results.document import CheckName, CheckResult, Cost


def not_applicable(_: object) -> str:
    return "it does not apply to this model under this policy"


def needs_gradients(model: str, fmt: str) -> str:
    """Why gradient methods skip a model that is not a torch network."""
    return (
        "it reads gradients of the model, which reportgen takes from torch networks only "
        f"(torchscript, torch_export); model '{model}' is {fmt}"
    )


@dataclass(frozen=True)
class Check:
    name: CheckName
    code: str
    label: str
    run: Callable[[ModelData], CheckResult]
    enabled: Callable[[ChecksSpec], bool]
    applies: Callable[[ModelData], bool]
    shards: str
    """What the check's own row-sharded work is split by, in words."""
    why_not: Callable[[ModelData], str] = not_applicable
    """Why the check does not apply to a model, in words (the report states it)."""


CHECKS = (
    Check(
        "completeness",
        "C1",
        "completeness",
        run_completeness,
        lambda c: c.completeness.enabled,
        lambda d: any(m in d.explainers for m in APPLIES_TO),
        "none (reuses the check sample's attributions)",
        lambda d: "it checks SHAP and integrated gradients, and neither ran on this model",
    ),
    Check(
        "rerun_stability",
        "C2",
        "rerun stability",
        run_rerun_stability,
        lambda c: c.rerun_stability.enabled,
        lambda d: any(e.stochastic for e in d.explainers.values()),
        "reruns x checked rows",
        lambda d: "every explanation method in use gives the same answer on every rerun",
    ),
    Check(
        "perturbation_robustness",
        "C3",
        "perturbation robustness",
        run_perturbation,
        lambda c: c.perturbation.enabled,
        lambda d: bool(d.explainers),
        "perturbed copies of the checked rows",
    ),
    Check(
        "removal_faithfulness",
        "C4",
        "removal faithfulness",
        run_removal,
        lambda c: c.removal.enabled,
        lambda d: bool(d.explainers),
        "the checked rows",
    ),
    Check(
        "randomisation_sanity",
        "C5",
        "randomisation sanity",
        run_randomisation,
        lambda c: c.randomisation.enabled,
        lambda d: any(e.gradient for e in d.explainers.values()),
        "none (integrated gradients on a few rows)",
        lambda d: needs_gradients(d.model.name, d.model.format),
    ),
    Check(
        "method_agreement",
        "C6",
        "method agreement",
        run_agreement,
        lambda c: c.agreement.enabled,
        lambda d: len(d.explainers) >= 2,
        "none (reuses the check sample's attributions)",
        lambda d: f"it compares two explanation methods and only {sorted(d.explainers)} ran",
    ),
    Check(
        "global_stability",
        "C7",
        "global stability",
        run_global_stability,
        lambda c: c.global_stability.enabled,
        lambda d: "shap" in d.settings.global_.methods,
        "bootstrap replicates",
    ),
)


def planned_checks(data: ModelData) -> list[Check]:
    return [c for c in CHECKS if c.enabled(data.checks) and c.applies(data)]


def run_check(check: Check, data: ModelData) -> CheckResult:
    """Run one check; a failure inside it becomes an ERROR result naming the cause.

    A result whose top-k is lower than the policy's (:func:`check_k`) says so in its first note.
    """
    try:
        result = check.run(data)
    except (ReportgenError, ValueError, RuntimeError, ArithmeticError, IndexError) as exc:
        result = CheckResult(
            check=check.name,
            code=check.code,
            model=data.model.name,
            instances=0,
            k=check_k(data),
            metrics=[],
            error=f"{type(exc).__name__}: {exc}",
            cost=Cost(model_rows=0, model_calls=0, wall_seconds=0.0, model_seconds=0.0),
        )
    note = k_note(data)
    return result if note is None else result.model_copy(update={"notes": [note, *result.notes]})


__all__ = ["CHECKS", "Check", "planned_checks", "run_check"]
