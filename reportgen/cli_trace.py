"""`reportgen trace`: a version's requirement -> evidence matrix for a GRC tool (csv, json, md).

It is the matrix the report shows, with the attestations recorded since laid over it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reportgen.cli_common import EXIT_OK, EXIT_USAGE, debug_option, fail, guard

if TYPE_CHECKING:
    from reportgen.results.traceability import TraceRow

COLUMNS = (
    "framework",
    "id",
    "requirement",
    "source",
    "criterion",
    "status",
    "reason",
    "evidence",
    "attested_by",
)


@click.command()
@click.argument("ref")
@click.option("--framework", "framework", default=None, help="Only this framework's requirements.")
@click.option(
    "--format", "form", type=click.Choice(["csv", "json", "md"]), default="csv", show_default=True
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder holding <policy id>/v<N>/ report versions (for '<policy>/v<N>' references).",
)
@debug_option
def trace(ref: str, framework: str | None, form: str, out: Path, debug: bool) -> None:
    """Write a version's regulatory traceability matrix to stdout.

    REF is a version folder, '<policy>/v<N>' or '<policy>' (its latest) under --out.
    """
    from reportgen.registry.show import attested_matrix, resolve_version

    matrix = guard(lambda: attested_matrix(resolve_version(ref, out)), False, debug)
    if matrix is None:
        message = (
            f"{ref}: its policy selects no framework (compliance.frameworks); nothing to trace"
        )
        return fail(EXIT_USAGE, message, [message], False, debug)
    names = [f.name for f in matrix.frameworks]
    if framework is not None and framework not in names:
        message = f"--framework: {ref} traces no {framework!r}; it traces {', '.join(names)}"
        return fail(EXIT_USAGE, message, [message], False, debug)
    rows = [r for r in matrix.rows if framework is None or r.framework == framework]
    click.echo(FORMATS[form](rows), nl=False)
    raise SystemExit(EXIT_OK)


def _flat(row: TraceRow) -> dict[str, str]:
    evidence = "; ".join(
        f"{e.kind} {e.ref}"
        + (f" ({e.model})" if e.model else "")
        + (f" = {e.outcome}" if e.outcome else "")
        + (f" sha256 {e.sha256}" if e.sha256 else "")
        for e in row.evidence
    )
    attested = "; ".join(
        f"{a.reviewer} ({a.role}) {a.at} key {a.fingerprint}"
        + ("" if a.trusted else f" UNTRUSTED: {a.problem}")
        for a in row.attestations
    )
    return {
        "framework": row.framework,
        "id": row.id,
        "requirement": row.requirement,
        "source": row.source,
        "criterion": row.criterion,
        "status": row.status,
        "reason": row.reason,
        "evidence": evidence,
        "attested_by": attested,
    }


def _csv(rows: list[TraceRow]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_flat(r) for r in rows)
    return buffer.getvalue()


def _json(rows: list[TraceRow]) -> str:
    return json.dumps([r.model_dump(mode="json") for r in rows], indent=2, sort_keys=True) + "\n"


def _md(rows: list[TraceRow]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *("| " + " | ".join(cell(v) for v in _flat(r).values()) + " |" for r in rows),
    ]
    return "\n".join(lines) + "\n"


FORMATS = {"csv": _csv, "json": _json, "md": _md}
COMMANDS: list[click.Command] = [trace]
