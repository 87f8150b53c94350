"""Raw features as numbers: the space every explainer works in.

Explainers perturb features the way a person names them ("purpose", not "purpose=car (new)").
The codec turns a frame of raw values into a float matrix with one column per raw feature:
numeric features as themselves, categorical features as the index of their level. Masking or
replacing one column therefore replaces one human-level feature, so SHAP and LIME attribute to
raw features directly, and a model that consumes an encoded matrix (one-hot groups) receives the
whole group at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from reportgen.errors import InputError


@dataclass(frozen=True)
class Feature:
    """One raw feature; ``levels`` lists a categorical feature's labels in code order."""

    name: str
    kind: Literal["numeric", "categorical"]
    levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeatureCodec:
    """Converts between raw frames and the coded matrix (one float column per raw feature)."""

    features: tuple[Feature, ...]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def categorical_indices(self) -> list[int]:
        return [i for i, f in enumerate(self.features) if f.kind == "categorical"]

    def to_codes(self, frame: pd.DataFrame, *, source: str = "data") -> np.ndarray:
        """Code ``frame``'s feature columns into an (n, d) float64 matrix.

        Raises:
            InputError: a column is missing or holds a category the model does not know.
        """
        codes = np.empty((len(frame), len(self.features)), dtype=np.float64)
        for j, feature in enumerate(self.features):
            if feature.name not in frame.columns:
                raise InputError(f"{source}: missing feature column '{feature.name}'")
            column = frame[feature.name]
            if feature.kind == "numeric":
                codes[:, j] = column.to_numpy(dtype=np.float64)
                continue
            lookup = {level: i for i, level in enumerate(feature.levels)}
            mapped = column.astype(str).map(lookup)
            unknown = mapped.isna().to_numpy()
            if unknown.any():
                raise InputError(
                    f"{source}: column '{feature.name}' holds categories the model does not "
                    f"know in {int(unknown.sum())} row(s), first at data row "
                    f"{int(np.argmax(unknown)) + 1}; expected one of {list(feature.levels)}"
                )
            codes[:, j] = mapped.to_numpy(dtype=np.float64)
        return codes

    def to_frame(self, codes: np.ndarray) -> pd.DataFrame:
        """Decode an (n, d) coded matrix back into a frame of raw values."""
        columns: dict[str, object] = {}
        for j, feature in enumerate(self.features):
            if feature.kind == "numeric":
                columns[feature.name] = codes[:, j]
            else:
                levels = np.asarray(feature.levels, dtype=object)
                columns[feature.name] = levels[np.rint(codes[:, j]).astype(np.int64)]
        return pd.DataFrame(columns)

    def display_value(self, j: int, code: float) -> str:
        """A coded value as a person reads it (a level label, or a number)."""
        feature = self.features[j]
        if feature.kind == "categorical":
            return feature.levels[round(code)]
        return f"{code:.6g}"
