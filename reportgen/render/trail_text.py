"""The words of the audit trail: one short sentence per change between two versions, grouped
by topic, and the sign-off state of a version in one sentence.

Pure functions of the plain data in :mod:`reportgen.results.trail`; the report's sections and
the ``reportgen diff``, ``show`` and ``review`` commands all read these.
"""

from __future__ import annotations

from reportgen.render.format import fmt_num, metric_label
from reportgen.render.trust_text import method_label
from reportgen.results.trail import (
    AdverseReasonDiff,
    ExplanationDrift,
    GateChange,
    HashChange,
    ImportanceDiff,
    MetricChange,
    RankChange,
    ReasonCount,
    ReasonMixDiff,
    ReviewStatus,
    ValueChange,
    VersionDiff,
)

HASH_CHARS = 8
"""Hex digits of a hash shown in a sentence; the manifest holds the full value."""
NO_CHANGE = {
    "Inputs": "No change in the policy, model, data or template files.",
    "Gate outcomes": "No change in gate outcomes.",
    "Global importance ranks": "No change in global importance ranks.",
    "Audit-case reasons": "No change in the audit cases' top SHAP reasons or their directions.",
    "Performance": "No change in performance metrics.",
    "Software and seed": "No change in the seed or in the reportgen, Python and library versions.",
}
MEASURE_WORDS: dict[str, str] = {
    "global_shap": "mean |SHAP|",
    "permutation_importance": "permutation importance",
}


def diff_lines(diff: VersionDiff) -> list[str]:
    """Every sentence, in reading order; ``["No differences."]`` when nothing changed."""
    if diff.identical:
        return ["No differences."]
    return [line for _title, lines in grouped_lines(diff) for line in lines]


def grouped_lines(diff: VersionDiff) -> list[tuple[str, list[str]]]:
    """(topic, sentences) in reading order; a topic without changes gets its 'No change' line."""
    new = diff.new.label
    several = len(diff.models) > 1
    groups = {
        "Inputs": [_input_line(c, new, several) for c in diff.inputs],
        "Gate outcomes": [_gate_line(c, new, several) for c in diff.gates],
        "Global importance ranks": [
            line for d in diff.importances for line in _importance_lines(d, new, several)
        ],
        "Audit-case reasons": [line for d in diff.reasons for line in _reason_lines(d, several)],
        "Adverse-action reasons": [
            line for d in diff.adverse_reasons for line in _adverse_lines(d, several)
        ],
        "Performance": [_metric_line(c, new, several) for c in diff.performance],
        "Explanation drift": [_drift_line(d, several) for d in diff.drift],
        "Software and seed": [_software_line(c, new) for c in diff.software],
    }
    for optional in ("Adverse-action reasons", "Explanation drift"):
        if not groups[optional]:  # credit models with reason codes; models whose file changed
            del groups[optional]
    return [(title, lines or [NO_CHANGE[title]]) for title, lines in groups.items()]


def short_hash(value: str) -> str:
    return value[:HASH_CHARS] + "\u2026" if len(value) > HASH_CHARS else value


def fmt_delta(old: float, new: float) -> str:
    """``+0.031`` or ``-0.031`` (typographic minus): the change from ``old`` to ``new``."""
    delta = new - old
    return f"+{fmt_num(delta)}" if delta > 0 else fmt_num(delta)


def _for_model(model: str, several: bool) -> str:
    return f" for model {model}" if several else ""


def _input_item(path: list[str], several: bool) -> str:
    match path:
        case ["policy"]:
            return "The policy file"
        case ["models", name, "model"]:
            return "The model file" + (f" of {name}" if several else "")
        case ["models", name, "preprocessing"]:
            return "The preprocessing file" + (f" of {name}" if several else "")
        case ["datasets", role]:
            return f"The {role} data"
        case [first, *_] if first.startswith("template"):
            return "The report template set"
        case ["reportgen_commit"]:
            return "The reportgen source commit"
    return f"The input {'.'.join(path)}"


def _input_line(change: HashChange, new_label: str, several: bool) -> str:
    item = _input_item(change.path, several)
    kind = "commit" if change.path == ["reportgen_commit"] else "sha256"
    if change.old is None:
        return f"{item} is new in {new_label} ({kind} {short_hash(change.new or '')})."
    if change.new is None:
        return f"{item} is no longer recorded in {new_label} (was {kind} {short_hash(change.old)})."
    return f"{item} changed ({kind} {short_hash(change.old)} -> {short_hash(change.new)})."


def _gate_line(change: GateChange, new_label: str, several: bool) -> str:
    name = f"Gate {change.code}" + (f" {method_label(change.method)}" if change.method else "")
    name += f" on model {change.model}" if several else ""
    if change.old is None:
        return f"{name} is new in {new_label}: {(change.new or '').upper()}."
    if change.new is None:
        return f"{name} is no longer evaluated in {new_label} (was {change.old.upper()})."
    return f"{name} went from {change.old.upper()} to {change.new.upper()}."


