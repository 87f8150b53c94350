"""What changed between two report versions, computed as plain data (a VersionDiff).

:func:`diff_documents` compares two results documents (and, when given, their manifests): input
hashes, software, gate outcomes, global importance ranks, the audit cases' reason mix, a credit
model's adverse-action reason mix, performance metrics and, for a model whose file changed, how
far its explanations moved (:mod:`reportgen.registry.drift`). Clock values (``created_at``,
``*_seconds``) are never compared, so two runs of the same inputs give a diff that says "No
differences.". The types live in :mod:`reportgen.results.trail`; the sentences that tell a
diff, in :mod:`reportgen.render.trail_text`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from reportgen.errors import RegistryError
from reportgen.registry.drift import explanation_drift, result_of
from reportgen.registry.manifest import read_manifest
from reportgen.registry.store import Published
from reportgen.results.credit import ReasonCodesResult
from reportgen.results.document import (
    GlobalShapResult,
    LocalExplanationsResult,
    PerformanceResult,
    PermutationImportanceResult,
    ResultDocument,
)
from reportgen.results.io import RESULTS_FILE, canonical_json, load_results
from reportgen.results.trail import (
    AdverseReasonChange,
    AdverseReasonDiff,
    GateChange,
    HashChange,
    ImportanceDiff,
    Manifest,
    Measure,
    MetricChange,
    RankChange,
    ReasonCount,
    ReasonMixDiff,
    ValueChange,
    VersionDiff,
    VersionRef,
)

CHANGES_FILE = "changes.json"
"""The diff against the previous version, stored inside each version after the first."""
_DERIVED_INPUTS = {("fingerprint",)}
"""Manifest inputs computed from the others: their change is stated through the others."""
_MEASURES: tuple[Measure, ...] = ("global_shap", "permutation_importance")


def diff_documents(
    a: ResultDocument,
    b: ResultDocument,
    *,
    a_label: str,
    b_label: str,
    a_manifest: Manifest | None = None,
    b_manifest: Manifest | None = None,
) -> VersionDiff:
    """Compare an older document ``a`` with a newer ``b``.

    Input hashes are the document's policy, model, dataset and template hashes, updated with
    each manifest's ``inputs`` when given (a manifest may record more). A side without a
    manifest (a version being published) has no ``manifest_sha256``.
    """
    models = list(dict.fromkeys([m.name for m in a.models] + [m.name for m in b.models]))
    return VersionDiff(
        old=_ref(a, a_label, a_manifest),
        new=_ref(b, b_label, b_manifest),
        models=models,
        inputs=_input_changes(_inputs(a, a_manifest), _inputs(b, b_manifest)),
        software=_software_changes(a, b),
        gates=_gate_changes(a, b),
        importances=[
            imp for m in models for kind in _MEASURES if (imp := _importance(a, b, m, kind))
        ],
        reasons=[mix for m in models if (mix := _reason_mix(a, b, m))],
        adverse_reasons=[adverse for m in models if (adverse := _adverse_mix(a, b, m))],
        performance=[c for m in models for c in _metric_changes(a, b, m)],
        drift=[drift for m in models if (drift := explanation_drift(a, b, m))],
    )


def load_diff(path: Path) -> VersionDiff:
    """Read a stored changes.json.

    Raises:
        RegistryError: unreadable, or not a diff document.
    """
    try:
        return VersionDiff.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:  # ValidationError is a ValueError
        reason = _first_error(exc) if isinstance(exc, ValidationError) else str(exc)
        raise RegistryError(f"{path}: not a readable reportgen changes file ({reason})") from exc


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc']) or '(top level)'}: {first['msg']}"


def _ref(doc: ResultDocument, label: str, manifest: Manifest | None) -> VersionRef:
    """``manifest_sha256`` is known for a published manifest (its file is its canonical JSON)."""
    digest = None
    if manifest is not None:
        digest = hashlib.sha256(canonical_json(manifest)).hexdigest()
    return VersionRef(
        label=label, policy_id=doc.policy.id, created_at=doc.run.created_at, manifest_sha256=digest
    )


def document_inputs(doc: ResultDocument) -> dict[str, Any]:
    """The input hashes a document records, shaped like a manifest's ``inputs``."""
    return {
        "policy": doc.policy.sha256,
        "models": {
            m.name: {"model": m.sha256, "preprocessing": m.preprocessing_sha256} for m in doc.models
        },
        "datasets": {d.role: d.sha256 for d in doc.datasets},
        "templates": getattr(doc.run, "templates_sha256", None),
        "reportgen_commit": getattr(doc.run, "git_commit", None),
    }


