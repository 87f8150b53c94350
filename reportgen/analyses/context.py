"""What every analysis of one model works from: coded data, labels, seeds, settings, a meter."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from types import TracebackType

import numpy as np

from reportgen.inputs.models import ModelAdapter
from reportgen.inputs.resolve import ResolvedInputs, ResolvedModel
from reportgen.policy.schema import ExplanationsSpec
from reportgen.results.document import Cost

# Salts keep the random draws of different purposes independent under one policy seed.
SALT_BACKGROUND, SALT_GLOBAL_ROWS, SALT_AUDIT, SALT_SHAP, SALT_LIME, SALT_PERMUTATION = range(6)


@dataclass
class ModelData:
    """One model's view of the inputs, in coded raw-feature space."""

    model: ModelAdapter
    reference: np.ndarray
    evaluation: np.ndarray
    target: np.ndarray
    ids: np.ndarray
    seed: int
    settings: ExplanationsSpec
    positive_index: int | None

    @classmethod
    def build(cls, inputs: ResolvedInputs, resolved: ResolvedModel) -> ModelData:
        policy = inputs.loaded.policy
        model = resolved.adapter
        evaluation = inputs.evaluation.frame
        labels = evaluation[policy.data.target]
        if model.classes:
            index = {c: i for i, c in enumerate(model.classes)}
            target = labels.map(index).to_numpy(dtype=np.int64)
        else:
            target = labels.to_numpy(dtype=np.float64)
        positive = None
        if model.classes and len(model.classes) == 2:
            positive = model.classes.index(resolved.spec.positive_class or model.classes[1])
        return cls(
            model=model,
            reference=model.codec.to_codes(inputs.reference.frame),
            evaluation=model.codec.to_codes(evaluation),
            target=target,
            ids=evaluation[policy.data.id_column].to_numpy(dtype=str),
            seed=policy.seed,
            settings=policy.explanations,
            positive_index=positive,
        )

    def rng(self, salt: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, salt])

    def sub_seed(self, salt: int) -> int:
        return int(self.rng(salt).integers(2**31 - 1))

    @cached_property
    def predictions(self) -> np.ndarray:
        """Model outputs on the evaluation rows: (n, k) probabilities or (n,) values."""
        return self.model.predict_codes(self.evaluation)

    @cached_property
    def background(self) -> np.ndarray:
        """The SHAP background: a seeded sample of reference rows."""
        size = min(self.settings.shap.background_size, len(self.reference))
        rows = self.rng(SALT_BACKGROUND).choice(len(self.reference), size=size, replace=False)
        return self.reference[np.sort(rows)]

    def output_name(self, index: int | None) -> str:
        """The explained output in words."""
        if not self.model.classes:
            return "predicted value"
        if index is None:
            return "probability of each class (averaged over classes)"
        return f"probability of class '{self.model.classes[index]}'"


class Measure:
    """Measures an analysis: wall time and the model's rows, calls and seconds inside the block."""

    def __init__(self, model: ModelAdapter) -> None:
        self._model = model
        self._cost: Cost | None = None

    def __enter__(self) -> Measure:
        self._start = self._model.meter.snapshot()
        self._t0 = time.perf_counter()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        used = self._model.meter.since(self._start)
        self._cost = Cost(
            model_rows=used.rows,
            model_calls=used.calls,
            wall_seconds=round(time.perf_counter() - self._t0, 4),
            model_seconds=round(used.seconds, 4),
        )

    @property
    def cost(self) -> Cost:
        if self._cost is None:
            raise RuntimeError("Measure.cost read before the measured block ended")
        return self._cost
