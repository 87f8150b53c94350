"""Explanation drift between two versions whose model file changed.

The same figures as an edit's assessment (:mod:`reportgen.analyses.edits`), read from what the
two versions published: the Spearman correlation of their global mean |SHAP| importances, and,
for the audit cases both versions explained (matched by pseudonymous id, which a registry's key
keeps stable), the overlap of their top-k SHAP reasons, the cases whose first reason changed and
those whose prediction changed. Only published figures are used: the registry never computes on
data.
"""

from __future__ import annotations

import math
from typing import TypeVar

from reportgen._lazy import require
from reportgen.results.document import (
    CaseExplanation,
    GlobalShapResult,
    LocalExplanationsResult,
    ResultDocument,
)
from reportgen.results.trail import ExplanationDrift

R = TypeVar("R")


def explanation_drift(a: ResultDocument, b: ResultDocument, model: str) -> ExplanationDrift | None:
    """The drift of ``model`` from ``a`` to ``b``; None unless its file changed and both versions
    published global SHAP importances or audit cases for it."""
    files = [{m.name: m.sha256 for m in doc.models}.get(model) for doc in (a, b)]
    if None in files or files[0] == files[1]:
        return None
    old_global, new_global = (result_of(doc, GlobalShapResult, model) for doc in (a, b))
    old_local, new_local = (result_of(doc, LocalExplanationsResult, model) for doc in (a, b))
    has_global = old_global is not None and new_global is not None
    has_local = old_local is not None and new_local is not None
    if not (has_global or has_local):
        return None
    features: list[str] = []
    spearman = None
    if old_global is not None and new_global is not None:
        was = {i.feature: i.value for i in old_global.importances}
        now = {i.feature: i.value for i in new_global.importances}
        features = [f for f in was if f in now]
        spearman = _spearman([was[f] for f in features], [now[f] for f in features])
    k, overlaps, first, decided = 0, [], 0, 0
    if old_local is not None and new_local is not None:
        k = min(old_local.top_k, new_local.top_k)
        now_cases = {c.case_id: c for c in new_local.cases}
        for case in old_local.cases:
            other = now_cases.get(case.case_id)
            before, after = _reasons(case), _reasons(other) if other is not None else []
            if not (before and after):
                continue
            overlaps.append(len(set(before[:k]) & set(after[:k])) / k)
            first += before[:1] != after[:1]
            decided += case.predicted != now_cases[case.case_id].predicted
    return ExplanationDrift(
        model=model,
        features=len(features),
        spearman=spearman,
        cases=len(overlaps),
        k=k,
        top_k_overlap_mean=sum(overlaps) / len(overlaps) if overlaps else None,
        top_k_overlap_min=min(overlaps, default=None),
        first_reason_changed=first,
        decision_changed=decided,
    )


def result_of(doc: ResultDocument, kind: type[R], model: str) -> R | None:
    """The document's first result of ``kind`` for ``model``, if any."""
    return next((r for r in doc.results if isinstance(r, kind) and r.model == model), None)


def _spearman(old: list[float], new: list[float]) -> float | None:
    if len(old) < 2 or len(set(old)) < 2 or len(set(new)) < 2:
        return None
    value = float(require("scipy.stats").spearmanr(old, new).statistic)
    return None if math.isnan(value) else value


def _reasons(case: CaseExplanation) -> list[str]:
    """The case's SHAP reasons, largest |contribution| first, each feature once."""
    shap = next((e for e in case.explanations if e.method == "shap"), None)
    if shap is None:
        return []
    ordered = sorted(shap.top, key=lambda c: -abs(c.contribution))
    return list(dict.fromkeys(c.feature for c in ordered))


__all__ = ["explanation_drift", "result_of"]