def _inputs(doc: ResultDocument, manifest: Manifest | None) -> dict[tuple[str, ...], Any]:
    recorded = manifest.inputs if manifest is not None else {}
    return _flatten(document_inputs(doc)) | _flatten(recorded)


def _flatten(value: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(value, dict):
        flat: dict[tuple[str, ...], Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, (*prefix, str(key))))
        return flat
    return {prefix: value}


def _input_changes(
    old: dict[tuple[str, ...], Any], new: dict[tuple[str, ...], Any]
) -> list[HashChange]:
    keys = [k for k in dict.fromkeys([*old, *new]) if k not in _DERIVED_INPUTS]
    return [
        HashChange(path=list(key), old=_text(old.get(key)), new=_text(new.get(key)))
        for key in keys
        if old.get(key) != new.get(key)
    ]


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _software_changes(a: ResultDocument, b: ResultDocument) -> list[ValueChange]:
    pairs: list[tuple[str, str | None, str | None]] = [
        ("reportgen", a.run.reportgen_version, b.run.reportgen_version),
        ("Python", a.run.python, b.run.python),
        ("seed", str(a.run.seed), str(b.run.seed)),
    ]
    libraries = sorted(set(a.run.libraries) | set(b.run.libraries))
    pairs += [(n, a.run.libraries.get(n), b.run.libraries.get(n)) for n in libraries]
    return [ValueChange(name=n, old=o, new=v) for n, o, v in pairs if o != v]


def code_order(code: str) -> tuple[int, str]:
    """``C2`` before ``C10``."""
    found = re.fullmatch(r"[A-Za-z]*(\d+)", code)
    return (int(found.group(1)) if found else 10**6, code)


def _gate_changes(a: ResultDocument, b: ResultDocument) -> list[GateChange]:
    old = {(g.code, g.model, g.method): g for g in a.gates}
    new = {(g.code, g.model, g.method): g for g in b.gates}
    changes = []
    for key in sorted(set(old) | set(new), key=lambda k: (code_order(k[0]), k[1], k[2] or "")):
        was, now = old.get(key), new.get(key)
        either = now or was
        if either is None or (was is not None and now is not None and was.status == now.status):
            continue
        changes.append(
            GateChange(
                code=either.code,
                check=either.check,
                model=either.model,
                method=either.method,
                old=was.status if was else None,
                new=now.status if now else None,
                old_actual=was.actual if was else None,
                new_actual=now.actual if now else None,
            )
        )
    return changes


def _importance(
    a: ResultDocument, b: ResultDocument, model: str, measure: Measure
) -> ImportanceDiff | None:
    wanted: type[GlobalShapResult | PermutationImportanceResult] = (
        GlobalShapResult if measure == "global_shap" else PermutationImportanceResult
    )
    old, new = result_of(a, wanted, model), result_of(b, wanted, model)
    if old is None and new is None:
        return None
    if old is None or new is None:
        missing: Literal["old", "new"] = "old" if old is None else "new"
        return ImportanceDiff(model=model, measure=measure, missing_in=missing)
    was = {i.feature: i for i in old.importances}
    now = {i.feature: i for i in new.importances}
    moved = []
    for feature in dict.fromkeys([*now, *was]):
        before, after = was.get(feature), now.get(feature)
        if before is not None and after is not None and before.rank == after.rank:
            continue
        moved.append(
            RankChange(
                feature=feature,
                old_rank=before.rank if before else None,
                new_rank=after.rank if after else None,
                old_value=before.value if before else None,
                new_value=after.value if after else None,
            )
        )
    moved.sort(key=lambda c: (c.new_rank is None, c.new_rank or c.old_rank or 0, c.feature))
    return ImportanceDiff(model=model, measure=measure, changes=moved) if moved else None


def _reason_counts(doc: ResultDocument, model: str) -> tuple[int, Counter[tuple[str, str]]] | None:
    """Cases explained by SHAP, and counts of (feature, 'cases'|'raises'|'lowers')."""
    result = result_of(doc, LocalExplanationsResult, model)
    if result is None:
        return None
    counts: Counter[tuple[str, str]] = Counter()
    cases = 0
    for case in result.cases:
        for explanation in (e for e in case.explanations if e.method == "shap"):
            cases += 1
            for item in {c.feature: c for c in explanation.top}.values():
                counts[item.feature, "cases"] += 1
                if item.contribution:
                    counts[item.feature, "raises" if item.contribution > 0 else "lowers"] += 1
    return cases, counts


