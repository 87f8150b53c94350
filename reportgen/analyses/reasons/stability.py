"""Check C9: do declined applicants keep their principal reasons when the estimate is redone?

For a seeded sample of declined evaluation applicants, the set of principal reasons (up to
``max_reasons`` families, order ignored) is recomputed

* with other seeds: reruns of the sampling SHAP estimator (skipped when SHAP is exact, which
  gives the same values every time), and
* with a second estimator: exact Shapley values of the game whose players are the families
  (:mod:`reportgen.analyses.reasons.family_shapley`), which has no sampling error and splits
  any interaction between families differently.

An applicant is stable when every set equals the one the report and `reportgen reasons` state.
The gated figure is the share of stable applicants; the notes name the reasons that moved in or
out of an applicant's set, so a reader knows which reasons to state with care.
"""

from __future__ import annotations

import numpy as np

from reportgen.analyses.context import SALT_REASON_CHECK, SALT_REASON_RERUN, Measure, ModelData
from reportgen.analyses.reasons.codes import explain_reasons
from reportgen.analyses.reasons.families import rank_reasons, reason_sets
from reportgen.analyses.reasons.family_shapley import family_shapley_task
from reportgen.analyses.reasons.run import Primary, primary_reasons
from reportgen.errors import AnalysisError, ReportgenError
from reportgen.results.document import CheckMetric, CheckResult, Cost

CODE = "C9"
SECOND = "family_shapley"
"""The second estimator's name in the check's metrics (``shap~family_shapley``)."""

Sets = list[frozenset[int]]


def run_reason_stability(data: ModelData) -> CheckResult:
    """C9 on ``data``'s declined evaluation applicants; a failure becomes an ERROR result."""
    decision = data.policy.decision
    k = decision.reasons.max_reasons if decision is not None and decision.reasons else 0
    try:
        with Measure(data.model) as measure:
            metrics, notes, instances = _compare(data)
    except (ReportgenError, ValueError, RuntimeError, ArithmeticError, IndexError) as exc:
        return CheckResult(
            check="reason_stability",
            code=CODE,
            model=data.model.name,
            instances=0,
            k=k,
            metrics=[],
            error=str(exc) if isinstance(exc, ReportgenError) else f"{type(exc).__name__}: {exc}",
            cost=Cost(model_rows=0, model_calls=0, wall_seconds=0.0, model_seconds=0.0),
        )
    return CheckResult(
        check="reason_stability",
        code=CODE,
        model=data.model.name,
        instances=instances,
        k=k,
        metrics=metrics,
        notes=notes,
        cost=measure.cost,
    )


def _compare(data: ModelData) -> tuple[list[CheckMetric], list[str], int]:
    primary = primary_reasons(data)
    if len(primary.declined) == 0:
        raise AnalysisError(
            "no evaluation applicant is declined at the cutoff, so there are no reasons to check"
        )
    spec = data.checks.reason_stability
    picked = np.sort(
        data.rng(SALT_REASON_CHECK).choice(
            len(primary.declined), size=min(spec.instances, len(primary.declined)), replace=False
        )
    )
    stated = reason_sets(primary.reasons.ranked[picked])
    rows = primary.declined[picked]
    d = data.evaluation.shape[1]
    sampled = primary.setup.chosen_estimator(d) == "permutation"
    reruns = _reruns(data, primary, rows, spec.reruns) if sampled else []
    second = _second_estimator(data, primary, rows)
    metrics = _metrics(stated, reruns, second)
    notes = _notes(data, primary, stated, [*reruns, second], spec.reruns if sampled else 0)
    return metrics, notes, len(rows)


