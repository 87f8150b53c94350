"""`reportgen schedule`: when a policy is due, what a check does, and the loop around it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.errors import InputError
from reportgen.pipeline import NoChange
from reportgen.policy import load_policy
from reportgen.policy.trail import ScheduleSpec
from reportgen.registry import Published
from reportgen.registry.history import last_run, list_runs, list_versions, record_run
from reportgen.results.trail import Manifest
from reportgen.scheduling import due, previous_fire, run_due, serve
from tests.conftest import ROOT, policy_with
from tests.test_end_to_end import small

MONDAYS_6AM = "0 6 * * 1"  # 2024-01-08 is a Monday


def tiny(tmp_path: Path, *, name: str = "credit.yaml", **changes: Any) -> Path:
    """The credit policy cut to the cheapest run that still publishes (HTML only, no checks)."""
    folder = tmp_path / Path(name).stem
    folder.mkdir(exist_ok=True)
    path = small(policy_with(ROOT / "policies" / "credit.yaml", folder))
    data = yaml.safe_load(path.read_text())
    data["explanations"]["global"] = {"methods": ["permutation"]}
    data["explanations"]["local"] = {"methods": ["shap"], "sample_size": 1, "top_k": 3}
    data["report"] = {"formats": ["html"]}
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    target = tmp_path / name
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def policy():
    return load_policy(ROOT / "policies" / "credit.yaml").policy


def scheduled(policy, cron: str):
    return policy.model_copy(update={"schedule": ScheduleSpec(cron=cron)})


@pytest.mark.parametrize(
    ("cron", "last", "now", "expected"),
    [
        (MONDAYS_6AM, None, "2024-01-10 12:00", True),  # never ran
        (MONDAYS_6AM, "2024-01-08 06:30", "2024-01-10 12:00", False),  # ran after Monday's fire
        (MONDAYS_6AM, "2024-01-08 05:00", "2024-01-08 07:00", True),  # ran before it
        (MONDAYS_6AM, "2024-01-05 09:00", "2024-01-08 05:59:59", False),  # not yet fired
        (MONDAYS_6AM, "2024-01-05 09:00", "2024-01-08 06:00:00", True),  # fires at `now` itself
        (MONDAYS_6AM, "2024-01-08 06:00:00", "2024-01-08 06:00:00", False),  # ran as it fired
        (MONDAYS_6AM, "2023-12-20 09:00", "2024-01-03 09:00", True),  # missed fires: one run
        ("*/15 * * * *", "2024-01-08 10:14", "2024-01-08 10:15:30", True),
        ("*/15 * * * *", "2024-01-08 10:15", "2024-01-08 10:29:59", False),
        ("0 0 1 * *", "2024-01-31 23:00", "2024-02-01 00:00:01", True),  # monthly
    ],
)
def test_due_compares_the_last_run_with_the_latest_fire_time(policy, cron, last, now, expected):
    assert due(scheduled(policy, cron), at(last) if last else None, at(now)) is expected


def test_due_reads_times_in_any_zone_as_utc(policy):
    monday = scheduled(policy, MONDAYS_6AM)
    paris = timezone(timedelta(hours=1))
    # 06:30 in Paris is 05:30 UTC: Monday's 06:00 UTC fire has not happened yet
    assert not due(monday, at("2024-01-05 09:00"), datetime(2024, 1, 8, 6, 30, tzinfo=paris))
    assert due(monday, at("2024-01-05 09:00"), datetime(2024, 1, 8, 7, 30, tzinfo=paris))
    assert previous_fire(MONDAYS_6AM, at("2024-01-10 00:00")) == at("2024-01-08 06:00")


def test_a_policy_without_a_schedule_is_never_due(policy):
    assert policy.schedule is None
    assert not due(policy, None, at("2024-01-10 12:00"))


def no_change(calls: list[Path]):
    """A stand-in for generate_report that records a 'no change' run, as the real one does."""

    def generate(policy: Path, out: Path) -> NoChange:
        calls.append(policy)
        policy_id = load_policy(policy).policy.id
        record_run(out, policy_id, "no_change", version=1)
        manifest = Manifest(
            policy_id=policy_id,
            version=1,
            created_at="2024-01-08T06:00:00+00:00",
            reportgen_version="0.1.0",
            files={},
            inputs={},
            previous_manifest_sha256=None,
        )
        return NoChange(policy_id, Published(1, out / policy_id / "v1", manifest), "f" * 64)

    return generate


def test_run_due_runs_each_due_policy_once_and_records_failures(tmp_path):
    weekly = tiny(tmp_path, name="weekly.yaml", id="weekly", schedule={"cron": MONDAYS_6AM})
    broken = tiny(tmp_path, name="broken.yaml", id="broken", schedule={"cron": MONDAYS_6AM})
    plain = tiny(tmp_path, name="plain.yaml", id="plain")
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("id: Not A Slug\n")
    out, calls = tmp_path / "reports", []
    fake = no_change(calls)

    def generate(policy: Path, out: Path):
        if policy == broken:
            raise InputError(f"{policy}: the data file is gone")
        return fake(policy, out)

    now = datetime.now(UTC)
    first = run_due([weekly, broken, plain, invalid], out, now, generate=generate)
    assert [(r.policy_id, r.outcome, r.exit_code) for r in first] == [
        ("weekly", "no_change", 0),
        ("broken", "error", 3),
        ("plain", "unscheduled", 0),
        (None, "error", 2),
    ]
    assert first[1].line() == f"error: broken: {broken}: the data file is gone"
    assert first[0].line() == "weekly: no change since v1"
    assert [r.outcome for r in list_runs(out, "broken")] == ["error"]
    assert last_run(out, "broken") is not None

    again = run_due([weekly, broken, plain], out, now, generate=generate)  # the same `now`
    assert [r.outcome for r in again] == ["not_due", "not_due", "unscheduled"]
    assert again[0].message.startswith("not due (last run ")
    assert calls == [weekly]  # the failed one waits for the next fire, not the next check


def test_serve_checks_every_interval_and_stops_after_max_checks(tmp_path):
    every_quarter = tiny(tmp_path, id="quarterly", schedule={"cron": "*/15 * * * *"})
    start = datetime.now(UTC)
    clock = iter([start + timedelta(minutes=15 * k) for k in range(3)])
    slept: list[float] = []
    seen: list[str] = []
    calls: list[Path] = []
    worst = serve(
        [every_quarter],
        tmp_path / "reports",
        now=lambda: next(clock),
        sleep=slept.append,
        interval=60,
        max_checks=3,
        report=lambda r: seen.append(r.outcome),
        generate=no_change(calls),
    )
    assert (worst, slept, seen) == (0, [60, 60], ["no_change"] * 3)  # a fire between checks

    calls.clear()
    serve(
        [every_quarter],
        tmp_path / "other",
        now=lambda: start,
        sleep=slept.append,
        max_checks=3,
        generate=no_change(calls),
    )
    assert calls == [every_quarter]  # ran once, then not due at the same time


def test_schedule_once_publishes_v1_then_reports_not_due(tmp_path):
    policy = tiny(tmp_path, schedule={"cron": MONDAYS_6AM})
    out = tmp_path / "reports"
    args = ["schedule", str(policy), "--once", "--out", str(out)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert first.stdout == f"credit-scoring: published v1 ({out / 'credit-scoring' / 'v1'})\n"
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert second.stdout.startswith("credit-scoring: not due (last run ")
    assert [v.version for v in list_versions(out)] == [1]


def test_schedule_without_policies_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["schedule", "--once"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: no POLICY given and no policies/*.yaml here; name the policy files to run\n"
    )
