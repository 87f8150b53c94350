"""The registry: immutable, atomically published report versions with manifests.

It reads and writes only its own files and the plain data of :mod:`reportgen.results`: it
imports neither rendering nor analyses, and never calls back into the code that publishes.
"""

from reportgen.registry.lock import DEFAULT_LOCK_TIMEOUT, policy_lock
from reportgen.registry.manifest import MANIFEST, manifest_sha256, read_manifest
from reportgen.registry.publication import Publication, open_publication
from reportgen.registry.store import Published, check_publishable, latest, versions

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "MANIFEST",
    "Publication",
    "Published",
    "check_publishable",
    "latest",
    "manifest_sha256",
    "open_publication",
    "policy_lock",
    "read_manifest",
    "versions",
]
