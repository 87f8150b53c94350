"""C2 rerun stability and C3 perturbation robustness of local explanations."""

from __future__ import annotations

import numpy as np

from reportgen.analyses.checks.common import check_k, metric, reruns
from reportgen.analyses.checks.metrics import (
    chance_feature_agreement,
    chance_sign_agreement,
    convergence_ratio,
    feature_agreement,
    rerun_stability,
    top_k,
)
from reportgen.analyses.context import SALT_OF_METHOD, SALT_PERTURB, Measure, ModelData
from reportgen.analyses.work import unit_rng
from reportgen.results.document import CaseCaveat, CheckMetric, CheckResult


def run_rerun_stability(data: ModelData) -> CheckResult:
    """Explain the check sample again with other seeds; compare top-k sets, signs and spread."""
    spec = data.checks.rerun_stability
    k, d = check_k(data), data.evaluation.shape[1]
    rows = data.check_rows
    methods = [m for m, e in data.explainers.items() if e.stochastic] + ["random"]
    metrics: list[CheckMetric] = []
    caveats: list[CaseCaveat] = []
    with Measure(data.model) as measure:
        for method in methods:
            first = data.attribution(method)
            runs = np.concatenate([first.values[None], reruns(data, method, rows, spec.reruns - 1)])
            stability = rerun_stability(runs, k)
            metrics += [
                metric(
                    method,
                    "fa_rerun",
                    stability.fa,
                    threshold=spec.per_instance_fa_min,
                    chance=chance_feature_agreement(k, d),
                ),
                metric(
                    method,
                    "sa_rerun",
                    stability.sa,
                    threshold=spec.sign_agreement_min,
                    chance=chance_sign_agreement(k, d),
                ),
                metric(
                    method, "cv_top_k", stability.cv, threshold=spec.cv_max, higher_is_better=False
                ),
            ]
            if first.standard_error is not None:
                ratio = convergence_ratio(first.values, first.standard_error)
                metrics.append(
                    metric(
                        method,
                        "convergence_ratio",
                        ratio,
                        threshold=spec.shap_convergence_max,
                        higher_is_better=False,
                    )
                )
            if method != "random":
                caveats += _unstable_cases(data, method, runs, spec.per_instance_fa_min)
    return CheckResult(
        check="rerun_stability",
        code="C2",
        model=data.model.name,
        instances=len(rows),
        k=k,
        metrics=metrics,
        caveats=caveats,
        cost=measure.cost,
        notes=[f"{spec.reruns} runs per instance with different seeds."],
    )


def _unstable_cases(
    data: ModelData, method: str, runs: np.ndarray, keep: float
) -> list[CaseCaveat]:
    """Displayed cases whose shown top features drop out of the top k in too many reruns."""
    k = check_k(data)
    caveats = []
    for i, row in enumerate(data.display_rows):
        shown = top_k(runs[0, i], k)
        in_top = np.mean([np.isin(shown, top_k(run[i], k)) for run in runs[1:]], axis=0)
        names = data.model.feature_names
        if np.any(in_top < keep):
            caveats.append(
                CaseCaveat(
                    case_id=str(data.ids[row]),
                    method=method,
                    reliable=[names[j] for j, f in zip(shown, in_top, strict=True) if f >= keep],
                    unreliable=[names[j] for j, f in zip(shown, in_top, strict=True) if f < keep],
                )
            )
    return caveats


def run_perturbation(data: ModelData) -> CheckResult:
    """Re-explain slightly perturbed, class-preserving copies of each instance."""
    spec = data.checks.perturbation
    k = check_k(data)
    rows = data.check_rows[: spec.instances]
    with Measure(data.model) as measure:
        copies, owner, draw = _perturbed(data, rows)
        metrics: list[CheckMetric] = []
        for method in [*data.explainers, "random"]:
            original = data.attribution(method).values[: len(rows)]
            # each copy is explained with its instance's own seed, so the check measures the
            # input change and not the explainer's sampling noise (CHECKS.md section 2); the
            # random control draws anew, as an explanation unrelated to its input would
            seeds = (
                data.seeds(SALT_PERTURB, rows[owner], draw, np.ones_like(draw))
                if method == "random"
                else data.seeds(SALT_OF_METHOD[method], rows[owner])
            )
            moved = data.explain(method, copies, data.targets(rows)[owner], seeds).values
            fa = feature_agreement(original[owner], moved, k)
            sens = np.linalg.norm(moved - original[owner], axis=1) / np.maximum(
                np.linalg.norm(original[owner], axis=1), 1e-12
            )
            per = [p for i in range(len(rows)) if len(p := np.flatnonzero(owner == i))]
            metrics += [
                metric(
                    method,
                    "fa_perturbed",
                    np.array([fa[p].mean() for p in per]),
                    threshold=spec.fa_median_min,
                ),
                metric(
                    method,
                    "fa_perturbed_worst",
                    np.array([fa[p].min() for p in per]),
                    threshold=spec.warn_fa_min,
                ),
                metric(
                    method,
                    "relative_max_sensitivity",
                    np.array([sens[p].max() for p in per]),
                    threshold=spec.sensitivity_max,
                    higher_is_better=False,
                ),
            ]
    kept = len(np.unique(owner))
    notes = [
        f"{spec.draws} draws per instance of N(0, ({spec.sigma_sd} sd)^2) noise on numeric "
        "features; draws that change the predicted class are discarded."
    ]
    if kept < len(rows):
        notes.append(
            f"{len(rows) - kept} instance(s) had no class-preserving draw and are left out."
        )
    return CheckResult(
        check="perturbation_robustness",
        code="C3",
        model=data.model.name,
        instances=kept,
        k=k,
        metrics=metrics,
        cost=measure.cost,
        notes=notes,
    )


def _perturbed(data: ModelData, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class-preserving noisy copies of ``rows`` and, for each copy, the index of its row and
    the number of its draw."""
    spec = data.checks.perturbation
    numeric = np.array([f.kind == "numeric" for f in data.model.codec.features])
    sd = data.reference.std(axis=0) * numeric
    owner = np.repeat(np.arange(len(rows)), spec.draws)
    draw = np.tile(np.arange(spec.draws), len(rows))
    noise = np.stack(
        [
            unit_rng(data.seed, SALT_PERTURB, int(rows[i]), int(j)).normal(size=len(sd))
            for i, j in zip(owner, draw, strict=True)
        ]
    )
    copies = data.evaluation[rows][owner] + noise * spec.sigma_sd * sd
    if data.model.classes:
        kept = data.model.predict_codes(copies).argmax(axis=1) == data.targets(rows)[owner]
        copies, owner, draw = copies[kept], owner[kept], draw[kept]
    return copies, owner, draw
