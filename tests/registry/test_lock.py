"""A run that finds another run publishing says whom it waits for, and gives up (issue #8).

Each test holds the lock in a real second process (forked, as the racing publishers of
tests/test_concurrency.py are), so the wait is on the kernel's flock, not on a stand-in.
"""

from __future__ import annotations

import json
import multiprocessing
import shlex
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.cli_common import LOCK_TIMEOUT
from reportgen.errors import RegistryError
from reportgen.registry import DEFAULT_LOCK_TIMEOUT, policy_lock, versions
from tests.registry.publishing import publish_files
from tests.render.render_fixture import make_document
from tests.test_schedule import tiny

CONTEXT = multiprocessing.get_context("fork")
COMMAND = shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]])  # what a forked child records


def hold(policy_dir: Path, holding: Any, release: Any, seconds: float) -> None:
    with policy_lock(policy_dir):
        holding.set()
        release.wait(seconds)


class Holder:
    """A second process holding a policy's publishing lock until released (or ``seconds``)."""

    def __init__(self, policy_dir: Path, seconds: float = 60.0) -> None:
        policy_dir.mkdir(parents=True, exist_ok=True)
        self.policy_dir = policy_dir
        self.holding, self.release = CONTEXT.Event(), CONTEXT.Event()
        self.process = CONTEXT.Process(
            target=hold, args=(policy_dir, self.holding, self.release, seconds)
        )

    def __enter__(self) -> Holder:
        self.process.start()
        assert self.holding.wait(timeout=30), "the holder never took the lock"
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.process.join(timeout=30)

    def words(self) -> str:
        """How a waiter names this holder: what it wrote into the lock file."""
        found = json.loads((self.policy_dir / ".lock").read_text())
        assert (found["pid"], found["host"], found["command"]) == (
            self.process.pid,
            socket.gethostname(),
            COMMAND,
        )
        assert abs(datetime.fromisoformat(found["since"]) - datetime.now(UTC)).seconds < 120
        return (
            f"pid {self.process.pid} on {socket.gethostname()} ({COMMAND}, since {found['since']})"
        )


def waiting(policy_dir: Path, seconds: str, holder: Holder) -> str:
    return f"{policy_dir}: waiting up to {seconds} s for {holder.words()} to finish publishing"


def gave_up(policy_dir: Path, seconds: str, holder: Holder) -> str:
    return (
        f"{policy_dir}: gave up after {seconds} s waiting for {holder.words()} to finish "
        "publishing; nothing was published; run again once it has finished, or raise "
        "--lock-timeout"
    )


def write(folder: Path, version: int) -> None:
    (folder / "report.html").write_text(f"v{version}")


def test_a_waiting_publisher_names_the_holder_and_gives_up_after_the_timeout(
    tmp_path: Path,
) -> None:
    policy_dir, heard = tmp_path / "credit", []
    with Holder(policy_dir) as holder:
        started = time.monotonic()
        with pytest.raises(RegistryError) as caught:
            publish_files(
                tmp_path, "credit", write, inputs={}, created_at="t",
                lock_timeout=0.5, on_wait=heard.append,
            )  # fmt: skip
        assert 0.5 <= time.monotonic() - started < 10
        assert heard == [waiting(policy_dir, "0.5", holder)]
        assert str(caught.value) == gave_up(policy_dir, "0.5", holder)
    assert caught.value.exit_code == 3
    assert sorted(p.name for p in policy_dir.iterdir()) == [".lock"]  # nothing published
    assert versions(policy_dir) == []


def test_a_waiting_publisher_publishes_once_the_holder_is_done(tmp_path: Path) -> None:
    policy_dir, heard = tmp_path / "credit", []
    with Holder(policy_dir, seconds=0.5) as holder:
        expected = waiting(policy_dir, "30", holder)
        published = publish_files(
            tmp_path, "credit", write, inputs={}, created_at="t",
            lock_timeout=30, on_wait=heard.append,
        )  # fmt: skip
    assert heard == [expected]
    assert published.version == 1
    assert (policy_dir / ".lock").read_text() == ""  # the holder's details go with the lock


def test_a_free_lock_is_taken_without_a_word(tmp_path: Path) -> None:
    heard: list[str] = []
    publish_files(tmp_path, "credit", write, inputs={}, created_at="t", on_wait=heard.append)
    assert heard == []


def test_a_lock_held_by_an_older_reportgen_is_named_as_another_run(tmp_path: Path) -> None:
    policy_dir = tmp_path / "credit"
    with Holder(policy_dir):
        (policy_dir / ".lock").write_text("")  # what a holder that records nothing leaves
        with pytest.raises(RegistryError) as caught:
            publish_files(tmp_path, "credit", write, inputs={}, created_at="t", lock_timeout=0)
    assert str(caught.value) == (
        f"{policy_dir}: gave up after 0 s waiting for another run (it recorded no details) to "
        "finish publishing; nothing was published; run again once it has finished, or raise "
        "--lock-timeout"
    )


def test_the_cli_default_is_the_registry_default() -> None:
    assert LOCK_TIMEOUT == DEFAULT_LOCK_TIMEOUT == 600


# --- the command line: run and schedule ---------------------------------------------------------


@pytest.fixture
def quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A policy whose computation is replaced by a ready document (policy id credit-default):
    these tests are about the lock, which is taken after computing."""
    monkeypatch.setattr("reportgen.pipeline.compute", lambda *args, **kw: make_document())
    return tiny(tmp_path, schedule={"cron": "* * * * *"})


def test_run_waits_on_stderr_and_exits_3_when_the_lock_stays_taken(
    tmp_path: Path, quick: Path
) -> None:
    out = tmp_path / "reports"
    policy_dir = out / "credit-default"
    with Holder(policy_dir) as holder:
        args = ["run", str(quick), "--out", str(out), "--lock-timeout", "0.5", "--json"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 3
        assert result.stderr == f"{waiting(policy_dir, '0.5', holder)}\n"
        summary = json.loads(result.stdout)
        assert (summary["exit_code"], summary["error"]) == (3, gave_up(policy_dir, "0.5", holder))
    assert versions(policy_dir) == []


def test_schedule_gives_up_the_same_way(tmp_path: Path, quick: Path) -> None:
    out = tmp_path / "reports"
    policy_dir = out / "credit-default"
    with Holder(policy_dir) as holder:
        args = ["schedule", str(quick), "--once", "--out", str(out), "--lock-timeout", "0.5"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 3
        assert result.stderr.splitlines() == [
            waiting(policy_dir, "0.5", holder),
            f"error: credit-scoring: {gave_up(policy_dir, '0.5', holder)}",
        ]
    assert versions(policy_dir) == []
