"""The edits section: what pruning, int8 weights or a candidate network change compared with the
released model, one drift table per edit with its gate's verdict, and one sentence naming the
edits that are safe to deploy under the policy's limits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from reportgen.render.format import (
    fmt_fixed,
    fmt_int,
    fmt_signed,
    join_words,
    metric_label,
    plural,
)
from reportgen.render.trust import status_word
from reportgen.render.trust_views import VerdictLine
from reportgen.render.views import Fact
from reportgen.results.document import GateOutcome
from reportgen.results.internals import EditDrift, EditsResult

DECIMALS = 3


@dataclass(frozen=True)
class DriftRow:
    measure: str
    released: str
    edited: str
    change: str


@dataclass(frozen=True)
class EditView:
    title: str
    what: str
    verdict: VerdictLine | None
    rows: tuple[DriftRow, ...]


@dataclass(frozen=True)
class EditsView:
    kind: Literal["edits"]
    template: str
    heading: str
    intro: str
    facts: tuple[Fact, ...]
    safe: str
    edits: tuple[EditView, ...]


def build_edits(
    result: EditsResult, gates: Sequence[GateOutcome], *, heading: str, template: str
) -> EditsView:
    """The section of one model's edits; ``gates`` are the model's gates."""
    verdicts = {g.method: g for g in gates if g.check == "edit_drift"}
    return EditsView(
        kind="edits",
        template=template,
        heading=heading,
        intro=(
            "Each edit planned for deployment is compared with the released model on the same "
            f"data: its scores on all {plural(result.rows, 'evaluation row')}, the decisions "
            f"that change ({result.decision}), and whether it bases its decisions on the same "
            "inputs: the rank correlation of the two global importances (mean |SHAP| of the "
            f"{result.output} over {plural(result.global_rows, 'row')}) and, for "
            f"{plural(result.cases, 'audit case')}, how many of each case's top "
            f"{result.k} reasons the edited model keeps."
        ),
        facts=(
            Fact("Importance Spearman at least", fmt_fixed(result.spearman_min, 2)),
            Fact(f"Mean top-{result.k} overlap at least", fmt_fixed(result.top_k_overlap_min, 2)),
            Fact("Flipped decisions at most", f"{result.flip_share_max:.1%}"),
        ),
        safe=safe_sentence(result, verdicts),
        edits=tuple(_edit(result, d, verdicts.get(d.label)) for d in result.edits),
    )


def safe_sentence(result: EditsResult, verdicts: dict[str | None, GateOutcome]) -> str:
    """Which edits are safe to deploy under the policy's limits, in one sentence."""
    safe = [d.label for d in result.edits if _passed(verdicts.get(d.label))]
    unsafe = [d.label for d in result.edits if not _passed(verdicts.get(d.label))]
    if not unsafe:
        return f"Under this policy's limits, every edit is safe to deploy: {join_words(safe)}."
    if not safe:
        return f"Under this policy's limits, no edit is safe to deploy ({join_words(unsafe)})."
    return (
        f"Under this policy's limits, {join_words(safe)} {_is(safe)} safe to deploy; "
        f"{join_words(unsafe)} {_is(unsafe)} not."
    )


def _passed(gate: GateOutcome | None) -> bool:
    return gate is not None and gate.status == "pass"


def _is(items: list[str]) -> str:
    return "is" if len(items) == 1 else "are"


def _edit(result: EditsResult, drift: EditDrift, gate: GateOutcome | None) -> EditView:
    rows = [
        DriftRow(
            metric_label(m.name),
            fmt_fixed(m.released, DECIMALS),
            fmt_fixed(m.edited, DECIMALS),
            fmt_signed(m.edited - m.released, DECIMALS),
        )
        for m in drift.metrics
    ]
    rows += [
        DriftRow(
            "Flipped decisions",
            "",
            f"{fmt_int(drift.flipped)} of {fmt_int(result.rows)}",
            f"{drift.flip_share:.1%}",
        ),
        DriftRow("Global importance rank correlation (Spearman)", "", "", f"{drift.spearman:.3f}"),
        DriftRow(
            f"Top-{result.k} reasons kept, mean over audit cases",
            "",
            "",
            f"{drift.top_k_overlap_mean:.2f} (lowest {drift.top_k_overlap_min:.2f})",
        ),
        DriftRow(
            "Audit cases whose leading reason changes",
            "",
            "",
            f"{fmt_int(drift.first_reason_changed)} of {fmt_int(result.cases)}",
        ),
    ]
    return EditView(title=drift.label, what=_what(drift), verdict=_verdict(gate), rows=tuple(rows))


def _what(drift: EditDrift) -> str:
    changed = ""
    if drift.weights is not None and drift.weights_changed is not None:
        changed = (
            f" It changes {fmt_int(drift.weights_changed)} of the {fmt_int(drift.weights)} "
            "weights it applies to."
        )
    if drift.edit == "prune":
        return (
            "Global magnitude pruning (torch's L1 unstructured pruning over all weight matrices "
            "and kernels): the smallest weights by absolute value are set to zero." + changed
        )
    if drift.edit == "quantize_int8":
        return (
            "Dynamic int8 quantisation of the linear layers, modelled on the weights: each "
            "weight matrix is rounded to 8-bit integers exactly as torch stores it (one "
            "symmetric scale per matrix); the inputs' per-batch rounding is not modelled." + changed
        )
    return f"A candidate network ({drift.path}) in place of the released one."


def _verdict(gate: GateOutcome | None) -> VerdictLine | None:
    if gate is None:
        return None
    return VerdictLine(
        code=gate.code,
        check="Edit drift",
        method=gate.method or "",
        status=gate.status,
        status_word=status_word(gate.status),
        meaning=gate.meaning,
        measured=f"Measured: {gate.actual}. Required: {gate.expected}.",
    )


def edits_text(result: EditsResult, seed: int) -> str:
    """The method appendix's paragraph (the SHAP seeds are the global section's: ``seed``)."""
    return (
        f"Each edit's SHAP values use the global SHAP section's estimator, background and "
        f"per-row seeds (policy seed {seed}) on the same "
        f"{plural(result.global_rows, 'global row')} and {plural(result.cases, 'audit case')}, "
        "so any difference comes from the edit alone. Spearman's correlation compares the two "
        "mean |SHAP| vectors (average ranks for ties); a case's overlap is the share of its "
        f"top {result.k} features by |SHAP| (of the class the released model predicts) that "
        "both models share, and its leading reason the first of them. Only these aggregates are "
        "published, never a case."
    )
