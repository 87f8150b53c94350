"""The registry: immutable, atomically published report versions with manifests."""

from reportgen.registry.lock import DEFAULT_LOCK_TIMEOUT, policy_lock
from reportgen.registry.store import (
    MANIFEST,
    Published,
    latest,
    manifest_sha256,
    publish,
    versions,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "MANIFEST",
    "Published",
    "latest",
    "manifest_sha256",
    "policy_lock",
    "publish",
    "versions",
]
