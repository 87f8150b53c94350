"""Reading versions: show, diff, review.

``diff`` and ``show`` only inform, so they exit 0; every command exits 3 when a version cannot
be read or a key is unusable, 2 on a usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reportgen.cli_common import (
    EXIT_OK,
    EXIT_USAGE,
    debug_option,
    fail,
    finish,
    guard,
    json_option,
    public_key_option,
)

if TYPE_CHECKING:
    from reportgen.registry.show import VersionSummary
    from reportgen.results.trail import ReviewStatus

_out_option = click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder holding <policy id>/v<N>/ report versions (for '<policy>/v<N>' references).",
)


@click.command()
@click.argument("old")
@click.argument("new")
@_out_option
@json_option
@debug_option
def diff(old: str, new: str, out: Path, as_json: bool, debug: bool) -> None:
    """State what changed between two versions.

    OLD and NEW are version folders or '<policy>/v<N>' under --out.
    """
    from reportgen.registry.diff import diff_versions
    from reportgen.registry.show import resolve_version
    from reportgen.render.trail_text import diff_lines

    found = guard(
        lambda: diff_versions(resolve_version(old, out), resolve_version(new, out)),
        as_json,
        debug,
    )
    lines = diff_lines(found)
    summary = {
        "status": "compared",
        "exit_code": EXIT_OK,
        "diff": found.model_dump(mode="json"),
        "lines": lines,
    }
    text = f"{found.old.policy_id}: {found.old.label} -> {found.new.label}\n"
    finish(summary, text + "\n".join(lines), as_json)


@click.command()
@click.argument("ref")
@_out_option
@public_key_option
@json_option
@debug_option
def show(ref: str, out: Path, public_keys: tuple[Path, ...], as_json: bool, debug: bool) -> None:
    """Show a version's hashes, signature, gates and sign-off.

    REF is a version folder, '<policy>/v<N>' or '<policy>' (its latest) under --out. The
    signature is judged as `reportgen verify` judges it, with the chain behind the version.
    """
    from reportgen.registry.chain import load_trusted_keys
    from reportgen.registry.show import describe_version, resolve_version

    summary = guard(
        lambda: describe_version(resolve_version(ref, out), trusted=load_trusted_keys(public_keys)),
        as_json,
        debug,
    )
    finish(
        {"status": "ok", "exit_code": EXIT_OK, **summary.model_dump(mode="json")},
        _show_text(summary),
        as_json,
    )


def _show_text(summary: VersionSummary) -> str:
    gates = ", ".join(f"{count} {status}" for status, count in summary.gates.items())
    lines = [
        f"{summary.policy_id} v{summary.version}  ({summary.path})",
        f"created:   {summary.created_at}",
        f"manifest:  sha256 {summary.manifest_sha256}",
        *_signature_text(summary),
        f"gates:     {gates}",
        *_review_text(summary.review),
        *_trace_text(summary),
    ]
    return "\n".join(lines)


def _trace_text(summary: VersionSummary) -> list[str]:
    matrix = summary.traceability
    if matrix is None:
        return []
    tally = ", ".join(f"{count} {status}" for status, count in matrix.tally().items() if count)
    lines = [f"traceability: {', '.join(f.name for f in matrix.frameworks)}: {tally}"]
    for row in matrix.rows:
        lines.append(f"  {row.id:10} {row.status:17} {row.reason}")
        for found in row.attestations:
            verdict = "trusted" if found.trusted else f"UNTRUSTED, not counted: {found.problem}"
            lines.append(
                f"             attested by {found.reviewer} ({found.role}) {found.at}, key "
                f"{found.fingerprint[:16]}\u2026: {verdict}"
            )
    return lines


def _signature_text(summary: VersionSummary) -> list[str]:
    problems = summary.signature_problems
    if problems:
        count = f"{len(problems)} problem{'s' * (len(problems) != 1)}"
        head = f"signature: NOT TRUSTED: {count} with the signature or the chain behind it"
        return [f"{head} (run reportgen verify)", *(f"  {p}" for p in problems)]
    if not summary.signed:
        return ["signature: not signed (no manifest.sig)"]
    return [f"signature: signed, signature valid; key fingerprint {summary.fingerprint}"]


def _review_text(status: ReviewStatus) -> list[str]:
    from reportgen.render.trail_text import review_sentence

    required = ", ".join(status.required_roles) or "none"
    sentence = review_sentence(status)
    lines = [f"sign-off:  {status.state.upper()}: {sentence} (required roles: {required})"]
    for check in status.attestations:
        key = f"key {(check.fingerprint or '')[:16]}\u2026"
        verdict = f"valid, {key}"
        if not check.counts:
            word = "INVALID" if not check.valid else "UNTRUSTED"
            verdict = f"{word}, not counted: {check.problem}"
        who = f"{check.reviewer or '?'} ({check.role or '?'})"
        lines.append(f"  {check.decision or '?':7} {who}  {check.at or '?'}  {verdict}")
        if check.comment:
            lines.append(f"          comment: {check.comment}")
    if not status.attestations:
        lines.append("  no review recorded")
    return lines


@click.command()
@click.argument("ref")
@click.option("--approve", "decision", flag_value="approve", help="Approve the version.")
@click.option("--reject", "decision", flag_value="reject", help="Reject the version.")
@click.option(
    "--attest",
    "requirement",
    default=None,
    metavar="REQ-ID",
    help="Instead: attest that one requirement of the version's traceability matrix is met.",
)
@click.option("--reviewer", required=True, help="Your name, as it should appear in the record.")
@click.option("--role", required=True, help="The role you sign for, e.g. risk_officer.")
@click.option("--comment", required=True, help="Why you approve or reject.")
@click.option(
    "--key",
    type=click.Path(path_type=Path),
    envvar="REPORTGEN_SIGNING_KEY",
    default=None,
    help="Your Ed25519 private key (PEM, mode 0600), or env REPORTGEN_SIGNING_KEY.",
)
@_out_option
@json_option
@debug_option
def review(
    ref: str,
    decision: str | None,
    requirement: str | None,
    reviewer: str,
    role: str,
    comment: str,
    key: Path | None,
    out: Path,
    as_json: bool,
    debug: bool,
) -> None:
    """Record a signed approval or rejection of a version, or (--attest) a signed attestation
    that one of its requirements is met.

    REF is a version folder or '<policy>/v<N>' under --out. The attestation is bound to the
    version's manifest sha256 and stored beside the immutable version, in
    <out>/<policy>/reviews/v<N>/ (requirements: <out>/<policy>/attestations/v<N>/).
    """
    from reportgen.registry.review import record_review, review_status
    from reportgen.registry.show import resolve_version
    from reportgen.render.trail_text import review_sentence

    if (decision in ("approve", "reject")) == (requirement is not None):
        return _usage("give one of --approve, --reject or --attest REQ-ID", as_json, debug)
    if key is None:
        return _usage("--key: no private key given (or set REPORTGEN_SIGNING_KEY)", as_json, debug)
    key_path: Path = key
    if requirement is not None:
        return _attest(ref, out, requirement, (reviewer, role, comment, key_path), as_json, debug)

    def record() -> tuple[Path, ReviewStatus]:
        folder = resolve_version(ref, out)
        path = record_review(
            folder,
            decision="approve" if decision == "approve" else "reject",
            reviewer=reviewer,
            role=role,
            comment=comment,
            key_path=key_path,
        )
        return path, review_status(folder)

    path, status = guard(record, as_json, debug)
    summary: dict[str, Any] = {
        "status": "recorded",
        "exit_code": EXIT_OK,
        "attestation": str(path),
        "signature": str(path.with_suffix(".sig")),
        "review": status.model_dump(mode="json"),
    }
    text = (
        f"recorded {decision} by {reviewer} ({role}) of {status.policy_id} v{status.version}: "
        f"{path}\nsign-off: {status.state.upper()}: {review_sentence(status)}"
    )
    finish(summary, text, as_json)


def _attest(
    ref: str,
    out: Path,
    requirement: str,
    who: tuple[str, str, str, Path],
    as_json: bool,
    debug: bool,
) -> None:
    from reportgen.registry.attest import record_attestation
    from reportgen.registry.show import attested_matrix, resolve_version

    reviewer, role, comment, key_path = who

    def record() -> tuple[Path, str]:
        folder = resolve_version(ref, out)
        path = record_attestation(
            folder,
            requirement=requirement,
            reviewer=reviewer,
            role=role,
            comment=comment,
            key_path=key_path,
        )
        matrix = attested_matrix(folder)
        row = next(r for r in matrix.rows if r.id == requirement) if matrix else None
        return path, f"{row.status}: {row.reason}" if row else "?"

    path, now = guard(record, as_json, debug)
    summary: dict[str, Any] = {
        "status": "recorded",
        "exit_code": EXIT_OK,
        "attestation": str(path),
        "signature": str(path.with_suffix(".sig")),
        "requirement": requirement,
        "now": now,
    }
    text = f"recorded attestation of {requirement} by {reviewer} ({role}): {path}\n"
    finish(summary, text + f"{requirement} is now {now}", as_json)


def _usage(message: str, as_json: bool, debug: bool) -> None:
    fail(EXIT_USAGE, message, [message], as_json, debug)


COMMANDS: list[click.Command] = [diff, show, review]
