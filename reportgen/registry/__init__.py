"""The registry: immutable, atomically published report versions with manifests."""

from reportgen.registry.store import (
    MANIFEST,
    Published,
    latest,
    manifest_sha256,
    policy_lock,
    publish,
    versions,
)

__all__ = [
    "MANIFEST",
    "Published",
    "latest",
    "manifest_sha256",
    "policy_lock",
    "publish",
    "versions",
]
