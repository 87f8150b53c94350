"""Operations commands: schedule (run each policy when its `schedule.cron` says so)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reportgen.cli_common import (
    EXIT_USAGE,
    debug_option,
    executor_option,
    fail,
    guard,
    lock_timeout_option,
    root_option,
    say_on_stderr,
)

if TYPE_CHECKING:
    from reportgen.scheduling import ScheduledRun

_DEFAULT_POLICIES = "policies/*.yaml"


@click.command()
@click.argument("policies", nargs=-1, metavar="[POLICY]...", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder holding <policy id>/v<N>/ report versions and index.sqlite.",
)
@click.option("--once", is_flag=True, help="Run what is due now and exit (for system cron or CI).")
@click.option(
    "--interval",
    type=click.FloatRange(min=1.0),
    default=60.0,
    show_default=True,
    help="Seconds between checks when looping.",
)
@click.option(
    "--max-runs",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after this many checks of the policies (default: loop until stopped).",
)
@lock_timeout_option
@root_option
@executor_option
@debug_option
def schedule(
    policies: tuple[Path, ...],
    out: Path,
    once: bool,
    interval: float,
    max_runs: int | None,
    lock_timeout: float,
    root: Path | None,
    executor: str,
    debug: bool,
) -> None:
    """Run each POLICY whose schedule.cron has fired since its last run (default: policies/*.yaml).

    Exits with the highest code of the runs: 0 all passed or nothing was due, 1 a gate failed,
    2 a policy is invalid, 3 a run failed.
    """
    from reportgen.pipeline import generate_report
    from reportgen.scheduling import serve

    chosen = list(policies) or sorted(Path().glob(_DEFAULT_POLICIES))
    if not chosen:
        message = f"no POLICY given and no {_DEFAULT_POLICIES} here; name the policy files to run"
        fail(EXIT_USAGE, message, [message], False, False)
    worst = guard(
        lambda: serve(
            chosen,
            out,
            now=lambda: datetime.now(UTC),
            sleep=time.sleep,
            interval=interval,
            max_checks=1 if once else max_runs,
            report=_echo,
            generate=lambda policy, folder: generate_report(
                policy,
                folder,
                lock_timeout=lock_timeout,
                on_wait=say_on_stderr,
                root=root,
                executor=executor,
            ),
        ),
        False,
        debug,
    )
    raise SystemExit(worst)


def _echo(result: ScheduledRun) -> None:
    click.echo(result.line(), err=result.outcome == "error")


COMMANDS: list[click.Command] = [schedule]
