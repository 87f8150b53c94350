"""The publishing lock of one policy's report folder: ``<out>/<policy id>/.lock``.

A run holds an exclusive ``flock`` on it from choosing the next version number until the
version is renamed into place and indexed, and writes who it is into it (pid, host, command,
start time). A run that finds the lock taken says whom it waits for and gives up after a
timeout, so a hung publisher never blocks a scheduled run silently. The kernel releases the
lock of a process that dies.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from reportgen.errors import RegistryError

LOCK_FILE = ".lock"
DEFAULT_LOCK_TIMEOUT = 600.0
"""Seconds a run waits for another run's publishing lock before giving up."""


@contextmanager
def policy_lock(
    policy_dir: Path,
    *,
    timeout: float = DEFAULT_LOCK_TIMEOUT,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """An exclusive, process-wide lock on one policy's report folder.

    Args:
        timeout: seconds to wait when another run holds the lock.
        on_wait: called once, with a sentence naming the holder, when the lock is taken.

    Raises:
        RegistryError: the lock was still held after ``timeout`` seconds.
    """
    path = policy_dir / LOCK_FILE
    try:
        opened = path.open("a")
    except OSError as exc:
        raise RegistryError(
            f"{path}: cannot open the publishing lock ({exc.strerror}); nothing was published"
        ) from exc
    with opened as handle:
        _acquire(handle, path, timeout, on_wait)
        with suppress(OSError):  # who holds it is for people; a full disk must not stop us here
            _record_holder(handle)
        try:
            yield
        finally:
            with suppress(OSError):
                handle.truncate(0)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def holder(path: Path) -> str:
    """Who holds the lock at ``path``, in words, from what the holder wrote into it."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        return (
            f"pid {int(found['pid'])} on {found['host']} "
            f"({found['command']}, since {found['since']})"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "another run (it recorded no details)"


def _acquire(
    handle: IO[str], path: Path, timeout: float, on_wait: Callable[[str], None] | None
) -> None:
    if _try_lock(handle):
        return
    folder = path.parent
    if on_wait is not None:
        on_wait(f"{folder}: waiting up to {timeout:g} s for {holder(path)} to finish publishing")
    deadline, delay = time.monotonic() + timeout, 0.05
    while not _try_lock(handle):
        left = deadline - time.monotonic()
        if left <= 0:
            raise RegistryError(
                f"{folder}: gave up after {timeout:g} s waiting for {holder(path)} to finish "
                "publishing; nothing was published; run again once it has finished, or raise "
                "--lock-timeout"
            )
        time.sleep(min(delay, left))
        delay = min(delay * 2, 1.0)


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _record_holder(handle: IO[str]) -> None:
    """Write who holds the lock into the lock file (opened for appending: truncate first)."""
    argv = sys.argv or ["python"]
    me = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": shlex.join([Path(argv[0]).name, *argv[1:]]),
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    handle.truncate(0)
    handle.write(json.dumps(me, sort_keys=True) + "\n")
    handle.flush()
