"""A version's ``manifest.json``: the one place that writes it and the one reader of it.

The manifest lists the sha256 of every file of the version, the content hashes of the run's
inputs, and the sha256 of the previous version's manifest (the hash chain). Its type,
:class:`~reportgen.results.trail.Manifest`, is plain data; this module hashes folders into one
and reads one back from a version folder.

``verify`` and the chain check (:mod:`reportgen.registry.verify`, :mod:`reportgen.registry.chain`)
read a manifest's raw bytes instead, on purpose: they judge a manifest that may be damaged and
name each thing wrong with it, where :func:`read_manifest` refuses a damaged one whole.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import JsonValue, ValidationError

from reportgen import __version__
from reportgen.errors import RegistryError
from reportgen.results.trail import Manifest

MANIFEST = "manifest.json"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_sha256(version_dir: Path) -> str:
    """The sha256 of a version's manifest.json: the link the next version's manifest records."""
    return sha256_bytes((version_dir / MANIFEST).read_bytes())


def unpublished_folder(folder: Path) -> RegistryError:
    """The error for a ``v<N>`` folder without a manifest: not a version, whatever it holds."""
    return RegistryError(
        f"{folder}: has no {MANIFEST}, so it is not a published version (damaged, or made by "
        f"hand); move it out of {folder.parent}"
    )


def read_manifest(version_dir: Path) -> Manifest:
    """The manifest of the version in ``version_dir``.

    Raises:
        RegistryError: the folder has no manifest, or it is unreadable or not a reportgen
            manifest; the message names the file and the first problem.
    """
    path = version_dir / MANIFEST
    if not path.is_file():
        raise unpublished_folder(version_dir)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc.strerror or str(exc)) from exc
    return parse_manifest(data, path)


def parse_manifest(data: bytes, path: Path) -> Manifest:
    """The manifest held in ``data``, the bytes of the file at ``path``.

    Raises:
        RegistryError: not JSON, or not a reportgen manifest.
    """
    try:
        return Manifest.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise _unreadable(path, f"{where}: {first['msg']}") from exc


def _unreadable(path: Path, reason: str) -> RegistryError:
    return RegistryError(
        f"{path}: not a readable reportgen manifest ({reason}); run reportgen verify on it"
    )


def build_manifest(
    folder: Path,
    *,
    policy_id: str,
    version: int,
    inputs: dict[str, JsonValue],
    created_at: str,
    previous: str | None,
) -> Manifest:
    """The manifest of version ``version`` for the files now in ``folder``.

    Args:
        inputs: content hashes of the policy, models and datasets (see ``assemble.input_hashes``).
        created_at: ISO time of the run.
        previous: sha256 of the previous version's manifest file; None for version 1.
    """
    files = {p.name: sha256_bytes(p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file()}
    return Manifest(
        policy_id=policy_id,
        version=version,
        created_at=created_at,
        reportgen_version=__version__,
        files=files,
        inputs=inputs,
        previous_manifest_sha256=previous,
    )
