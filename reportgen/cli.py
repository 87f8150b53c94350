"""The reportgen command line: parse, call one pipeline function, map errors to exit codes.

Exit codes: 0 report published and every gate passed; 1 published with a failed gate; 2 usage or
policy error; 3 input, model, analysis, render or registry error (nothing published); 4 published,
but logging the version to its MLflow run (--mlflow-run) failed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from reportgen import __version__
from reportgen.cli_common import (
    EXIT_ERROR,
    EXIT_GATE_FAILED,
    EXIT_OK,
    debug_option,
    executor_option,
    fail,
    finish,
    guard,
    json_option,
    lock_timeout_option,
    logged_suffix,
    root_option,
    say_on_stderr,
)


class _Main(click.Group):
    """The command group; with --json anywhere on the line, usage errors are JSON too."""

    def main(  # type: ignore[override]  # one signature instead of click's two overloads
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode or "--json" not in argv:
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(argv, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            context = getattr(exc, "ctx", None)
            message = (f"{context.command_path}: " if context else "") + exc.format_message()
            fail(exc.exit_code, message, [message], as_json=True, debug=False)
        except click.Abort:
            fail(EXIT_ERROR, "aborted", ["aborted"], as_json=True, debug=False)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
def main() -> None:
    """Turn a policy file into a versioned audit report that explains a model."""


@main.command()
@click.argument("policy", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder holding <policy id>/v<N>/ report versions.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0, max=2**32 - 1),
    default=None,
    help="Override the policy's seed.",
)
@click.option(
    "--sign-key",
    type=click.Path(path_type=Path),
    envvar="REPORTGEN_SIGNING_KEY",
    default=None,
    help="Ed25519 private key that signs the manifest (or env REPORTGEN_SIGNING_KEY).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Publish a new version even when policy, models and data are unchanged.",
)
@click.option(
    "--mlflow-run",
    default=None,
    metavar="RUN_ID",
    help="Log the published version's files and gate tally to this MLflow run (the mlflow "
    "extra); when nothing changed, the latest version is logged.",
)
@click.option(
    "--mlflow-tracking-uri",
    envvar="MLFLOW_TRACKING_URI",
    default=None,
    metavar="URI",
    help="The MLflow store of --mlflow-run (or env MLFLOW_TRACKING_URI).",
)
@root_option
@lock_timeout_option
@executor_option
@json_option
@debug_option
def run(
    policy: Path,
    out: Path,
    seed: int | None,
    sign_key: Path | None,
    force: bool,
    mlflow_run: str | None,
    mlflow_tracking_uri: str | None,
    root: Path | None,
    lock_timeout: float,
    executor: str,
    as_json: bool,
    debug: bool,
) -> None:
    """Compute, render and publish the next report version for POLICY.

    When nothing changed since the latest version, nothing is computed (exit 0) unless --force.
    With --mlflow-run the run is checked first and the version logged once published (exit 4
    when that fails: the version stays published).
    """
    from reportgen.cli_history import finish_no_change
    from reportgen.pipeline import NoChange, generate_report

    tracker = _mlflow_run(mlflow_run, mlflow_tracking_uri, as_json, debug)
    progress = _progress(as_json)
    report = guard(
        lambda: generate_report(
            policy,
            out,
            seed=seed,
            progress=progress,
            signing_key=sign_key,
            force=force,
            lock_timeout=lock_timeout,
            on_wait=say_on_stderr,
            root=root,
            executor=executor,
        ),
        as_json,
        debug,
    )
    if isinstance(report, NoChange):
        logged = _log(tracker, report.latest, as_json, debug)
        finish_no_change(report, as_json, logged)
        return
    published, gates = report.published, report.document.gates
    logged = _log(tracker, published, as_json, debug)
    failed = [g for g in gates if g.status in ("fail", "error")]
    summary = {
        "status": "published",
        "exit_code": EXIT_GATE_FAILED if failed else EXIT_OK,
        "policy": published.manifest.policy_id,
        "version": published.version,
        "path": str(published.path),
        "files": sorted(published.manifest.files),
        "gates": {s: sum(g.status == s for g in gates) for s in ("pass", "warn", "fail", "error")},
        "failed_gates": [_gate_line(g) for g in failed],
    }
    if logged is not None:
        summary["mlflow"] = logged
    if not as_json:
        for gate in failed:
            click.echo(f"gate {_gate_line(gate)}", err=True)
    suffix = " (at least one gate failed; the report says which)" if failed else ""
    finish(summary, f"published {published.path}{suffix}{logged_suffix(logged)}", as_json)


def _mlflow_run(run_id: str | None, uri: str | None, as_json: bool, debug: bool) -> Any:
    """The checked MLflow run of --mlflow-run, or None without it."""
    if run_id is None:
        return None
    if not uri:
        raise click.UsageError(
            "--mlflow-run needs the MLflow store: give --mlflow-tracking-uri or set "
            "MLFLOW_TRACKING_URI"
        )
    from reportgen.mlflow_run import open_run

    return guard(lambda: open_run(run_id, uri), as_json, debug)


def _log(tracker: Any, published: Any, as_json: bool, debug: bool) -> dict[str, Any] | None:
    """Log ``published`` to the checked run ``tracker`` (when there is one): what was logged."""
    if tracker is None:
        return None
    from reportgen.mlflow_run import log_version

    logged = guard(lambda: log_version(tracker, published), as_json, debug)
    return {"run_id": logged.run_id, "artifact_path": logged.artifact_path, "gates": logged.gates}


def _gate_line(gate: Any) -> str:
    who = f" {gate.method}" if gate.method else ""
    return f"{gate.status}: {gate.code}{who} on model {gate.model}: {gate.meaning}"


@main.command()
@click.argument("policy", type=click.Path(path_type=Path))
@root_option
@json_option
@debug_option
def validate(policy: Path, root: Path | None, as_json: bool, debug: bool) -> None:
    """Check that POLICY is valid and that its models and data load; compute nothing."""
    from reportgen.pipeline import validate_policy

    checked = guard(lambda: validate_policy(policy, root=root), as_json, debug)
    inputs = checked.inputs
    summary = {
        "status": "valid",
        "exit_code": EXIT_OK,
        "policy": checked.loaded.policy.id,
        "models": [m.spec.name for m in inputs.models],
        "rows": {
            "reference": len(inputs.reference.frame),
            "evaluation": len(inputs.evaluation.frame),
        },
    }
    models = ", ".join(summary["models"])
    text = (
        f"{policy}: valid; model(s) {models} load; reference {summary['rows']['reference']} rows, "
        f"evaluation {summary['rows']['evaluation']} rows"
    )
    finish(summary, text, as_json)


@main.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("rendered"),
    show_default=True,
    help="Folder to write report.html and report.pdf into.",
)
@json_option
@debug_option
def render(results: Path, out: Path, as_json: bool, debug: bool) -> None:
    """Re-render HTML and PDF from a stored RESULTS json, without recomputing."""
    from reportgen.pipeline import render_results

    written = guard(lambda: render_results(results, out), as_json, debug)
    summary = {"status": "rendered", "exit_code": EXIT_OK, "files": [str(p) for p in written]}
    finish(summary, "wrote " + ", ".join(str(p) for p in written), as_json)


@main.command()
@click.argument("policy", type=click.Path(path_type=Path))
@click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Decision file (CSV or Parquet) with the evaluation data's id and feature columns; "
    "the target and sensitive columns may be left out.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="CSV file to write, replaced atomically. It holds personal data: it is created "
    "readable by its owner only.",
)
@click.option("--model", default=None, help="The policy's model to use, when it has several.")
@root_option
@executor_option
@json_option
@debug_option
def reasons(
    policy: Path,
    data_path: Path,
    out: Path,
    model: str | None,
    root: Path | None,
    executor: str,
    as_json: bool,
    debug: bool,
) -> None:
    """Write the adverse-action reasons of every declined applicant of a decision file.

    One row per declined applicant: its own id, the probability of the adverse class and up
    to the policy's maximum of reason codes with their statements, computed as the report
    computes them. The file is operational personal data for the lender's notices, never part
    of a report.
    """
    from reportgen.notices import write_reason_notices

    written = guard(
        lambda: write_reason_notices(
            policy, data_path, out, model=model, root=root, executor=executor
        ),
        as_json,
        debug,
    )
    summary = {
        "status": "written",
        "exit_code": EXIT_OK,
        "out": str(written.out),
        "model": written.model,
        "applicants": written.applicants,
        "declined": written.declined,
        "seconds": round(written.seconds, 3),
        "rows_per_second": round(written.rows_per_second, 1),
    }
    text = (
        f"wrote {written.out}: reasons for {written.declined} declined of "
        f"{written.applicants} applicants (model {written.model}, "
        f"{written.rows_per_second:,.0f} rows/s); it holds personal data"
    )
    finish(summary, text, as_json)


def _progress(as_json: bool) -> Callable[[str], None] | None:
    """Progress lines on stderr, only when a person watches a terminal and no JSON is wanted."""
    if as_json or not sys.stderr.isatty():
        return None
    return lambda message: click.echo(message, err=True)


def _register() -> None:
    """Add the audit-trail command groups, each defined in its own module."""
    from reportgen import (
        cli_audit,
        cli_history,
        cli_init,
        cli_review,
        cli_schedule,
        cli_site,
        cli_trace,
    )

    modules = (cli_audit, cli_history, cli_init, cli_review, cli_schedule, cli_site, cli_trace)
    for module in modules:
        for command in module.COMMANDS:
            main.add_command(command)


_register()
