"""Publishing the next version of a policy's report: a session, opened, written into, committed.

::

    with open_publication(out, policy_id, inputs=inputs, created_at=created_at) as pub:
        ...write the version's files into pub.staging (pub.version is its number,
        pub.previous the version before it)...
        published = pub.commit(sign=sign)
        ...index it: the policy's lock is still held...

The session holds the policy's publishing lock from choosing the number to the end of the
``with`` block, so concurrent runs get consecutive numbers and each manifest links to its
predecessor's. Files are written into a hidden staging folder beside the versions; ``commit``
writes the manifest (and signature), flushes everything to disk and renames the folder into
place, so a reader never sees a half version and an existing version is never overwritten
(renaming onto it fails). Leaving the block without committing removes the staging folder; a
publisher that dies leaves it behind, and the next one sweeps it away under the lock.

The registry never calls back into its caller: the caller writes, then commits.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reportgen.errors import RegistryError
from reportgen.registry.lock import DEFAULT_LOCK_TIMEOUT, policy_lock
from reportgen.registry.manifest import MANIFEST, build_manifest, manifest_sha256
from reportgen.registry.store import Published, latest
from reportgen.results.io import canonical_json
from reportgen.results.trail import Manifest

Signer = Callable[[bytes], Mapping[str, bytes]]
"""Given the manifest's bytes, the files to publish beside it (signature, public key)."""


class Publication:
    """An open publication of version :attr:`version` of a policy (see :func:`open_publication`).

    Attributes:
        version: the number the version will have.
        previous: the latest published version, which this one follows; None for version 1.
        staging: the folder to write the version's files into (plain files, no subfolder).
        published: the version once committed, else None.
    """

    def __init__(
        self,
        policy_dir: Path,
        policy_id: str,
        previous: Published | None,
        *,
        inputs: dict[str, Any],
        created_at: str,
    ) -> None:
        self.policy_id = policy_id
        self.version = previous.version + 1 if previous else 1
        self.previous = previous
        self.published: Published | None = None
        self._policy_dir = policy_dir
        self._inputs = inputs
        self._created_at = created_at
        self._link = manifest_sha256(previous.path) if previous else None
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=f".v{self.version}-", dir=policy_dir))
        except OSError as exc:
            raise unwritable(policy_dir, self.version, exc) from exc

    def draft_manifest(self) -> Manifest:
        """The manifest of the files now in :attr:`staging`.

        It has the inputs and previous-manifest link of the final manifest, so a file written
        later (the PDF) can embed it: it then lists every file written before that one.
        """
        return build_manifest(
            self.staging,
            policy_id=self.policy_id,
            version=self.version,
            inputs=self._inputs,
            created_at=self._created_at,
            previous=self._link,
        )

    def commit(self, *, sign: Signer | None = None) -> Published:
        """Write the manifest (and ``sign``'s files), flush, and rename the staging folder to
        ``v<N>``; the version is then published.

        Raises:
            RegistryError: committed already, or ``v<N>`` appeared meanwhile (made by hand: a
                run never publishes without the lock).
            OSError: a file could not be written; :func:`open_publication` reports it.
        """
        target = self._policy_dir / f"v{self.version}"
        if self.published is not None:
            raise RegistryError(f"{target}: is committed already; open another publication")
        manifest = self.draft_manifest()
        data = canonical_json(manifest)
        (self.staging / MANIFEST).write_bytes(data)
        for name, extra in (sign(data) if sign else {}).items():
            (self.staging / name).write_bytes(extra)
        _sync(self.staging)
        self.staging.chmod(_folder_mode())  # mkdtemp made it private; a version is for readers
        try:
            os.rename(self.staging, target)
        except OSError as exc:
            raise RegistryError(
                f"{target}: version {self.version} was published by another run meanwhile; "
                "run again"
            ) from exc
        self.published = Published(self.version, target, manifest)
        return self.published


@contextmanager
def open_publication(
    out: Path,
    policy_id: str,
    *,
    inputs: dict[str, Any],
    created_at: str,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[Publication]:
    """Open the publication of the next version of ``policy_id`` under ``out``.

    Args:
        inputs: content hashes of the policy, models and datasets, recorded in the manifest.
        created_at: ISO time of the run, recorded in the manifest.
        lock_timeout: seconds to wait for another run's lock (see :mod:`registry.lock`).
        on_wait: told, in one sentence, whom the run waits for when the lock is taken.

    Raises:
        RegistryError: the output folder is unusable, the lock stayed taken for
            ``lock_timeout`` seconds, the versions are damaged or the latest manifest is
            unreadable; or, before the commit, a file could not be written (a full disk):
            then nothing was published.
    """
    policy_dir = out / policy_id
    try:
        policy_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RegistryError(
            f"{policy_dir}: cannot create the report folder ({exc.strerror})"
        ) from exc
    with policy_lock(policy_dir, timeout=lock_timeout, on_wait=on_wait):
        _sweep_staging(policy_dir)
        previous = latest(policy_dir)
        publication = Publication(
            policy_dir, policy_id, previous, inputs=inputs, created_at=created_at
        )
        try:
            yield publication
        except OSError as exc:  # a full disk, a folder made read-only meanwhile, ...
            if publication.published is None:
                raise unwritable(policy_dir, publication.version, exc) from exc
            raise
        finally:
            if publication.published is None:
                shutil.rmtree(publication.staging, ignore_errors=True)


def unwritable(policy_dir: Path, version: int, exc: OSError) -> RegistryError:
    """The error for a version that could not be written: nothing was published."""
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
