"""What every reportgen command shares: options, exit codes, error and summary output.

Commands parse, call one library function through ``guard``, and end with ``finish``. Exit codes:
0 success (and every gate passed); 1 published with a failed gate, or a check such as `verify`
found a problem; 2 usage or policy error; 3 input, model, analysis, render or registry error;
4 published, but logging the version to its MLflow run failed (errors.NotLoggedError).
"""

from __future__ import annotations

import json
import sys
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from reportgen.errors import PolicyError, ReportgenError

EXIT_OK, EXIT_GATE_FAILED, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3

debug_option = click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON summary on stdout."
)


def _executor(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if value in ("in-process", "processes", "dask-local") or (
        value.startswith("dask://") and len(value) > len("dask://")
    ):
        return value
    raise click.BadParameter(
        f"'{value}' is not one of in-process, processes, dask-local, dask://HOST:PORT"
    )


executor_option = click.option(
    "--executor",
    default="in-process",
    show_default=True,
    callback=_executor,
    envvar="REPORTGEN_EXECUTOR",
    help="Where the analyses run: in-process, processes (one worker per core), dask-local "
    "(a local Dask cluster) or dask://HOST:PORT (an existing one). The numbers do not change.",
)
root_option = click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="REPORTGEN_ROOT",
    default=None,
    help="Refuse a policy whose model or data files lead (links followed) outside this folder "
    "(or env REPORTGEN_ROOT).",
)
LOCK_TIMEOUT = 600.0
"""registry.lock.DEFAULT_LOCK_TIMEOUT, spelt out so that `--help` does not import the registry."""
lock_timeout_option = click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=LOCK_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another run that is publishing the same policy (it is named "
    "on stderr) before giving up with exit 3.",
)
public_key_option = click.option(
    "--public-key",
    "public_keys",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Trusted Ed25519 public key (PEM): the version must be signed with it. Repeat it to "
    "trust each key of a rotation: the chain may change key only to a trusted one.",
)


def guard(call: Callable[[], Any], as_json: bool, debug: bool) -> Any:
    """Run ``call``; on error print one clear message (and the traceback with --debug) and exit.

    Warnings the libraries raise on the way are held back (a run can raise hundreds, and the
    report, not the terminal, is where findings go); --debug prints them.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            return _guarded(call, as_json, debug)
        finally:
            _mention(caught, debug)


def _mention(caught: list[warnings.WarningMessage], debug: bool) -> None:
    if debug:
        for warning in caught:
            text = warnings.formatwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )
            click.echo(text.rstrip(), err=True)


def _guarded(call: Callable[[], Any], as_json: bool, debug: bool) -> Any:
    try:
        return call()
    except ReportgenError as exc:
        problems = exc.problems if isinstance(exc, PolicyError) else [str(exc)]
        fail(exc.exit_code, str(exc), problems, as_json, debug)
    except Exception as exc:  # a bug, not bad input: still one sentence, never a bare traceback
        first = next((line for line in str(exc).splitlines() if line.strip()), "")
        message = (
            f"internal error: {type(exc).__name__}: {first} (rerun with --debug for the traceback)"
        )
        fail(EXIT_ERROR, message, [message], as_json, debug)


def fail(code: int, message: str, problems: list[str], as_json: bool, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    if as_json:
        click.echo(
            json.dumps(
                {"status": "error", "exit_code": code, "error": message, "problems": problems}
            )
        )
    else:
        for line in problems:
            click.echo(f"error: {line}", err=True)
    sys.exit(code)


def say_on_stderr(message: str) -> None:
    """A line for the person or the CI log, even with --json (which owns stdout only)."""
    click.echo(message, err=True)


def finish(summary: dict[str, Any], text: str, as_json: bool) -> None:
    click.echo(json.dumps(summary, sort_keys=True) if as_json else text)
    sys.exit(int(summary["exit_code"]))


def logged_suffix(logged: dict[str, Any] | None) -> str:
    """The end of `reportgen run`'s line that says where the version was logged in MLflow."""
    if logged is None:
        return ""
    return f"; logged to MLflow run {logged['run_id']} under {logged['artifact_path']}"
