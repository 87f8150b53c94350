"""Immutable report versions: ``<out>/<policy id>/v<N>/``, published atomically.

A version is assembled in a hidden temporary folder beside the versions and renamed into place
only when every file and the manifest are written, so a reader never sees a half version, and
an existing version is never overwritten (renaming onto it fails). This module knows nothing of
rendering or analyses: the caller supplies a function that writes the version's files.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen import __version__
from reportgen.errors import RegistryError
from reportgen.results.io import canonical_json

MANIFEST = "manifest.json"
_VERSION_DIR = re.compile(r"^v([1-9][0-9]*)$")


@dataclass(frozen=True)
class Published:
    """A published version: its number, folder and manifest."""

    version: int
    path: Path
    manifest: dict[str, Any]


def versions(policy_dir: Path) -> list[int]:
    """Published version numbers under ``policy_dir``, ascending."""
    if not policy_dir.is_dir():
        return []
    found = (_VERSION_DIR.match(p.name) for p in policy_dir.iterdir() if p.is_dir())
    return sorted(int(m.group(1)) for m in found if m)


def publish(
    out: Path,
    policy_id: str,
    write: Callable[[Path, int], None],
    *,
    inputs: dict[str, Any],
    created_at: str,
) -> Published:
    """Publish the next version of ``policy_id`` under ``out``.

    Args:
        write: writes the version's files into the folder it is given, for version number N.
        inputs: content hashes of the policy, models and datasets, recorded in the manifest.
        created_at: ISO time of the run, recorded in the manifest.

    Raises:
        RegistryError: the output folder is unusable, or the version appeared meanwhile.
    """
    policy_dir = out / policy_id
    try:
        policy_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RegistryError(
            f"{policy_dir}: cannot create the report folder ({exc.strerror})"
        ) from exc
    version = (versions(policy_dir) or [0])[-1] + 1
    staging = Path(tempfile.mkdtemp(prefix=f".v{version}-", dir=policy_dir))
    try:
        write(staging, version)
        manifest = _manifest(staging, policy_id, version, inputs, created_at)
        (staging / MANIFEST).write_bytes(canonical_json(manifest))
        _sync(staging)
        staging.chmod(_folder_mode())  # mkdtemp made it private; a version is for its readers
        target = policy_dir / f"v{version}"
        try:
            os.rename(staging, target)
        except OSError as exc:
            raise RegistryError(
                f"{target}: version {version} was published by another run meanwhile; run again"
            ) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Published(version, target, manifest)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(
    folder: Path, policy_id: str, version: int, inputs: dict[str, Any], created_at: str
) -> dict[str, Any]:
    files = {p.name: sha256_bytes(p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file()}
    return {
        "kind": "reportgen.manifest",
        "schema_version": "1.0",
        "policy_id": policy_id,
        "version": version,
        "created_at": created_at,
        "reportgen_version": __version__,
        "files": files,
        "inputs": inputs,
    }


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