def _importance_lines(diff: ImportanceDiff, new_label: str, several: bool) -> list[str]:
    measure = MEASURE_WORDS[diff.measure] + _for_model(diff.model, several)
    if diff.missing_in == "old":
        return [f"{measure[:1].upper()}{measure[1:]} is new in {new_label}."]
    if diff.missing_in == "new":
        return [f"{measure[:1].upper()}{measure[1:]} is no longer computed in {new_label}."]
    return [_rank_line(c, measure) for c in diff.changes]


def _rank_line(change: RankChange, measure: str) -> str:
    old, new = change.old_value, change.new_value
    if change.old_rank is None or old is None:
        return f"{change.feature} is new in {measure}, at rank {change.new_rank} ({_num(new)})."
    if change.new_rank is None or new is None:
        return (
            f"{change.feature} is no longer ranked in {measure} "
            f"(was rank {change.old_rank}, {_num(old)})."
        )
    return (
        f"{change.feature} moved from rank {change.old_rank} to rank {change.new_rank} "
        f"in {measure} ({_num(old)} -> {_num(new)})."
    )


def _num(value: float | None) -> str:
    return "n/a" if value is None else fmt_num(value)


def _reason_lines(diff: ReasonMixDiff, several: bool) -> list[str]:
    where = _for_model(diff.model, several)
    lines = []
    if diff.old_cases != diff.new_cases:
        lines.append(
            f"The audit sample{where} has {diff.new_cases} cases explained by SHAP "
            f"(was {diff.old_cases})."
        )
    lines += [_reason_line(c, diff.old_cases, diff.new_cases, where) for c in diff.features]
    return lines


def _reason_line(count: ReasonCount, old_total: int, new_total: int, where: str) -> str:
    return (
        f"{count.feature} is among the top SHAP reasons of {count.new_cases} of {new_total} "
        f"audit cases{where} (was {count.old_cases} of {old_total}); it raises the output in "
        f"{count.new_raises} and lowers it in {count.new_lowers} "
        f"(was {count.old_raises} and {count.old_lowers})."
    )


def _count(value: int | None) -> str:
    return "suppressed" if value is None else str(value)


def _adverse_lines(diff: AdverseReasonDiff, several: bool) -> list[str]:
    where = _for_model(diff.model, several)
    lines = []
    if diff.old_declined != diff.new_declined:
        lines.append(
            f"Declined applicants{where}: {_count(diff.new_declined)} "
            f"(was {_count(diff.old_declined)})."
        )
    lines += [
        f"Reason {c.reason}{where} comes first for {_count(c.new_principal)} declined "
        f"applicants and is given to {_count(c.new_stated)} (was {_count(c.old_principal)} and "
        f"{_count(c.old_stated)})."
        for c in diff.reasons
    ]
    return lines


def _metric_line(change: MetricChange, new_label: str, several: bool) -> str:
    name = metric_label(change.metric) + _for_model(change.model, several)
    old, new = change.old, change.new
    if old is None:
        return f"{name} is new in {new_label} ({_num(new)})."
    if new is None:
        return f"{name} is no longer measured in {new_label} (was {_num(old)})."
    return f"{name} went from {fmt_num(old, 4)} to {fmt_num(new, 4)} ({fmt_delta(old, new)})."


def _drift_line(drift: ExplanationDrift, several: bool) -> str:
    """The edit-drift figures for a model whose file changed, in one sentence."""
    subject = "the changed model" + (f" {drift.model}" if several else "")
    if drift.spearman is None:
        ranks = "global importances not comparable"
    else:
        ranks = (
            f"Spearman {fmt_num(drift.spearman, 3)} between the global importances "
            f"(mean |SHAP|, {drift.features} features)"
        )
    if not drift.cases or drift.top_k_overlap_mean is None or drift.top_k_overlap_min is None:
        return f"Explanation drift of {subject}: {ranks}; no audit case was explained in both."
    return (
        f"Explanation drift of {subject}: {ranks}; over the {drift.cases} audit cases explained "
        f"in both, mean top-{drift.k} reason overlap {fmt_num(drift.top_k_overlap_mean, 3)} "
        f"(lowest {fmt_num(drift.top_k_overlap_min, 3)}), {drift.first_reason_changed} lead "
        f"with another first reason and {drift.decision_changed} changed prediction."
    )


def _software_line(change: ValueChange, new_label: str) -> str:
    name = {"seed": "The seed"}.get(change.name, change.name)
    if change.name not in ("seed", "reportgen", "Python"):
        name = f"Library {change.name}"
    if change.old is None:
        return f"{name} is new in {new_label} ({change.new})."
    if change.new is None:
        return f"{name} is no longer recorded in {new_label} (was {change.old})."
    return f"{name} changed from {change.old} to {change.new}."


def review_sentence(status: ReviewStatus) -> str:
    """The sign-off state in one sentence, e.g. ``Awaiting sign-off by: risk_officer.``"""
    if status.state == "rejected":
        return f"Rejected by {', '.join(status.rejected_by)}."
    if status.state == "approved":
        roles = ", ".join(status.approved_roles)
        return f"Approved ({roles})." if roles else "Approved."
    if status.blocked:
        return f"Nothing can approve it: {status.blocked}."
    if status.missing_roles:
        return f"Awaiting sign-off by: {', '.join(status.missing_roles)}."
    return "No approval recorded yet."
