"""The view-models of the audit-trail sections: changes since the previous version, and sign-off.

Pure functions of the diff and review records (:mod:`reportgen.results.trail`) that the
registry computes and hands to the renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from reportgen.render.format import fmt_datetime
from reportgen.render.trail_text import NO_CHANGE, grouped_lines, review_sentence

if TYPE_CHECKING:
    from reportgen.results.trail import AttestationCheck, ReviewStatus, VersionDiff

CHANGES_HEADING = "Changes since the previous version"
SIGNOFF_HEADING = "Sign-off"
FINGERPRINT_CHARS = 16


@dataclass(frozen=True)
class ChangeGroup:
    title: str
    lines: tuple[str, ...]
    changed: bool
    """False: the group holds only its 'No change in ...' sentence."""


@dataclass(frozen=True)
class ChangesView:
    heading: str
    intro: str
    groups: tuple[ChangeGroup, ...]


@dataclass(frozen=True)
class AttestationRow:
    decision: str
    tone: Literal["pass", "fail", "error"]
    """Badge style: approval, rejection, or not counted."""
    reviewer: str
    role: str
    at: str
    signature: str
    """'valid, key 1a2b…' or why the attestation does not count."""
    comment: str


@dataclass(frozen=True)
class ReviewView:
    heading: str
    state: Literal["approved", "rejected", "pending"]
    state_word: str
    tone: Literal["pass", "fail", "warn"]
    sentence: str
    required: str
    note: str
    rows: tuple[AttestationRow, ...]


def build_changes(changes: VersionDiff | None, version_label: str) -> ChangesView:
    """The changes section; without a diff it says why there is nothing to compare with."""
    if changes is None:
        if version_label == "v1":
            intro = "This is the first version."
        elif version_label == "unpublished":
            intro = "This rendering is not a published version, so it is not compared with another."
        else:
            intro = "No earlier version was available to compare this one with."
        return ChangesView(CHANGES_HEADING, intro, ())
    old = changes.old
    since = f"Compared with {old.label}, published {fmt_datetime(old.created_at)}"
    if changes.identical:
        return ChangesView(CHANGES_HEADING, f"{since}: no differences.", ())
    groups = tuple(
        ChangeGroup(title, tuple(lines), changed=lines != [NO_CHANGE.get(title)])
        for title, lines in grouped_lines(changes)
    )
    intro = f"{since}. Each line states one change; the run time is not compared."
    return ChangesView(CHANGES_HEADING, intro, groups)


def build_review(status: ReviewStatus | None) -> ReviewView | None:
    """The sign-off section, or None when no review has been recorded."""
    if status is None or not status.attestations:
        return None
    tone: Literal["pass", "fail", "warn"] = "warn"
    if status.state != "pending":
        tone = "pass" if status.state == "approved" else "fail"
    required = ", ".join(status.required_roles) or "none (one trusted approval suffices)"
    note = (
        "Reviews are recorded after publication, beside the immutable version, and each is "
        f"signed by its reviewer and bound to manifest sha256 {status.manifest_sha256}. One "
        "counts only when signed with the key this version's policy trusted for that reviewer "
        "and role when it was published. This copy shows them as they stood when it was "
        "rendered."
    )
    return ReviewView(
        heading=SIGNOFF_HEADING,
        state=status.state,
        state_word=status.state.upper(),
        tone=tone,
        sentence=review_sentence(status),
        required=required,
        note=note,
        rows=tuple(_row(check) for check in status.attestations),
    )


def _row(check: AttestationCheck) -> AttestationRow:
    if check.counts:
        signature = f"valid, key {(check.fingerprint or '')[:FINGERPRINT_CHARS]}\u2026"
    else:
        signature = f"not counted: {check.problem}"
    tone: Literal["pass", "fail", "error"] = "error"
    if check.counts:
        tone = "pass" if check.decision == "approve" else "fail"
    return AttestationRow(
        decision=(check.decision or "unreadable").upper(),
        tone=tone,
        reviewer=check.reviewer or "?",
        role=check.role or "?",
        at=fmt_datetime(check.at) if check.at else "?",
        signature=signature,
        comment=check.comment or "",
    )
