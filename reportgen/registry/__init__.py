"""The registry: immutable, atomically published report versions with manifests."""

from reportgen.registry.lock import DEFAULT_LOCK_TIMEOUT, policy_lock
from reportgen.registry.manifest import MANIFEST, manifest_sha256, read_manifest
from reportgen.registry.store import Published, latest, publish, versions

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "MANIFEST",
    "Published",
    "latest",
    "manifest_sha256",
    "policy_lock",
    "publish",
    "read_manifest",
    "versions",
]