def _reruns(data: ModelData, primary: Primary, rows: np.ndarray, reruns: int) -> list[Sets]:
    """The reason sets of ``rows`` from each rerun of the sampling estimator with other seeds."""
    repeat = np.repeat(np.arange(1, reruns + 1), len(rows))
    tiled = np.tile(rows, reruns)
    seeds = data.seeds(SALT_REASON_RERUN, repeat, tiled)
    found = explain_reasons(data.work, primary.setup, data.evaluation[tiled], seeds)
    sets = reason_sets(found.ranked)
    return [sets[r * len(rows) : (r + 1) * len(rows)] for r in range(reruns)]


def _second_estimator(data: ModelData, primary: Primary, rows: np.ndarray) -> Sets:
    """The reason sets of ``rows`` from exact Shapley values over the families."""
    setup = primary.setup
    shared = {
        "background": setup.reference.background,
        "groups": setup.families.players(),
        "output": setup.adverse,
    }
    values = data.work.map(family_shapley_task, shared, {"codes": data.evaluation[rows]})["values"]
    totals = values[:, : len(setup.families.names)]  # an excluded-proxies player is no reason
    return reason_sets(rank_reasons(totals, setup.max_reasons))


def _rate(method: str, name: str, same: np.ndarray) -> CheckMetric:
    """The share of applicants whose sets agree (a rate: the metric's value), each one's 0/1."""
    share, values = float(np.mean(same)), [float(v) for v in same]
    return CheckMetric(method=method, metric=name, median=share, values=values)


def _metrics(stated: Sets, reruns: list[Sets], second: Sets) -> list[CheckMetric]:
    n = len(stated)
    same_reruns = np.array([all(run[i] == stated[i] for run in reruns) for i in range(n)])
    same_second = np.array([second[i] == stated[i] for i in range(n)])
    metrics = [_rate("shap", "reason_set_unchanged", same_reruns & same_second)]
    if reruns:
        metrics.append(_rate("shap", "reason_set_unchanged_reruns", same_reruns))
    metrics.append(_rate(f"shap~{SECOND}", "reason_set_unchanged_estimators", same_second))
    return metrics


def _notes(
    data: ModelData, primary: Primary, stated: Sets, others: list[Sets], reruns: int
) -> list[str]:
    setup = primary.setup
    names = setup.families.names
    n, declined = len(stated), len(primary.declined)
    d = data.evaluation.shape[1]
    sample = "all of them" if n == declined else "a seeded sample"
    notes = [
        f"Checked {n} of the {declined} declined evaluation applicants ({sample}); each one's "
        f"principal reasons (up to {setup.max_reasons}) are compared as a set, order ignored.",
    ]
    if reruns:
        notes.append(
            f"Reruns: {reruns} with other seeds of the permutation estimator "
            f"({setup.permutations} antithetic order{'s' * (setup.permutations != 1)}, "
            f"{setup.evals_per_row(d)} evaluations per applicant)."
        )
    else:
        notes.append("SHAP is exact for this model, so reruns give the same values: none run.")
    players = len(setup.families.players())
    notes.append(
        f"Second estimator: exact Shapley values of the game whose players are the "
        f"{len(names)} reason families ({2**players} coalitions x "
        f"{len(setup.reference.background)} reference rows per applicant); it equals the summed "
        "SHAP values when the model has no interaction across families."
    )
    moved = _moved(stated, others, len(names))
    if not moved.any():
        notes.append("No reason moved in or out of any checked applicant's set.")
    else:
        listed = ", ".join(
            f"{names[f]} ({moved[f]} of {n})" for f in np.argsort(-moved, kind="stable") if moved[f]
        )
        notes.append(
            f"Unstable reasons, with the applicants whose set they moved in or out of: {listed}."
        )
    return notes


def _moved(stated: Sets, others: list[Sets], families: int) -> np.ndarray:
    """Per family: in how many checked applicants some set has it and another does not."""
    moved = np.zeros(families, dtype=np.int64)
    for i, mine in enumerate(stated):
        runs = [mine, *(other[i] for other in others)]
        union, common = frozenset().union(*runs), frozenset.intersection(*runs)
        for f in union - common:
            moved[f] += 1
    return moved
