"""History commands: history (the index of published versions and of runs that found no change)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reportgen.cli_common import (
    EXIT_OK,
    debug_option,
    finish,
    guard,
    json_option,
    logged_suffix,
)

if TYPE_CHECKING:
    from reportgen.pipeline import NoChange
    from reportgen.registry.history import RunRecord, VersionRecord

_RECENT_RUNS = 10


@click.command()
@click.argument("policy", required=False)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder holding <policy id>/v<N>/ report versions and index.sqlite.",
)
@click.option("--rebuild", is_flag=True, help="Re-create the index from the version folders first.")
@json_option
@debug_option
def history(policy: str | None, out: Path, rebuild: bool, as_json: bool, debug: bool) -> None:
    """List the published versions (of POLICY, an id or a policy file), newest last."""
    from reportgen.registry import history as index

    def read() -> tuple[list[VersionRecord], list[RunRecord]]:
        if rebuild:
            index.rebuild(out)
        policy_id = _policy_id(policy)
        found = index.list_versions(out, policy_id)
        skipped = index.list_runs(out, policy_id, outcome="no_change", limit=_RECENT_RUNS)
        return found, skipped

    found, skipped = guard(read, as_json, debug)
    summary = {
        "status": "ok",
        "exit_code": EXIT_OK,
        "versions": [v.as_json() for v in found],
        "no_change_runs": [r.as_json() for r in skipped],
    }
    finish(summary, _table(found, skipped), as_json)


def finish_no_change(result: NoChange, as_json: bool, logged: dict[str, Any] | None = None) -> None:
    """End `reportgen run` for a run that found nothing changed since the latest version
    (``logged``: where --mlflow-run logged that version)."""
    latest = result.latest
    summary: dict[str, Any] = {
        "status": "no_change",
        "exit_code": EXIT_OK,
        "policy": result.policy_id,
        "version": latest.version,
        "path": str(latest.path),
        "fingerprint": result.fingerprint,
    }
    if logged is not None:
        summary["mlflow"] = logged
    text = f"no change since v{latest.version} ({latest.path}); --force publishes a new version"
    text += logged_suffix(logged)
    finish(summary, text, as_json)


def _policy_id(policy: str | None) -> str | None:
    """The id given, or the id inside the policy file given."""
    if policy is None or not Path(policy).is_file():
        return policy
    from reportgen.policy import load_policy

    return load_policy(policy).policy.id


def _table(found: list[VersionRecord], skipped: list[RunRecord]) -> str:
    rows = [("policy", "version", "created (UTC)", "pass/warn/fail/error", "manifest")]
    for v in found:
        tally = "/".join(str(v.gates[s]) for s in ("pass", "warn", "fail", "error"))
        rows.append((v.policy_id, f"v{v.version}", v.created_at, tally, v.manifest_sha256[:12]))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    if len(rows) == 1:
        lines.append("(no published version)")
    if skipped:
        lines += ["", "recent runs with no change:"]
        lines += [f"{r.policy_id}  {r.at}  no change since v{r.version}" for r in skipped]
    return "\n".join(lines)


COMMANDS: list[click.Command] = [history]
