"""The declared preprocessing of a torch model: raw features -> the encoded matrix it consumes.

A preprocessing file is JSON written by the model's training script::

    {"format": "reportgen.preprocessing/1",
     "features": [
        {"name": "duration_in_month", "kind": "numeric", "center": 20.9, "scale": 12.1},
        {"name": "purpose", "kind": "categorical", "levels": ["business", "car (new)", ...]}]}

Encoded columns follow the list: a numeric feature is one column ``(x - center) / scale``, a
categorical feature is one-hot over its levels. ``groups`` says which encoded columns belong to
which raw feature, so attributions computed on encoded columns can be summed back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike

from reportgen.errors import InputError
from reportgen.inputs.codec import Feature, FeatureCodec

FORMAT_TAG = "reportgen.preprocessing/1"


@dataclass(frozen=True)
class _Columns:
    source: np.ndarray | slice
    target: np.ndarray | slice
    centers: np.ndarray
    scales: np.ndarray
    levels: np.ndarray


@dataclass(frozen=True)
class Preprocessing:
    """Numeric standardisation and categorical one-hot encoding, in the declared order."""

    codec: FeatureCodec
    centers: tuple[float, ...]
    scales: tuple[float, ...]

    @property
    def groups(self) -> list[tuple[str, slice]]:
        """(raw feature, its encoded columns) in encoded order."""
        out, start = [], 0
        for feature in self.codec.features:
            width = len(feature.levels) if feature.kind == "categorical" else 1
            out.append((feature.name, slice(start, start + width)))
            start += width
        return out

    @property
    def encoded_width(self) -> int:
        return self.groups[-1][1].stop

    def encode(self, codes: np.ndarray, *, dtype: DTypeLike = np.float32) -> np.ndarray:
        """Coded raw features (n, d) -> encoded matrix (n, encoded_width) of ``dtype``.

        Values are computed in float64 and rounded once to ``dtype``. A one-hot group is set by
        flat index arithmetic (row offset + group start + level), one scatter for all groups.

        Raises:
            InputError: a categorical code is not the index of one of its feature's levels.
        """
        numeric, categorical = self._layout
        n, width = codes.shape[0], self.encoded_width
        out = np.zeros((n, width), dtype=dtype)
        if len(numeric.centers):
            scaled = codes[:, numeric.source] - numeric.centers
            scaled /= numeric.scales
            out[:, numeric.target] = scaled
        if len(categorical.levels):
            hot = np.rint(codes[:, categorical.source]).astype(np.intp)
            if (hot < 0).any() or (hot >= categorical.levels).any():
                raise InputError(
                    "a categorical feature's code is not the index of one of its levels"
                )
            hot += categorical.target
            hot += np.arange(0, n * width, width, dtype=np.intp)[:, None]
            out.reshape(-1)[hot] = 1.0
        return out

    @cached_property
    def _layout(self) -> tuple[_Columns, _Columns]:
        """Where each kind of feature comes from (coded column) and goes to (encoded column)."""
        numeric = [j for j, f in enumerate(self.codec.features) if f.kind == "numeric"]
        categorical = [j for j, f in enumerate(self.codec.features) if f.kind == "categorical"]
        starts = np.array([cols.start for _, cols in self.groups], dtype=np.intp)
        none = np.empty(0)
        return (
            _Columns(
                _run(np.array(numeric, dtype=np.intp)),
                _run(starts[numeric]),
                np.array([self.centers[j] for j in numeric]),
                np.array([self.scales[j] for j in numeric]),
                none,
            ),
            _Columns(
                np.array(categorical, dtype=np.intp),
                starts[categorical],
                none,
                none,
                np.array([len(self.codec.features[j].levels) for j in categorical], dtype=np.intp),
            ),
        )

    def to_dict(self) -> dict[str, object]:
        features: list[dict[str, object]] = []
        for j, f in enumerate(self.codec.features):
            if f.kind == "numeric":
                features.append(
                    {
                        "name": f.name,
                        "kind": "numeric",
                        "center": self.centers[j],
                        "scale": self.scales[j],
                    }
                )
            else:
                features.append({"name": f.name, "kind": "categorical", "levels": list(f.levels)})
        return {"format": FORMAT_TAG, "features": features}


def _run(columns: np.ndarray) -> np.ndarray | slice:
    """Consecutive column indices as a slice (a view, many times faster to read and write)."""
    if len(columns) and np.array_equal(columns, np.arange(columns[0], columns[0] + len(columns))):
        return slice(int(columns[0]), int(columns[0]) + len(columns))
    return columns


def sum_groups(encoded: np.ndarray, groups: list[tuple[str, slice]]) -> np.ndarray:
    """Sum attributions over each raw feature's encoded columns: (..., m) -> (..., d)."""
    return np.stack([encoded[..., cols].sum(axis=-1) for _, cols in groups], axis=-1)


def load_preprocessing(path: Path) -> Preprocessing:
    """Read and check a preprocessing file.

    Raises:
        InputError: the file is missing, not JSON, or not a valid preprocessing declaration.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: preprocessing file not found") from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: preprocessing file is not readable JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_TAG:
        raise InputError(f'{path}: expected a preprocessing file with "format": "{FORMAT_TAG}"')
    features, centers, scales = [], [], []
    for i, item in enumerate(data.get("features") or []):
        where = f"{path}: features[{i}]"
        kind = item.get("kind") if isinstance(item, dict) else None
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or kind not in ("numeric", "categorical"):
            raise InputError(f"{where}: needs a name and kind 'numeric' or 'categorical'")
        if kind == "numeric":
            center, scale = item.get("center"), item.get("scale")
            if (
                not isinstance(center, (int, float))
                or not isinstance(scale, (int, float))
                or scale <= 0
            ):
                raise InputError(
                    f"{where}: numeric feature '{name}' needs a center and a positive scale"
                )
            features.append(Feature(name, "numeric"))
            centers.append(float(center))
            scales.append(float(scale))
        else:
            levels = item.get("levels")
            if (
                not isinstance(levels, list)
                or not levels
                or len(set(map(str, levels))) != len(levels)
            ):
                raise InputError(
                    f"{where}: categorical feature '{name}' needs a list of distinct levels"
                )
            features.append(Feature(name, "categorical", tuple(str(v) for v in levels)))
            centers.append(0.0)
            scales.append(1.0)
    if not features:
        raise InputError(f"{path}: preprocessing declares no features")
    return Preprocessing(FeatureCodec(tuple(features)), tuple(centers), tuple(scales))
