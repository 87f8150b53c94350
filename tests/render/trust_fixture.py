"""The fixture document with explanation trust checks: every gate status, caveats, an error.

Built on :func:`render_fixture.make_document`. Gates are listed out of code order on purpose;
one caveat's feature name carries ``<b>`` to prove the report escapes it.
"""

from __future__ import annotations

import random

from render_fixture import MODEL, make_document

from reportgen.results.document import (
    CaseCaveat,
    CheckMetric,
    CheckName,
    CheckResult,
    Cost,
    GateOutcome,
    ResultDocument,
)

BOLD = "<b>"
INSTANCES = 40
K = 3
CHANCE = 0.5  # k / d = 3 / 6
RELIABLE_GLOBAL = ["income", "age"]
STATUS = {  # (code, method) -> status, in no particular order
    ("C7", "shap"): "fail",
    ("C2", "lime"): "warn",
    ("C1", "shap"): "pass",
    ("C6", "shap~lime"): "fail",
    ("C3", "lime"): "pass",
    ("C2", "shap"): "pass",
    ("C4", "shap"): "error",
    ("C3", "shap"): "pass",
}
CHECKS: dict[str, CheckName] = {
    "C1": "completeness",
    "C2": "rerun_stability",
    "C3": "perturbation_robustness",
    "C4": "removal_faithfulness",
    "C6": "method_agreement",
    "C7": "global_stability",
}


def _values(
    seed: int, centre: float, spread: float, low: float = 0.0, high: float = 1.0
) -> list[float]:
    draw = random.Random(seed)
    return [round(min(high, max(low, draw.gauss(centre, spread))), 4) for _ in range(INSTANCES)]


def _tiny(seed: int) -> list[float]:
    draw = random.Random(seed)
    return [abs(draw.gauss(0.0, 2e-16)) for _ in range(INSTANCES)]


def _metric(
    method: str, name: str, values: list[float], *, higher: bool = True, chance: float | None = None
) -> CheckMetric:
    ordered = sorted(values)
    tail = ordered[len(ordered) // 10] if higher else ordered[-1 - len(ordered) // 10]
    return CheckMetric(
        method=method,
        metric=name,
        median=ordered[len(ordered) // 2],
        tail=tail,
        pass_rate=sum(v >= 0.8 if higher else v <= 0.1 for v in values) / len(values),
        chance=chance,
        values=values,
    )


def _metrics() -> dict[str, list[CheckMetric]]:
    return {
        "C1": [_metric("shap", "relative_error", _tiny(1), higher=False)],
        "C2": [
            _metric("lime", "cv_top_k", _values(2, 0.14, 0.05), higher=False),
            _metric("shap", "fa_rerun", [1.0] * INSTANCES, chance=CHANCE),
            _metric("lime", "fa_rerun", _values(3, 0.82, 0.1), chance=CHANCE),
            _metric("random", "fa_rerun", _values(4, 0.5, 0.15), chance=CHANCE),
            _metric("lime", "sa_rerun", _values(5, 0.9, 0.08)),
        ],
        "C3": [
            _metric("random", "fa_perturbed", _values(6, 0.5, 0.2), chance=CHANCE),
            _metric("shap", "fa_perturbed", _values(7, 0.93, 0.06), chance=CHANCE),
            _metric("lime", "fa_perturbed", _values(8, 0.86, 0.09), chance=CHANCE),
            _metric("shap", "relative_max_sensitivity", _values(9, 0.2, 0.1, 0, 3), higher=False),
            _metric(
                "random", "relative_max_sensitivity", _values(10, 1.8, 0.2, 0, 3), higher=False
            ),
        ],
        "C4": [],
        "C6": [
            _metric("shap~random", "feature_agreement", _values(11, 0.5, 0.2), chance=CHANCE),
            _metric("shap~lime", "feature_agreement", _values(12, 0.45, 0.2), chance=CHANCE),
            _metric("shap~lime", "sign_agreement", _values(13, 0.4, 0.2)),
            CheckMetric(method="shap~lime", metric="rank_correlation", median=0.31),
        ],
        "C7": [
            CheckMetric(method="shap", metric="top_k_inclusion_shap", median=0.54, tail=0.41),
            CheckMetric(method="shap", metric="rel_ci_halfwidth_shap", median=0.12, tail=0.19),
        ],
    }


def _caveats() -> dict[str, list[CaseCaveat]]:
    return {
        "C2": [
            CaseCaveat(
                case_id="case-7f3a",
                method="lime",
                reliable=["income"],
                unreliable=["debt_ratio", f"age {BOLD}"],
            ),
            CaseCaveat(
                case_id="case-b921", method="shap", reliable=["income"], unreliable=["purpose"]
            ),
            CaseCaveat(case_id="case-gone", method="lime", reliable=[], unreliable=["age"]),
        ],
        "C3": [
            CaseCaveat(case_id="case-7f3a", method="lime", reliable=["income"], unreliable=["age"])
        ],
        "C6": [
            CaseCaveat(
                case_id="case-04c2",
                method="shap~lime",
                reliable=["debt_ratio", "age"],
                unreliable=["purpose"],
            )
        ],
    }


def _check(code: str) -> CheckResult:
    check = CHECKS[code]
    return CheckResult(
        check=check,
        code=code,
        model=MODEL,
        instances=2000 if code == "C7" else INSTANCES,
        k=K,
        metrics=_metrics()[code],
        reliable_features=RELIABLE_GLOBAL if code == "C7" else None,
        caveats=_caveats().get(code, []),
        notes=["KernelSHAP convergence is checked against exact SHAP on 10 rows."]
        if code == "C2"
        else [],
        error="the background-mean substrate predicts 0.97, far from the base rate 0.27"
        if code == "C4"
        else None,
        cost=Cost(model_rows=4000, model_calls=20, wall_seconds=2.5, model_seconds=1.5),
    )


def gate(code: str, method: str, status: str) -> GateOutcome:
    return GateOutcome.model_validate(
        {
            "code": code,
            "check": CHECKS[code],
            "model": MODEL,
            "method": method,
            "status": status,
            "actual": f"{code} measured value for {method}",
            "expected": f"{code} threshold",
            "meaning": f"What {code} {status} means for {method}.",
        }
    )


def make_checked_document(status: dict[tuple[str, str], str] | None = None) -> ResultDocument:
    """The fixture document plus six checks (C5 is absent: no torch model) and their gates.

    ``status`` overrides gate statuses by ``(code, method)``.
    """
    base = make_document()
    statuses = {**STATUS, **(status or {})}
    checks = [_check(code) for code in ("C6", "C2", "C7", "C1", "C4", "C3")]
    gates = [gate(code, method, s) for (code, method), s in statuses.items()]
    return base.model_copy(update={"results": [*base.results, *checks], "gates": gates})
