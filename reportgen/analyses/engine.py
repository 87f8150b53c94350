"""Run the policy's analyses for every model, in a fixed order, reporting progress."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from reportgen.analyses.checks import planned_checks, run_check
from reportgen.analyses.cohorts import RawCohorts, cohort_table
from reportgen.analyses.context import Measure, ModelData
from reportgen.analyses.global_importance import run_global_shap, run_permutation
from reportgen.analyses.local import run_local
from reportgen.analyses.performance import run_performance
from reportgen.errors import AnalysisError, ReportgenError
from reportgen.inputs.resolve import ResolvedInputs
from reportgen.policy.privacy import CohortSpec
from reportgen.policy.schema import Policy
from reportgen.results.document import Cost, Result

Progress = Callable[[str], None]

_ANALYSES: list[tuple[str, str, Callable[[ModelData], Result]]] = [
    ("performance", "model performance", run_performance),
    ("shap", "global SHAP importance", run_global_shap),
    ("permutation", "permutation importance", run_permutation),
    ("local", "audit cases (local explanations)", run_local),
]


def planned(policy: Policy) -> list[tuple[str, str, Callable[[ModelData], Result]]]:
    """The analyses the policy asks for, in report order."""
    wanted = {"performance", "local", *policy.explanations.global_.methods}
    return [entry for entry in _ANALYSES if entry[0] in wanted]


@dataclass(frozen=True)
class ModelCohorts:
    """Raw cohort statistics of one model and family: for the privacy gate only, never published."""

    model: str
    spec: CohortSpec
    raw: RawCohorts
    cost: Cost


@dataclass(frozen=True)
class Analysed:
    """Everything the analyses computed: results, and raw cohorts awaiting the privacy gate."""

    results: list[Result]
    cohorts: list[ModelCohorts] = field(default_factory=list)


def run_analyses(inputs: ResolvedInputs, *, progress: Progress | None = None) -> Analysed:
    """Every planned analysis, trust check and cohort table, for every model.

    Raises:
        AnalysisError: an analysis failed; the message names the model and the analysis. (A trust
            check that fails to compute becomes an ERROR result instead.)
    """
    say = progress or (lambda _message: None)
    results: list[Result] = []
    cohorts: list[ModelCohorts] = []
    for resolved in inputs.models:
        data = ModelData.build(inputs, resolved)
        steps = [(label, run) for _, label, run in planned(inputs.loaded.policy)]
        steps += [
            (f"{c.code} {c.label} check", partial(run_check, c)) for c in planned_checks(data)
        ]
        for number, (label, run) in enumerate(steps, start=1):
            where = f"[{resolved.spec.name} {number}/{len(steps)}] {label}"
            say(f"{where} ...")
            start = time.perf_counter()
            try:
                results.append(run(data))
            except ReportgenError:
                raise
            except (ValueError, RuntimeError, FloatingPointError, IndexError) as exc:
                raise AnalysisError(
                    f"model '{resolved.spec.name}': {label} failed: {type(exc).__name__}: {exc}"
                ) from exc
            say(f"{where} done in {time.perf_counter() - start:.1f} s")
        for spec in inputs.loaded.policy.privacy.cohorts:
            say(f"[{resolved.spec.name}] cohorts by {spec.name} ...")
            with Measure(data.model) as measure:
                raw = cohort_table(data, inputs.evaluation.frame, spec)
            cohorts.append(ModelCohorts(resolved.spec.name, spec, raw, measure.cost))
    return Analysed(results, cohorts)
