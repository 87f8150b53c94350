"""Immutable report versions: ``<out>/<policy id>/v<N>/``, published atomically.

A version is assembled in a hidden temporary folder beside the versions and renamed into place
only when every file and the manifest are written, so a reader never sees a half version, and
an existing version is never overwritten (renaming onto it fails). This module knows nothing of
rendering or analyses: the caller supplies a function that writes the version's files.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.errors import RegistryError
from reportgen.registry.folders import folder_problem
from reportgen.registry.lock import DEFAULT_LOCK_TIMEOUT, policy_lock
from reportgen.registry.manifest import (
    MANIFEST,
    build_manifest,
    manifest_sha256,
    read_manifest,
    unpublished_folder,
)
from reportgen.results.io import canonical_json
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


def publish(
    out: Path,
    policy_id: str,
    write: Callable[[Path, int], None],
    *,
    inputs: dict[str, Any],
    created_at: str,
    sign: Callable[[bytes], dict[str, bytes]] | None = None,
    on_published: Callable[[Published], None] | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    on_wait: Callable[[str], None] | None = None,
) -> Published:
    """Publish the next version of ``policy_id`` under ``out``.

    Runs hold an exclusive lock on the policy folder from choosing the number to the rename, so
    concurrent runs get consecutive numbers and each manifest links to its predecessor's hash.

    Args:
        write: writes the version's files into the folder it is given, for version number N.
        inputs: content hashes of the policy, models and datasets, recorded in the manifest.
        created_at: ISO time of the run, recorded in the manifest.
        sign: given the manifest's bytes, returns extra files (name -> bytes) to publish with it.
        on_published: called with the new version while the lock is still held (to index it).
        lock_timeout: seconds to wait for another run's lock (see :mod:`registry.lock`).
        on_wait: told, in one sentence, whom the run waits for when the lock is taken.

    Raises:
        RegistryError: the output folder is unusable, the lock stayed taken for
            ``lock_timeout`` seconds, or the version appeared meanwhile.
    """
    policy_dir = out / policy_id
    try:
        policy_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RegistryError(
            f"{policy_dir}: cannot create the report folder ({exc.strerror})"
        ) from exc
    with policy_lock(policy_dir, timeout=lock_timeout, on_wait=on_wait):
        published = _publish_locked(policy_dir, policy_id, write, inputs, created_at, sign)
        if on_published is not None:
            on_published(published)
    return published


def _publish_locked(
    policy_dir: Path,
    policy_id: str,
    write: Callable[[Path, int], None],
    inputs: dict[str, Any],
    created_at: str,
    sign: Callable[[bytes], dict[str, bytes]] | None,
) -> Published:
    _sweep_staging(policy_dir)
    existing = checked_versions(policy_dir)
    version = (existing or [0])[-1] + 1
    previous = manifest_sha256(policy_dir / f"v{existing[-1]}") if existing else None
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".v{version}-", dir=policy_dir))
    except OSError as exc:
        raise _unwritable(policy_dir, version, exc) from exc
    try:
        write(staging, version)
        manifest = build_manifest(
            staging,
            policy_id=policy_id,
            version=version,
            inputs=inputs,
            created_at=created_at,
            previous=previous,
        )
        manifest_bytes = canonical_json(manifest)
        (staging / MANIFEST).write_bytes(manifest_bytes)
        for name, data in (sign(manifest_bytes) if sign else {}).items():
            (staging / name).write_bytes(data)
        _sync(staging)
        staging.chmod(_folder_mode())  # mkdtemp made it private; a version is for its readers
        target = policy_dir / f"v{version}"
        try:
            os.rename(staging, target)
        except OSError as exc:
            raise RegistryError(
                f"{target}: version {version} was published by another run meanwhile; run again"
            ) from exc
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):  # a full disk, a folder made read-only meanwhile, ...
            raise _unwritable(policy_dir, version, exc) from exc
        raise
    return Published(version, target, manifest)


def _unwritable(policy_dir: Path, version: int, exc: OSError) -> RegistryError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "the disk is full" if exc.errno == errno.ENOSPC else "the disk quota is used up"
        return RegistryError(
            f"{policy_dir}: {why}, so v{version} could not be written; nothing was published; "
            "free some space and run again"
        )
    return RegistryError(
        f"{policy_dir}: v{version} could not be written ({exc.strerror or exc}); nothing was "
        "published"
    )


def _sweep_staging(policy_dir: Path) -> None:
    """Remove staging folders of publishers that died: under the lock, no live one exists."""
    for leftover in policy_dir.glob(".v*-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)


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


def draft_manifest(
    folder: Path, policy_id: str, version: int, *, inputs: dict[str, Any], created_at: str
) -> Manifest:
    """The manifest of version ``version`` for the files now in ``folder``, a staging folder
    that publish gave a ``write`` function (so the previous version lies beside it).

    A writer embeds this draft in a file it writes later (the PDF): the draft lists every file
    written before it, with the same inputs and previous-manifest link as the final manifest.
    """
    previous_dir = folder.parent / f"v{version - 1}"
    previous = manifest_sha256(previous_dir) if version > 1 and previous_dir.is_dir() else None
    return build_manifest(
        folder,
        policy_id=policy_id,
        version=version,
        inputs=inputs,
        created_at=created_at,
        previous=previous,
    )


def _folder_mode() -> int:
    """The mode a plain mkdir would give a new folder under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def _sync(folder: Path) -> None:
    """Flush the version's files to disk before it becomes visible."""
    for path in folder.iterdir():
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
