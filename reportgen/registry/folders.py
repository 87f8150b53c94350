"""Can reports be written into a folder? Asked before the expensive computation, not after.

The check walks up from the folder to the nearest path that exists: it must be a folder this
process may write into (``os.access``, so root, who writes anywhere, always may). A full disk
cannot be foreseen; publishing turns it into a RegistryError instead (see ``store``).
"""

from __future__ import annotations

import os
from pathlib import Path


def folder_problem(folder: Path) -> str | None:
    """Why files cannot be written into ``folder`` (created when missing), or None.

    The sentence names the path at fault and says what to do, e.g.
    ``"reports: is a file, not a folder; give --out a folder"``.
    """
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        if existing == folder:
            return f"{folder}: is a file, not a folder; give --out a folder"
        return f"{folder}: cannot be created, because {existing} is a file; give --out a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return (
            f"{existing}: not writable by this user, so nothing can be written there; fix its "
            "permissions or give --out another folder"
        )
    return None
