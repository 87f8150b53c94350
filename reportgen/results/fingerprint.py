"""The fingerprint of a run's inputs: one sha256 naming everything a report is computed from."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping


def fingerprint(
    policy_sha256: str,
    models: Mapping[str, Mapping[str, str | None]],
    datasets: Mapping[str, str],
    reportgen_version: str,
    seed: int,
) -> str:
    """The sha256 naming everything a report is computed from; equal fingerprints, same report.

    Args:
        models: model name -> {"model": sha256, "preprocessing": sha256 or None}.
        datasets: dataset role -> sha256.
        seed: the seed the run uses (the policy's, or the one given on the command line).
    """
    content = {
        "policy": policy_sha256,
        "models": {name: dict(hashes) for name, hashes in models.items()},
        "datasets": dict(datasets),
        "reportgen_version": reportgen_version,
        "seed": seed,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()
