"""Edit gates: whether each edit of a torch model keeps the released model's decisions and
reasons within the policy's limits (``edits``), recorded on the result it judges.

One gate per edit. It passes when the global importances' Spearman correlation is at least
``spearman_min``, the audit cases' mean top-k overlap at least ``top_k_overlap_min`` and the
share of flipped decisions at most ``flip_share_max``; otherwise it fails: the edit would
change what the model bases its decisions on (or the decisions themselves) beyond what the
policy accepts, so it is not safe to deploy without a new validation.
"""

from __future__ import annotations

from reportgen.policy.checks import ChecksSpec
from reportgen.results.document import GateOutcome
from reportgen.results.internals import EditDrift, EditsResult

CODE = "E1"


def shortfalls(result: EditsResult, drift: EditDrift) -> list[str]:
    """The limits ``drift`` breaks, in words (none: the edit is safe under the policy)."""
    found = []
    if drift.spearman < result.spearman_min:
        found.append(f"importance Spearman {drift.spearman:.2f} < {result.spearman_min:g}")
    if drift.top_k_overlap_mean < result.top_k_overlap_min:
        found.append(
            f"top-{result.k} overlap {drift.top_k_overlap_mean:.2f} < {result.top_k_overlap_min:g}"
        )
    if drift.flip_share > result.flip_share_max:
        found.append(f"flipped decisions {drift.flip_share:.1%} > {result.flip_share_max:.1%}")
    return found


def judge_edits(result: EditsResult, checks: ChecksSpec) -> list[GateOutcome]:
    """One gate per edit of ``result`` (``checks`` is not read: the limits are the result's)."""
    expected = (
        f"importance Spearman >= {result.spearman_min:g}, mean top-{result.k} overlap >= "
        f"{result.top_k_overlap_min:g}, flipped decisions <= {result.flip_share_max:.1%}"
    )
    gates = []
    for drift in result.edits:
        broken = shortfalls(result, drift)
        actual = (
            f"importance Spearman {drift.spearman:.2f}, mean top-{result.k} overlap "
            f"{drift.top_k_overlap_mean:.2f}, flipped decisions {drift.flip_share:.1%}"
        )
        if broken:
            meaning = (
                f"The edit '{drift.label}' changes the model beyond the policy's limits "
                f"({'; '.join(broken)}): do not deploy it without validating it anew."
            )
        else:
            meaning = (
                f"The edit '{drift.label}' keeps the released model's decisions and reasons "
                "within the policy's limits: it is safe to deploy under this policy."
            )
        gates.append(
            GateOutcome(
                code=CODE,
                check="edit_drift",
                model=result.model,
                method=drift.label,
                status="fail" if broken else "pass",
                actual=actual,
                expected=expected,
                meaning=meaning,
            )
        )
    return gates


__all__ = ["CODE", "judge_edits", "shortfalls"]
