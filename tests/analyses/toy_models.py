"""Small models with known answers for testing explainers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.models import ModelAdapter
from reportgen.policy.schema import ModelSpec


class FunctionModel(ModelAdapter):
    """A model given as a Python function of the coded matrix."""

    format = "function"

    def __init__(
        self,
        fn: Callable[[np.ndarray], np.ndarray],
        codec: FeatureCodec,
        classes: list[str] | None = None,
    ) -> None:
        task = "classification" if classes else "regression"
        spec = ModelSpec(name="fn", format="skops", path="-", task=task, classes=classes)
        super().__init__(spec, codec, classes)
        self._fn = fn

    def _predict_batch(self, codes: np.ndarray) -> np.ndarray:
        return np.asarray(self._fn(codes), dtype=np.float64)


def numeric_codec(d: int) -> FeatureCodec:
    return FeatureCodec(tuple(Feature(f"x{j}", "numeric") for j in range(d)))
