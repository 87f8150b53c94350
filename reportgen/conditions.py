"""Gates: compare check results with the policy's thresholds and say what the outcome means.

Conditions read result values only, never data. Each gate is one check for one method (or one
pair of methods) with PASS, WARN, FAIL or ERROR, what was measured, what the policy expects, and
one sentence telling a reader what to do with it. The random control is reported, never gated.
The gates of other kinds of result live beside this module (fair lending's adverse impact
ratios in :mod:`reportgen.conditions_credit`); :func:`evaluate_gates` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reportgen.policy.checks import ChecksSpec
from reportgen.results.document import CheckMetric, CheckResult, GateOutcome, Result

Verdict = tuple[str, str, str]  # status, actual, expected

LABEL = {
    "shap": "SHAP",
    "lime": "LIME",
    "ig": "integrated gradients",
    "gradcam": "Grad-CAM",
    "occlusion": "occlusion",
}


Judge = Callable[[Any, ChecksSpec], list[GateOutcome]]
"""A kind's gate rule: one of its results and the policy's check thresholds -> its gates.

A trust check's judge takes a :class:`CheckResult` and reads its thresholds from the checks. A
judge of another kind of result takes that result, which records the policy's thresholds it was
computed under (fair lending's AIR bands), so a stored document says what it was judged against.
"""


def evaluate_gates(
    results: Sequence[Result],
    checks: ChecksSpec,
    judge_for: Callable[[Result], Judge | None] | None = None,
) -> list[GateOutcome]:
    """Every gate of every result, in result order.

    ``judge_for`` gives a result's gate rule (the engine takes it from the kind registry, where
    a kind's judge may judge its own type of result); by default the trust checks are judged
    and nothing else. A check that could not be computed is one ERROR gate.
    """
    gates: list[GateOutcome] = []
    for result in results:
        judge = (judge_for or _check_judge)(result)
        if judge is None:
            continue
        if isinstance(result, CheckResult) and result.error is not None:
            gates.append(_gate(result, None, ("error", result.error, "the check to run")))
        else:
            gates += judge(result, checks)
    return gates


def _check_judge(result: Result) -> Judge | None:
    return JUDGES.get(result.check) if isinstance(result, CheckResult) else None


def _by_method(result: CheckResult) -> dict[str, dict[str, CheckMetric]]:
    table: dict[str, dict[str, CheckMetric]] = {}
    for m in result.metrics:
        if m.method != "random" and not m.method.endswith("~random"):
            table.setdefault(m.method, {})[m.metric] = m
    return table


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _completeness(result: CheckResult, c: ChecksSpec) -> list[GateOutcome]:
    out = []
    for method, m in _by_method(result).items():
        error = m["relative_error"]
        worst = max(error.values) if error.values else error.median
        if method == "shap":
            tol = c.completeness.shap_tolerance
            verdict = (
                "pass" if worst <= tol else "fail",
                f"largest relative error {worst:.1e}",
                f"every instance <= {tol:.0e}",
            )
        else:
            share_warn = sum(v <= c.completeness.ig_warn for v in error.values) / max(
                len(error.values), 1
            )
            passed = (error.pass_rate or 0.0) >= c.min_pass_rate
            status = "pass" if passed else ("warn" if share_warn >= c.min_pass_rate else "fail")
            verdict = (
                status,
                f"{_pct(error.pass_rate)} of instances within {c.completeness.ig_tolerance}, "
                f"median error {error.median:.3f}",
                f">= {_pct(c.min_pass_rate)} within {c.completeness.ig_tolerance}",
            )
        out.append(_gate(result, method, verdict))
    return out


def _rerun(result: CheckResult, c: ChecksSpec) -> list[GateOutcome]:
    spec, out = c.rerun_stability, []
    for method, m in _by_method(result).items():
        fa, sa, cv = m["fa_rerun"], m["sa_rerun"], m["cv_top_k"]
        conv = m.get("convergence_ratio")
        ok = (
            fa.median >= spec.fa_median_min
            and (fa.pass_rate or 0) >= c.min_pass_rate
            and sa.median >= spec.sign_agreement_min
            and cv.median <= spec.cv_max
            and (conv is None or (conv.pass_rate or 0) >= c.min_pass_rate)
        )
        status = "pass" if ok else ("warn" if fa.median >= spec.warn_fa_median_min else "fail")
        actual = (
            f"top-{result.k} overlap median {fa.median:.2f} ({_pct(fa.pass_rate)} of instances "
            f">= {spec.per_instance_fa_min}), sign agreement {sa.median:.2f}, CV {cv.median:.2f}"
        )
        if conv is not None:
            actual += f", {_pct(conv.pass_rate)} converged"
        expected = (
            f"overlap median >= {spec.fa_median_min} with >= {_pct(c.min_pass_rate)} of instances "
            f">= {spec.per_instance_fa_min}, sign agreement >= {spec.sign_agreement_min}, "
            f"CV <= {spec.cv_max}"
        )
        out.append(_gate(result, method, (status, actual, expected)))
    return out


def _perturbation(result: CheckResult, c: ChecksSpec) -> list[GateOutcome]:
    spec, out = c.perturbation, []
    for method, m in _by_method(result).items():
        fa, sens = m["fa_perturbed"].median, m["relative_max_sensitivity"].median
        if fa >= spec.fa_median_min and sens <= spec.sensitivity_max:
            status = "pass"
        elif fa < spec.warn_fa_min or sens > spec.fail_sensitivity_above:
            status = "fail"
        else:
            status = "warn"
        out.append(
            _gate(
                result,
                method,
                (
                    status,
                    f"top-{result.k} overlap median {fa:.2f}, relative max-sensitivity {sens:.2f}",
                    f"overlap >= {spec.fa_median_min} and sensitivity <= {spec.sensitivity_max}",
                ),
            )
        )
    return out


def _removal(result: CheckResult, c: ChecksSpec) -> list[GateOutcome]:
    """C4, tabular or on image maps: deletion and insertion against random orders, and the
    faithfulness correlation where the check measured it (tabular)."""
    spec, out = c.removal, []
    for method, m in _by_method(result).items():
        dele, ins = m["deletion_ratio"].median, m["insertion_ratio"].median
        faith = m["faithfulness_correlation"].median if "faithfulness_correlation" in m else None
        unfaithful = faith is not None and faith <= spec.faithfulness_fail_at_or_below
        faithful = faith is None or faith >= spec.faithfulness_min
        if dele > spec.warn_deletion_ratio_max or unfaithful:
            status = "fail"
        elif dele <= spec.deletion_ratio_max and ins >= spec.insertion_ratio_min and faithful:
            status = "pass"
        else:
            status = "warn"
        actual = f"deletion ratio {dele:.2f}, insertion ratio {ins:.2f}"
        expected = f"deletion <= {spec.deletion_ratio_max}, insertion >= {spec.insertion_ratio_min}"
        if faith is not None:
            actual += f", faithfulness {faith:.2f}"
            expected += f", faithfulness >= {spec.faithfulness_min}"
        out.append(_gate(result, method, (status, actual, expected)))
    return out


def _randomisation(result: CheckResult, c: ChecksSpec) -> list[GateOutcome]:
    spec, out = c.randomisation, []
    for method, m in _by_method(result).items():
        worst = max(m["signed_spearman"].median, m["normalised_spearman"].median)
        status = (
            "pass"
            if worst <= spec.spearman_max
            else ("warn" if worst <= spec.fail_above else "fail")
        )
        out.append(
            _gate(
                result,
                method,
                (
                    status,
                    f"signed Spearman {m['signed_spearman'].median:.2f}, input-normalised "
                    f"{m['normalised_spearman'].median:.2f}",
                    f"both <= {spec.spearman_max}",
                ),
            )
        )
    return out


def _agreement(result: CheckResult, c: ChecksSpec) -> list[GateOutcome]:
    spec, out = c.agreement, []
    for pair, m in _by_method(result).items():
        fa, sa = m["feature_agreement"], m["sign_agreement"]
        if fa.median >= spec.fa_min and sa.median >= spec.sa_min:
            status = "pass"
        else:
            status = "warn" if min(fa.median, sa.median) >= spec.warn_min else "fail"
        out.append(
            _gate(
                result,
                pair,
                (
                    status,
                    f"top-{result.k} feature agreement {fa.median:.2f}, "
                    f"sign agreement {sa.median:.2f} "
                    f"(chance {fa.chance:.2f} and {sa.chance:.2f})",
                    f"feature >= {spec.fa_min} and sign >= {spec.sa_min}",
                ),
            )
        )
    return out


def _global(result: CheckResult, c: ChecksSpec) -> list[GateOutcome]:
    spec = c.global_stability
    inclusion = [m for m in result.metrics if m.metric == "top_k_inclusion_shap"]
    halfwidth = [m for m in result.metrics if m.metric == "rel_ci_halfwidth_shap"]
    low = min(m.median for m in inclusion)
    wide = max(m.median for m in halfwidth)
    status = (
        "pass"
        if low >= spec.inclusion_min and wide <= spec.rel_ci_halfwidth_max
        else ("warn" if low >= spec.warn_min else "fail")
    )
    return [
        _gate(
            result,
            None,
            (
                status,
                f"lowest top-{result.k} inclusion {_pct(low)}, "
                f"widest relative CI half-width {_pct(wide)}",
                f"inclusion >= {_pct(spec.inclusion_min)} "
                f"and half-width <= {_pct(spec.rel_ci_halfwidth_max)}",
            ),
        )
    ]


def _localisation(result: CheckResult, c: ChecksSpec) -> list[GateOutcome]:
    """C8 on lift over chance: a hit rate, and relevance mass against |G|/N (CHECKS.md 6)."""
    spec, out = c.localisation, []
    for method, m in _by_method(result).items():
        hits, mass, auc = m["pointing_game"].median, m["relevance_mass"].median, m["auc"].median
        chance = m["relevance_mass"].chance or 0.0
        mass_needed = max(spec.mass_min, spec.mass_chance_multiple * chance)
        if hits < spec.warn_min or mass < 2 * chance:
            status = "fail"
        elif hits >= spec.pointing_game_min and mass >= mass_needed and auc >= spec.auc_min:
            status = "pass"
        else:
            status = "warn"
        out.append(
            _gate(
                result,
                method,
                (
                    status,
                    f"pointing game {_pct(hits)}, relevance mass {mass:.2f} "
                    f"(chance {chance:.3f}), AUC {auc:.2f}",
                    f"pointing game >= {_pct(spec.pointing_game_min)}, mass >= "
                    f"{mass_needed:.2f}, AUC >= {spec.auc_min}",
                ),
            )
        )
    return out


def _map_robustness(result: CheckResult, c: ChecksSpec) -> list[GateOutcome]:
    """C3 on maps: the top pixels' agreement under noise, like FA_pert@k."""
    spec, out = c.perturbation, []
    for method, m in _by_method(result).items():
        agreement = m["top_k_agreement"].median
        status = (
            "pass"
            if agreement >= spec.fa_median_min
            else ("warn" if agreement >= spec.warn_fa_min else "fail")
        )
        expected = f"median top-pixel agreement >= {spec.fa_median_min}"
        out.append(_gate(result, method, (status, f"median {agreement:.2f}", expected)))
    return out


def _map_randomisation(result: CheckResult, c: ChecksSpec) -> list[GateOutcome]:
    """C5 on maps: signed rank correlation with the maps of the fully randomised model."""
    spec, out = c.randomisation, []
    for method, m in _by_method(result).items():
        rho = m["signed_spearman"].median
        status = (
            "pass" if rho <= spec.spearman_max else ("warn" if rho <= spec.fail_above else "fail")
        )
        ssim = m["ssim"].median
        actual = f"Spearman {rho:.2f} (SSIM {ssim:.2f})"
        out.append(_gate(result, method, (status, actual, f"Spearman <= {spec.spearman_max}")))
    return out


def _reason_stability(result: CheckResult, c: ChecksSpec) -> list[GateOutcome]:
    """C9: the share of checked declined applicants whose reason set never changed."""
    spec = c.reason_stability
    shares = {m.metric: m.median for m in result.metrics}
    share = shares["reason_set_unchanged"]
    if share >= spec.min_share:
        status = "pass"
    else:
        status = "warn" if share >= spec.warn_min_share else "fail"
    parts = [
        f"{_pct(shares[name])} {words}"
        for name, words in (
            ("reason_set_unchanged_reruns", "across reruns"),
            ("reason_set_unchanged_estimators", "with the second estimator"),
        )
        if name in shares
    ]
    actual = (
        f"{_pct(share)} of {result.instances} declined applicants keep their reasons "
        f"({', '.join(parts)})"
    )
    expected = f">= {_pct(spec.min_share)} (warn down to {_pct(spec.warn_min_share)})"
    return [_gate(result, "shap", (status, actual, expected))]


JUDGES: dict[str, Judge] = {
    "completeness": _completeness,
    "rerun_stability": _rerun,
    "perturbation_robustness": _perturbation,
    "removal_faithfulness": _removal,
    "randomisation_sanity": _randomisation,
    "method_agreement": _agreement,
    "global_stability": _global,
    "localisation": _localisation,
    "map_robustness": _map_robustness,
    "map_removal": _removal,
    "map_randomisation": _map_randomisation,
    "reason_stability": _reason_stability,
}


def _gate(result: CheckResult, method: str | None, verdict: Verdict) -> GateOutcome:
    status, actual, expected = verdict
    return GateOutcome(
        code=result.code,
        check=result.check,
        model=result.model,
        method=method,
        status=status,  # type: ignore[arg-type]  # one of the four literals by construction
        actual=actual,
        expected=expected,
        meaning=meaning(result, method, status),
    )


def _who(method: str | None) -> str:
    if method is None:
        return "The global importance ranking"
    if "~" in method:
        a, b = method.split("~")
        return f"{LABEL.get(a, a)} and {LABEL.get(b, b)}"
    return LABEL.get(method, method)


def meaning(result: CheckResult, method: str | None, status: str) -> str:
    """One sentence for a reader: what this outcome means for how to read the report."""
    who = _who(method)
    if status == "error":  # error gates carry no method: name the explanations, not "global"
        subject = who if method is not None else "the explanations"
        return f"{result.code} could not be computed, so this aspect of {subject} is unverified."
    good = status == "pass"
    texts = {
        "completeness": (
            f"{who} attributions add up to the prediction they explain.",
            f"{who} attributions do not add up to the prediction: the method is misused "
            "or misconfigured; do not rely on its numbers.",
        ),
        "rerun_stability": (
            f"{who} gives the same top reasons when rerun with other seeds.",
            f"{who}'s top reasons change between reruns: rely only on the reasons a "
            "case's warning marks as stable.",
        ),
        "perturbation_robustness": (
            f"{who} explanations hold under tiny input changes.",
            f"{who} explanations change under tiny, class-preserving input "
            "changes: treat case-level reasons as approximate.",
        ),
        "removal_faithfulness": (
            f"Removing the features {who} ranks highest moves the prediction "
            "more than random removals: its ranking reflects the model.",
            f"{who}'s ranking moves the prediction little more than a random "
            "ranking: do not read it as what drives the model.",
        ),
        "randomisation_sanity": (
            f"{who} depends on the model's learned weights.",
            f"{who} barely changes when the model's weights are randomised: its "
            "maps reflect the input more than the model.",
        ),
        "method_agreement": (
            f"{who} agree on the top reasons and their direction.",
            f"{who} disagree on the top reasons: cite only reasons both give with "
            "the same direction.",
        ),
        "localisation": (
            f"{who} maps point at the annotated finding far more than chance: the model "
            "looks where the finding is.",
            f"{who} maps do not point at the annotated finding: either the maps are "
            "unreliable or the model decides from something else in the image (a shortcut "
            "such as a marker, a ruler or the scanner); do not rely on its decisions until a "
            "clinician has reviewed this.",
        ),
        "map_robustness": (
            f"{who} maps keep their strongest pixels under tiny, invisible noise.",
            f"{who} maps move under tiny, invisible noise: read individual maps as "
            "approximate and rely on the mean maps.",
        ),
        "map_removal": (
            f"Removing the pixels {who} marks first changes the model's output more than "
            "removing random pixels: the maps reflect what the model uses.",
            f"Removing the pixels {who} marks first changes the output little more than "
            "random pixels: do not read the maps as what drives the model.",
        ),
        "map_randomisation": (
            f"{who} maps change when the model's weights are randomised: they depend on "
            "what the model learned.",
            f"{who} maps barely change when the model's weights are randomised: they "
            "reflect the image more than the model; do not rely on them.",
        ),
        "reason_stability": (
            "Declined applicants get the same principal reasons from reruns with other seeds "
            "and from a second, exact estimator.",
            "Some declined applicants' principal reasons change with the seed or the "
            "estimator: state the reasons the trust section lists as unstable with care, and "
            "review them before they go on notices.",
        ),
        "global_stability": (
            f"{who} is stable when the evaluation rows are resampled.",
            f"{who} is not stable under resampling of the rows: only the features "
            "marked stable may be cited as the model's main drivers.",
        ),
    }
    return texts[result.check][0 if good else 1]
