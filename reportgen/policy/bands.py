"""Band labels of a numeric column split at policy edges: ``[25, 35]`` gives ``<25``, ``25-35``
and ``35+`` (lower edges inclusive; the middle labels use an en dash, U+2013).

The labels are declared by the policy, not read from the data, so a policy can name a band (a
fair-lending reference group, say) and be checked before any data is read. A policy may type the
middle labels with a plain hyphen: :func:`band_named` accepts either.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

EN_DASH = "\u2013"


def band_labels(edges: Sequence[float]) -> list[str]:
    """The labels of the bands cut at strictly increasing ``edges``, lowest first."""
    text = [f"{e:g}" for e in edges]
    labels = [f"<{text[0]}"]
    labels += [f"{a}{EN_DASH}{b}" for a, b in itertools.pairwise(text)]
    labels.append(f"{text[-1]}+")
    return labels


def band_named(name: str, edges: Sequence[float]) -> str | None:
    """The band label ``name`` stands for (a hyphen or an en dash), or None if none."""
    wanted = name.strip().replace("-", EN_DASH)
    return next((label for label in band_labels(edges) if label == wanted), None)


__all__ = ["EN_DASH", "band_labels", "band_named"]
