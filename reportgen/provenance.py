"""Where the running reportgen came from: the git commit of its source checkout, if any."""

from __future__ import annotations

import subprocess
from pathlib import Path

import reportgen

_GIT_TIMEOUT_SECONDS = 5.0


def source_root() -> Path:
    """The folder holding the ``reportgen`` package (a checkout's root when run from one)."""
    return Path(reportgen.__file__).resolve().parent.parent


def source_commit(root: Path | None = None) -> str | None:
    """The commit checked out at ``root`` (default :func:`source_root`), or None.

    None when git is missing, slow or fails, or when ``root`` is not the top of a git
    checkout (an installed package inside some other repository reports None, not that
    repository's commit). Never raises.
    """
    root = (root or source_root()).resolve()
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel", "HEAD"],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) != 2:
        return None
    top, commit = lines
    if Path(top).resolve() != root or len(commit) not in (40, 64):
        return None
    return commit
