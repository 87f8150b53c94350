"""Publishing a version in a test as a run does: open the registry's publication, write the
files into its staging folder, commit, index.

A plain module (not conftest) so tests in other folders can import it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from reportgen.registry import Published, open_publication
from reportgen.registry.history import record_version
from reportgen.registry.publication import Signer
from reportgen.results import ResultDocument

Write = Callable[[Path, int], None]
"""Writes a version's files into the staging folder it is given, for version number N."""


def publish_files(
    out: Path,
    policy_id: str,
    write: Write | None = None,
    *,
    inputs: dict[str, Any] | None = None,
    created_at: str = "t",
    sign: Signer | None = None,
    index: ResultDocument | None = None,
    **options: Any,
) -> Published:
    """Publish the next version of ``policy_id`` with the files ``write`` writes; with
    ``index``, record it in the history index while the lock is held, as the pipeline does.
    ``options`` go to :func:`open_publication` (lock_timeout, on_wait)."""
    with open_publication(
        out, policy_id, inputs=inputs or {}, created_at=created_at, **options
    ) as publication:
        if write is not None:
            write(publication.staging, publication.version)
        published = publication.commit(sign=sign)
        if index is not None:
            record_version(out, published, index)
    return published