def _reason_mix(a: ResultDocument, b: ResultDocument, model: str) -> ReasonMixDiff | None:
    old, new = _reason_counts(a, model), _reason_counts(b, model)
    if old is None or new is None:
        return None
    (old_cases, was), (new_cases, now) = old, new
    features = sorted({f for f, _ in was} | {f for f, _ in now})
    changed = [
        ReasonCount(
            feature=f,
            old_cases=was[f, "cases"],
            new_cases=now[f, "cases"],
            old_raises=was[f, "raises"],
            new_raises=now[f, "raises"],
            old_lowers=was[f, "lowers"],
            new_lowers=now[f, "lowers"],
        )
        for f in features
        if any(was[f, part] != now[f, part] for part in ("cases", "raises", "lowers"))
    ]
    changed.sort(key=lambda c: (-c.new_cases, -c.old_cases, c.feature))
    if not changed and old_cases == new_cases:
        return None
    return ReasonMixDiff(model=model, old_cases=old_cases, new_cases=new_cases, features=changed)


def _adverse_mix(a: ResultDocument, b: ResultDocument, model: str) -> AdverseReasonDiff | None:
    """The change in how often each adverse-action reason is given (published counts only)."""
    old, new = result_of(a, ReasonCodesResult, model), result_of(b, ReasonCodesResult, model)
    if old is None or new is None:
        return None
    was = {r.reason: r for r in old.reasons}
    now = {r.reason: r for r in new.reasons}
    changed = []
    for reason in sorted(set(was) | set(now)):
        before, after = was.get(reason), now.get(reason)
        change = AdverseReasonChange(
            reason=reason,
            old_principal=before.principal if before else None,
            new_principal=after.principal if after else None,
            old_stated=before.stated if before else None,
            new_stated=after.stated if after else None,
        )
        if (change.old_principal, change.old_stated) != (change.new_principal, change.new_stated):
            changed.append(change)
    if not changed and old.declined == new.declined:
        return None
    return AdverseReasonDiff(
        model=model, old_declined=old.declined, new_declined=new.declined, reasons=changed
    )


def _metric_changes(a: ResultDocument, b: ResultDocument, model: str) -> Iterable[MetricChange]:
    def metrics(doc: ResultDocument) -> dict[str, float]:
        perf = (r for r in doc.results if isinstance(r, PerformanceResult) and r.model == model)
        return {m.name: m.value for r in perf for m in r.metrics}

    old, new = metrics(a), metrics(b)
    for name in dict.fromkeys([*new, *old]):
        was, now = old.get(name), new.get(name)
        if was is not None and now is not None and math.isclose(was, now, abs_tol=1e-12):
            continue
        yield MetricChange(model=model, metric=name, old=was, new=now)


def diff_versions(old_dir: Path, new_dir: Path) -> VersionDiff:
    """Compare two published version folders (their results.json and manifest.json).

    Raises:
        RegistryError: a folder is not a readable published version.
        InputError: a results.json is unreadable.
    """
    manifests = [read_manifest(d) for d in (old_dir, new_dir)]
    docs = [load_results(d / RESULTS_FILE) for d in (old_dir, new_dir)]
    labels = [f"v{m.version}" for m in manifests]
    if docs[0].policy.id != docs[1].policy.id:
        labels = [f"{doc.policy.id} {label}" for doc, label in zip(docs, labels, strict=True)]
    return diff_documents(
        docs[0],
        docs[1],
        a_label=labels[0],
        b_label=labels[1],
        a_manifest=manifests[0],
        b_manifest=manifests[1],
    )


def diff_since(previous: Published, document: ResultDocument, *, label: str) -> VersionDiff | None:
    """What changed from the published ``previous`` to ``document``, the version ``label`` being
    published; None when ``previous`` holds no results file to compare with.

    Raises:
        InputError: the previous version's results.json is unreadable.
    """
    path = previous.path / RESULTS_FILE
    if not path.is_file():
        return None
    return diff_documents(
        load_results(path),
        document,
        a_label=f"v{previous.version}",
        b_label=label,
        a_manifest=previous.manifest,
    )
