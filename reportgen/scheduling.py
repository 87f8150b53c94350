"""Scheduled runs: which policies are due, running them, and the loop behind `reportgen schedule`.

A policy with ``schedule.cron`` is due when its latest recorded run (of any outcome, from the
history index) is older than the cron expression's most recent fire time, or it never ran.
Times are UTC. The clock and the sleep are passed in, so tests need neither real time nor waits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from reportgen.errors import PolicyError, RegistryError, ReportgenError
from reportgen.policy import load_policy
from reportgen.policy.schema import Policy
from reportgen.registry.history import last_run, record_run, utc_iso

if TYPE_CHECKING:
    from reportgen.pipeline import NoChange, Report

_OK, _GATE_FAILED, _ERROR = 0, 1, ReportgenError.exit_code
Outcome = Literal["published", "no_change", "not_due", "unscheduled", "error"]
Generate = Callable[[Path, Path], "Report | NoChange"]


@dataclass(frozen=True)
class ScheduledRun:
    """What the scheduler did with one policy file at one check."""

    policy: Path
    policy_id: str | None
    outcome: Outcome
    exit_code: int
    message: str
    version: int | None = None

    def line(self) -> str:
        """One line for a person: "<policy id>: <what happened>" ("error: ..." on failure)."""
        prefix = "error: " if self.outcome == "error" else ""
        return f"{prefix}{self.policy_id or self.policy}: {self.message}"


def previous_fire(cron: str, now: datetime) -> datetime:
    """The most recent time at or before ``now`` (UTC) that ``cron`` fires."""
    from croniter import croniter

    # cron fires on whole minutes; from one second past `now`, a fire exactly at `now` counts
    start = _utc(now).replace(microsecond=0) + timedelta(seconds=1)
    fired: datetime = croniter(cron, start).get_prev(datetime)
    return fired


def next_fire(cron: str, now: datetime) -> datetime:
    """The first time after ``now`` (UTC) that ``cron`` fires."""
    from croniter import croniter

    fires: datetime = croniter(cron, _utc(now)).get_next(datetime)
    return fires


def due(policy: Policy, last_run: datetime | None, now: datetime) -> bool:
    """True when ``policy`` has a schedule that fired after its last run (or it never ran)."""
    if policy.schedule is None:
        return False
    if last_run is None:
        return True
    return _utc(last_run) < previous_fire(policy.schedule.cron, now)


def run_due(
    policies: Sequence[Path],
    out: Path,
    now: datetime,
    *,
    generate: Generate | None = None,
) -> list[ScheduledRun]:
    """Run every policy of ``policies`` that is due at ``now``; one entry per policy file.

    A run that fails is recorded in the history index as an 'error' run, so it is retried at
    the next fire time rather than at every check. Never raises for one policy's problem.
    """
    run = generate or _generate_report
    return [_run_one(Path(p), Path(out), now, run) for p in policies]


def serve(
    policies: Sequence[Path],
    out: Path,
    *,
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
    interval: float = 60.0,
    max_checks: int | None = None,
    report: Callable[[ScheduledRun], None] = lambda _r: None,
    generate: Generate | None = None,
) -> int:
    """Check ``policies`` every ``interval`` seconds (``max_checks`` times, or forever).

    Returns the highest exit code of the runs: 1 a gate failed, 2 a policy is invalid, 3 an error.
    """
    worst, checks = _OK, 0
    while True:
        for result in run_due(policies, out, now(), generate=generate):
            report(result)
            worst = max(worst, result.exit_code)
        checks += 1
        if max_checks is not None and checks >= max_checks:
            return worst
        sleep(interval)


def _run_one(path: Path, out: Path, now: datetime, generate: Generate) -> ScheduledRun:
    try:
        policy = load_policy(path).policy
    except PolicyError as exc:
        return ScheduledRun(path, None, "error", exc.exit_code, str(exc))
    if policy.schedule is None:
        return ScheduledRun(path, policy.id, "unscheduled", _OK, "no schedule.cron; skipped")
    try:
        last = last_run(out, policy.id)
    except RegistryError as exc:
        return ScheduledRun(path, policy.id, "error", exc.exit_code, str(exc))
    if not due(policy, last, now):
        cron = policy.schedule.cron
        return ScheduledRun(
            path,
            policy.id,
            "not_due",
            _OK,
            f"not due (last run {utc_iso(last or now)}, next {utc_iso(next_fire(cron, now))})",
        )
    return _generate(path, out, policy.id, generate)


def _generate(path: Path, out: Path, policy_id: str, generate: Generate) -> ScheduledRun:
    from reportgen.pipeline import NoChange

    try:
        result = generate(path, out)
    except Exception as exc:  # one policy's failure must not stop the others, nor the loop
        code = exc.exit_code if isinstance(exc, ReportgenError) else _ERROR
        message = str(exc) if isinstance(exc, ReportgenError) else f"internal error: {exc!r}"
        with suppress(RegistryError):  # an unusable index too: the run's own error is reported
            record_run(out, policy_id, "error", detail=message)
        return ScheduledRun(path, policy_id, "error", code, message)
    if isinstance(result, NoChange):
        number = result.latest.version
        return ScheduledRun(path, policy_id, "no_change", _OK, f"no change since v{number}", number)
    published = result.published
    failed = result.document.failed
    note = "; at least one gate failed (the report says which)" if failed else ""
    return ScheduledRun(
        path,
        policy_id,
        "published",
        _GATE_FAILED if failed else _OK,
        f"published v{published.version} ({published.path}){note}",
        published.version,
    )


def _generate_report(policy: Path, out: Path) -> Report | NoChange:
    from reportgen.pipeline import generate_report

    return generate_report(policy, out)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
