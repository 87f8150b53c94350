"""The registry: immutable, atomically published report versions with manifests."""

from reportgen.registry.store import MANIFEST, Published, publish, versions

__all__ = ["MANIFEST", "Published", "publish", "versions"]
