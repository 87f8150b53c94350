"""Archive commands: site (a static index of every policy and version of a registry)."""

from __future__ import annotations

from pathlib import Path

import click

from reportgen.cli_common import (
    EXIT_OK,
    debug_option,
    finish,
    guard,
    json_option,
    lock_timeout_option,
)


@click.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="The registry: the folder `reportgen run --out` publishes into.",
)
@lock_timeout_option
@json_option
@debug_option
def site(out: Path, lock_timeout: float, as_json: bool, debug: bool) -> None:
    """Write OUT/index.html: every policy and version, with links to reports and diffs.

    One self-contained page (inline CSS, relative links, nothing fetched), plus one page per
    pair of consecutive versions under OUT/_site/. `reportgen run` rewrites it after each
    publish; run this after reviews, or to rebuild every page.
    """
    from reportgen.site import write_site

    index = guard(lambda: write_site(out, lock_timeout=lock_timeout), as_json, debug)
    summary = {"status": "written", "exit_code": EXIT_OK, "index": str(index)}
    finish(summary, f"wrote {index}", as_json)


COMMANDS: list[click.Command] = [site]
