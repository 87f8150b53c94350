"""Immutable report versions: ``<out>/<policy id>/v<N>/``, numbered v1..vN without a gap.

This module finds and checks the versions of a policy folder; :mod:`registry.publication`
adds one. It knows nothing of rendering or analyses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reportgen.errors import RegistryError
from reportgen.registry.folders import folder_problem
from reportgen.registry.manifest import (
    MANIFEST,
    read_manifest,
    unpublished_folder,
)
from reportgen.results.trail import Manifest

_VERSION_DIR = re.compile(r"^v([1-9][0-9]*)$")


@dataclass(frozen=True)
class Published:
    """A published version: its number, folder and manifest."""

    version: int
    path: Path
    manifest: Manifest


def versions(policy_dir: Path) -> list[int]:
    """Published version numbers under ``policy_dir``, ascending."""
    if not policy_dir.is_dir():
        return []
    found = (_VERSION_DIR.match(p.name) for p in policy_dir.iterdir() if p.is_dir())
    return sorted(int(m.group(1)) for m in found if m)


def check_publishable(out: Path, policy_id: str) -> None:
    """Fail now, before computing, when ``out`` could not take the next version of a policy:
    ``out`` or its policy folder is a file or not writable, or the versions are damaged.

    Raises:
        RegistryError: one sentence naming the path and the repair; nothing was published.
    """
    for folder in (out, out / policy_id):
        problem = folder_problem(folder)
        if problem is not None:
            raise RegistryError(f"{problem} (nothing was published)")
    checked_versions(out / policy_id)


def checked_versions(policy_dir: Path) -> list[int]:
    """The version numbers of ``policy_dir`` when they form a chain a run can extend: v1..vN,
    each a folder holding a manifest.

    Raises:
        RegistryError: a file named like a version, a version folder without a manifest, or a
            version missing in the middle; each message says how to repair it.
    """
    if not policy_dir.is_dir():
        return []
    for path in sorted(policy_dir.iterdir()):
        if _VERSION_DIR.match(path.name) and not path.is_dir():
            raise stray_file(path)
    found = versions(policy_dir)
    for number in found:
        if not (policy_dir / f"v{number}" / MANIFEST).is_file():
            raise unpublished_folder(policy_dir / f"v{number}")
    missing = sorted(set(range(1, (found or [0])[-1] + 1)) - set(found))
    if missing:
        names, verb = _ranges(missing), "is" if len(missing) == 1 else "are"
        them = "it" if len(missing) == 1 else "them"
        raise RegistryError(
            f"{policy_dir}: {names} {verb} missing from v1..v{found[-1]}, so the hash chain is "
            f"broken; restore {them} from a backup, or move {policy_dir} away to start a new chain"
        )
    return found


def stray_file(path: Path) -> RegistryError:
    """The error for a file named like a version (``v2``) in a policy folder."""
    return RegistryError(
        f"{path}: is a file where a version folder belongs; move it out of {path.parent}"
    )


def _ranges(numbers: list[int]) -> str:
    """[2, 3, 4, 7] -> 'v2 to v4, v7'."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and runs[-1][-1] == number - 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"v{r[0]}" if len(r) == 1 else f"v{r[0]} to v{r[-1]}" for r in runs)


def folder_number(path: Path) -> int | None:
    """N for a folder named ``v<N>``, else None."""
    match = _VERSION_DIR.match(path.name)
    return int(match.group(1)) if match else None


def latest(policy_dir: Path) -> Published | None:
    """The newest published version of a policy folder, if any.

    Raises:
        RegistryError: the versions do not form a chain a run can extend (see
            :func:`checked_versions`), or the latest manifest is not readable.
    """
    found = checked_versions(policy_dir)
    if not found:
        return None
    folder = policy_dir / f"v{found[-1]}"
    return Published(found[-1], folder, read_manifest(folder))
