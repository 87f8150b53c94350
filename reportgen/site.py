"""`reportgen site`: a static index of a registry, ``<out>/index.html``, and its diff pages.

The index lists every policy and every version: date, gate tally, sign-off, signature state,
links to the version's report.html and report.pdf and to the diff with the version before it.
Each diff page, ``<out>/_site/<policy>/v<N-1>-v<N>.html``, tells what changed in the sentences
of the report's changes section. Every page is one file with inline CSS and no external
reference, and every link is relative, so the folder can be copied or served as it is.

This module sits above the registry (which it reads) and the renderer (whose templates and
sentences it uses); neither of them knows it. Pages are written atomically (a temporary file
renamed into place) under a lock of their own, so two runs publishing different policies at
once leave the index of the later one, complete.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from reportgen.errors import RegistryError
from reportgen.registry.diff import diff_versions
from reportgen.registry.lock import DEFAULT_LOCK_TIMEOUT, policy_lock
from reportgen.registry.show import VersionSummary, describe_version
from reportgen.registry.store import checked_versions
from reportgen.render.changes import build_changes
from reportgen.render.format import fmt_datetime
from reportgen.render.html import make_environment
from reportgen.render.trail_text import review_sentence
from reportgen.results.io import RESULTS_FILE, load_results

INDEX = "index.html"
SITE_DIR = "_site"
"""Under the registry root: the diff pages (no policy id can start with '_')."""
REPORT_FILES = ("report.html", "report.pdf")


@dataclass(frozen=True)
class VersionRow:
    """One version as the index shows it; links are relative to the index."""

    version: int
    created: str
    gates: dict[str, int]
    review_state: str
    review_text: str
    signature_state: str
    """'valid', 'not signed' or 'not trusted'."""
    signature_text: str
    links: dict[str, str]
    """'report.html', 'report.pdf' (each when the version has it) and 'diff' (from v2 on)."""


@dataclass(frozen=True)
class PolicyRow:
    policy_id: str
    title: str
    versions: list[VersionRow]
    """Newest first."""


def write_site(
    out: Path, *, rewrite_diffs: bool = True, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Path:
    """Write ``<out>/index.html`` and the diff pages; return the index's path.

    Diff pages compare immutable versions, so with ``rewrite_diffs`` False only the missing
    ones are written (after a publish); the index is always rewritten (sign-offs change).

    Raises:
        RegistryError: ``out`` holds no published version, a version is unreadable, or a page
            cannot be written. InputError: a results.json is unreadable.
    """
    out = Path(out)
    site = out / SITE_DIR
    try:
        site.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RegistryError(f"{site}: cannot be created ({exc.strerror or exc})") from exc
    with policy_lock(site, timeout=lock_timeout):
        policies = [_policy_row(out, policy_id, rewrite_diffs) for policy_id in policy_ids(out)]
        if not policies:
            raise RegistryError(
                f"{out}: holds no report version; publish one with "
                f"`reportgen run POLICY --out {out}`"
            )
        page = make_environment().get_template("site_index.html").render(policies=policies)
        return write_atomic(out / INDEX, page)


def policy_ids(out: Path) -> list[str]:
    """The policies with at least one version under ``out``, by id."""
    if not out.is_dir():
        return []
    return sorted(
        p.name for p in out.iterdir() if p.is_dir() and p.name != SITE_DIR and checked_versions(p)
    )


def _policy_row(out: Path, policy_id: str, rewrite_diffs: bool) -> PolicyRow:
    policy_dir = out / policy_id
    numbers = checked_versions(policy_dir)
    rows = []
    for number in numbers:
        folder = policy_dir / f"v{number}"
        links = {f: f"{policy_id}/v{number}/{f}" for f in REPORT_FILES if (folder / f).is_file()}
        if number > 1:
            diff = out / SITE_DIR / policy_id / f"v{number - 1}-v{number}.html"
            if rewrite_diffs or not diff.is_file():
                _write_diff(out, policy_id, number, diff)
            links["diff"] = diff.relative_to(out).as_posix()
        rows.append(_version_row(describe_version(folder), links))
    latest = load_results(policy_dir / f"v{numbers[-1]}" / RESULTS_FILE)
    return PolicyRow(policy_id, latest.policy.title, rows[::-1])


def _version_row(summary: VersionSummary, links: dict[str, str]) -> VersionRow:
    if summary.signature_problems:
        state, text = "not trusted", "; ".join(summary.signature_problems)
    elif summary.signed:
        state, text = "valid", f"signed; key fingerprint {summary.fingerprint}"
    else:
        state, text = "not signed", "no manifest.sig: an edit could go unnoticed"
    return VersionRow(
        version=summary.version,
        created=fmt_datetime(summary.created_at),
        gates=summary.gates,
        review_state=summary.review.state,
        review_text=review_sentence(summary.review),
        signature_state=state,
        signature_text=text,
        links=links,
    )


def _write_diff(out: Path, policy_id: str, number: int, path: Path) -> None:
    """The page of what changed from v<number-1> to v<number> of the policy."""
    old, new = (out / policy_id / f"v{n}" for n in (number - 1, number))
    changes = build_changes(diff_versions(old, new), f"v{number}")
    up = "../../"
    links = {
        "index": f"{up}{INDEX}",
        **{
            f"{label} {f}": f"{up}{policy_id}/{label}/{f}"
            for label, folder in ((f"v{number - 1}", old), (f"v{number}", new))
            for f in REPORT_FILES
            if (folder / f).is_file()
        },
    }
    page = (
        make_environment()
        .get_template("site_diff.html")
        .render(
            policy_id=policy_id,
            old=f"v{number - 1}",
            new=f"v{number}",
            changes=changes,
            links=links,
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, page)


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file renamed over it: a reader sees the
    old page or the new one, never half of one.

    Raises:
        RegistryError: the file cannot be written.
    """
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp made it private; a page is for readers
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise RegistryError(f"{path}: cannot be written ({exc.strerror or exc})") from exc
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
