"""Release a verified version as one deterministic archive: ``<policy>-v<N>-<tag>.tar.gz``.

Inside, one folder named like the archive holds RELEASE.json (tag, policy, version, manifest
hash, signer fingerprint) and ``v<N>/``: every file the manifest lists (report.html,
report.pdf, results.json, ...), manifest.json, and manifest.sig and signer.pub when signed, so
``reportgen verify`` works on the extracted ``v<N>/``. The same version and tag always give the
same bytes: members are sorted, owned by uid/gid 0 with fixed modes, dated by the manifest's
``created_at``, and the gzip header carries no time or name.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from reportgen.errors import RegistryError
from reportgen.registry.manifest import MANIFEST, parse_manifest, sha256_bytes
from reportgen.registry.signing import PUBLIC_KEY_FILE, SIGNATURE_FILE
from reportgen.registry.verify import VerifyReport, verify_version
from reportgen.results.io import canonical_json

RELEASE_FILE = "RELEASE.json"
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")


class ReleaseRefused(RegistryError):
    """The version fails verification, so it is not released (exit code 1, like `verify`)."""

    exit_code = 1

    def __init__(self, message: str, report: VerifyReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class Release:
    """A written release archive and the RELEASE.json inside it."""

    archive: Path
    info: dict[str, Any]
    report: VerifyReport


def check_tag(tag: str) -> str:
    """Return ``tag`` if it can be part of a file name, else raise.

    Raises:
        RegistryError: the tag is empty, too long, or has characters other than letters,
            digits and ``. _ + -`` (or starts with one of those four).
    """
    if not _TAG.match(tag):
        raise RegistryError(
            f"release tag {tag!r} must be 1 to 128 letters, digits, '.', '_', '+' or '-', "
            "starting with a letter or digit"
        )
    return tag


def release_version(
    version_dir: Path, *, tag: str, out: Path, public_keys: Sequence[Path] = ()
) -> Release:
    """Verify ``version_dir``, then write its release archive into ``out``.

    Writing the same release twice is harmless (the bytes are identical); a different archive
    of the same name is never overwritten.

    Raises:
        ReleaseRefused: the version fails verification (its files, its signature, or the chain
            behind it: a chain that was signed must stay signed by a trusted key); nothing is
            written.
        RegistryError: not a version, bad tag, or the archive cannot be written.
    """
    check_tag(tag)
    report = verify_version(version_dir, public_keys=public_keys)
    if not report.ok:
        count = len(report.problems)
        raise ReleaseRefused(
            f"{version_dir}: fails verification with {count} problem{'s' * (count != 1)}; "
            "nothing was released",
            report,
        )
    info = _release_info(report, tag)
    stem = f"{info['policy_id']}-v{info['version']}-{tag}"
    data = archive_bytes(version_dir, stem, info)
    return Release(_write_once(out / f"{stem}.tar.gz", data), info, report)


def _release_info(report: VerifyReport, tag: str) -> dict[str, Any]:
    return {
        "kind": "reportgen.release",
        "schema_version": "1.0",
        "tag": tag,
        "policy_id": report.policy_id,
        "version": report.version,
        "manifest_sha256": report.manifest_sha256,
        "public_key_fingerprint": report.fingerprint,
    }


def archive_bytes(version_dir: Path, stem: str, info: dict[str, Any]) -> bytes:
    """The gzipped tar of ``stem/RELEASE.json`` and ``stem/v<N>/``, the version's files.

    Raises:
        RegistryError: a file no longer has the hash verified a moment ago.
    """
    manifest_bytes = (version_dir / MANIFEST).read_bytes()
    manifest = parse_manifest(manifest_bytes, version_dir / MANIFEST)
    expected = {**manifest.files, MANIFEST: info["manifest_sha256"]}
    names = [*expected, SIGNATURE_FILE, PUBLIC_KEY_FILE]
    found = {n: (version_dir / n).read_bytes() for n in names if (version_dir / n).is_file()}
    for name, digest in expected.items():
        if sha256_bytes(found.get(name, b"")) != digest:
            raise RegistryError(f"{version_dir / name}: changed while being released; run again")
    files = {f"v{info['version']}/{name}": data for name, data in found.items()}
    files[RELEASE_FILE] = canonical_json(info)
    mtime = _manifest_time(manifest.created_at)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            member = tarfile.TarInfo(f"{stem}/{name}")
            member.size, member.mtime, member.mode = len(files[name]), mtime, 0o644
            member.uid = member.gid = 0
            member.uname = member.gname = ""
            tar.addfile(member, io.BytesIO(files[name]))
    return gzip.compress(buffer.getvalue(), compresslevel=9, mtime=0)


def _manifest_time(created_at: str) -> int:
    """The manifest's created_at as Unix seconds; 0 when it is not an ISO time."""
    try:
        return max(0, int(datetime.fromisoformat(created_at).timestamp()))
    except ValueError:
        return 0


def _write_once(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, never replacing a different file."""
    if path.is_file() and path.read_bytes() == data:
        return path
    partial: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(partial, 0o666 & ~_umask())
        os.link(partial, path)  # fails, rather than replaces, when the name is taken
    except FileExistsError as exc:
        raise RegistryError(
            f"{path}: a different release archive exists; refusing to replace it"
        ) from exc
    except OSError as exc:
        raise RegistryError(f"{path}: cannot write the release archive ({exc.strerror})") from exc
    finally:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
