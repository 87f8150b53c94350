"""What every analysis of one model works from: coded data, labels, seeds, samples, caches.

Expensive intermediate results are computed once and shared: the global SHAP values feed both
the global importance and its stability check; the attributions on the audit sample feed the
displayed cases and every per-instance trust check.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import numpy as np
import pandas as pd

from reportgen.analyses.explain import Attribution, ShapValues
from reportgen.analyses.explain.registry import (
    Explainer,
    ExplainSettings,
    explain_task,
    explainers_for,
    from_rows,
    random_control,
)
from reportgen.analyses.explain.shap_explainer import choose_estimator, shap_task
from reportgen.analyses.sampling import extend_sample, stratified_sample
from reportgen.analyses.work import InProcess, Runner, Task, unit_seeds
from reportgen.inputs.models import Meter, ModelAdapter
from reportgen.inputs.resolve import ResolvedInputs, ResolvedModel
from reportgen.policy.checks import ChecksSpec
from reportgen.policy.schema import ExplanationsSpec, Policy
from reportgen.results.document import Cost

# Salts keep the random draws of different purposes independent under one policy seed.
(
    SALT_BACKGROUND,
    SALT_GLOBAL_ROWS,
    SALT_AUDIT,
    SALT_SHAP,
    SALT_LIME,
    SALT_PERMUTATION,
    SALT_CHECKS,
    SALT_RERUN,
    SALT_PERTURB,
    SALT_REMOVAL,
    SALT_RANDOMISE,
    SALT_BOOTSTRAP,
) = range(12)
# Reason codes (issue #11) draw from salts of their own, well apart from the ones above so that
# other analyses can take the next numbers without sharing a stream.
SALT_REASONS, SALT_REASON_BACKGROUND, SALT_REASON_CHECK, SALT_REASON_RERUN = 40, 41, 42, 43
SALT_EDITS = 50  # the edit assessment's subsample of the global rows
SALT_OF_METHOD = {"shap": SALT_SHAP, "lime": SALT_LIME, "ig": SALT_SHAP, "random": SALT_CHECKS}


@dataclass
class ModelData:
    """One model's view of the inputs, in coded raw-feature space."""

    model: ModelAdapter
    reference: np.ndarray
    evaluation: np.ndarray
    target: np.ndarray
    ids: np.ndarray
    policy: Policy
    positive_index: int | None
    frame: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """The evaluation frame as loaded (sensitive columns included), rows as ``evaluation``."""
    reference_frame: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """The reference frame as loaded (sensitive columns included), rows as ``reference``."""
    runner: Runner | None = None
    """Where row-sharded work runs; None runs it here (:class:`InProcess`)."""
    policy_dir: Path = Path(".")
    """The policy file's folder: what the files it names (a candidate model) are relative to."""
    _attributions: dict[str, Attribution] = field(default_factory=dict, repr=False)
    _row_shap: dict[int, ShapValues] = field(default_factory=dict, repr=False)
    shared: dict[str, object] = field(default_factory=dict, repr=False)
    """What one kind of analysis computed for others to reuse, by name (e.g. the reason codes
    that check C9 compares against)."""

    @classmethod
    def build(
        cls, inputs: ResolvedInputs, resolved: ResolvedModel, runner: Runner | None = None
    ) -> ModelData:
        policy = inputs.loaded.policy
        model = resolved.tabular
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
            policy=policy,
            positive_index=positive,
            frame=evaluation,
            reference_frame=inputs.reference.frame,
            runner=runner,
            policy_dir=inputs.loaded.base_dir,
        )

    @property
    def seed(self) -> int:
        return self.policy.seed

    @property
    def settings(self) -> ExplanationsSpec:
        return self.policy.explanations

    @property
    def checks(self) -> ChecksSpec:
        return self.policy.checks

    def rng(self, salt: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, salt])

    def sub_seed(self, salt: int) -> int:
        return int(self.rng(salt).integers(2**31 - 1))

    def seeds(self, salt: int, *units: np.ndarray) -> np.ndarray:
        """One seed per unit of work, keyed by the columns ``units`` (for example the rows, or
        the reruns and the rows); see :func:`reportgen.analyses.work.unit_seed`."""
        return unit_seeds(self.seed, salt, *units)

    @property
    def work(self) -> Runner:
        """Where row-sharded tasks run."""
        return self.runner if self.runner is not None else InProcess(self.model)

    @cached_property
    def explain_settings(self) -> ExplainSettings:
        return ExplainSettings.of(self.policy)

    def explain(
        self, method: str, codes: np.ndarray, targets: np.ndarray, seeds: np.ndarray
    ) -> Attribution:
        """``method``'s attributions of ``codes`` (one seed per row), run by :attr:`work`."""
        shared = {
            "method": method,
            "settings": self.explain_settings,
            "background": self.background,
            "reference": self.reference,
        }
        rows = {"codes": codes, "target": np.asarray(targets, dtype=np.int64), "seed": seeds}
        return from_rows(self.work.map(explain_task, shared, rows), method, self._details(method))

    def _details(self, method: str) -> dict[str, object]:
        settings, d = self.explain_settings, self.evaluation.shape[1]
        if method == "shap":
            chosen = choose_estimator(settings.shap_estimator, d)
            evals = 2**d if chosen == "exact" else settings.shap_permutations * (2 * d + 1)
            return {"estimator": chosen, "evals_per_row": evals}
        if method == "lime":
            return {"num_samples": settings.lime_samples}
        if method == "ig":
            return {"baseline": "encoded background mean", "steps": list(settings.ig_steps)}
        return {"distribution": "N(0, 1)"}

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

    @cached_property
    def strata(self) -> np.ndarray:
        """Predicted class labels; for regressors, the tercile band of the predicted value."""
        outputs = self.predictions
        if self.model.classes:
            return np.asarray(self.model.classes, dtype=object)[outputs.argmax(axis=1)]
        cuts = np.quantile(outputs, [1 / 3, 2 / 3])
        bands = np.array(["low predicted value", "middle predicted value", "high predicted value"])
        return bands.astype(object)[np.searchsorted(cuts, outputs, side="right")]

    @cached_property
    def display_rows(self) -> np.ndarray:
        """The audit cases shown in the report: stratified by predicted class."""
        return stratified_sample(self.strata, self.settings.local.sample_size, self.rng(SALT_AUDIT))

    @cached_property
    def check_rows(self) -> np.ndarray:
        """Displayed cases first, then near-boundary and stratified rows up to the check size."""
        sample = self.checks.audit_sample
        if not self.model.classes:
            boundary = np.zeros(len(self.evaluation), dtype=bool)
        else:
            top = self.predictions.max(axis=1)
            boundary = top - 1.0 / len(self.model.classes) < sample.boundary_band
        return extend_sample(
            self.display_rows,
            self.strata,
            boundary,
            size=max(sample.size, len(self.display_rows)),
            boundary_share=sample.boundary_share,
            rng=self.rng(SALT_CHECKS),
        )

    def targets(self, rows: np.ndarray) -> np.ndarray:
        """The output explained for each row: its predicted class (0 for regressors)."""
        if self.model.classes:
            return self.predictions[rows].argmax(axis=1)
        return np.zeros(len(rows), dtype=np.int64)

    @cached_property
    def explainers(self) -> dict[str, Explainer]:
        """The explainers that apply to this model (their ``explain`` runs here; heavy work
        goes through :meth:`explain`)."""
        return explainers_for(
            self.model, self.explain_settings, background=self.background, reference=self.reference
        )

    @cached_property
    def control(self) -> Explainer:
        """Random attributions: the chance level every relative metric is reported against."""
        return random_control(self.evaluation.shape[1])

    def attribution(self, method: str) -> Attribution:
        """``method``'s attributions of the check sample (displayed cases first), computed once."""
        if method not in self._attributions:
            rows = self.check_rows
            seeds = self.seeds(SALT_OF_METHOD[method], rows)
            self._attributions[method] = self.explain(
                method, self.evaluation[rows], self.targets(rows), seeds
            )
        return self._attributions[method]

    @cached_property
    def global_rows(self) -> np.ndarray:
        n = len(self.evaluation)
        size = min(self.settings.shap.global_rows, n)
        return np.sort(self.rng(SALT_GLOBAL_ROWS).choice(n, size=size, replace=False))

    @cached_property
    def global_shap(self) -> ShapValues:
        """SHAP values of every output for the global rows."""
        return self.shap_rows(self.global_rows)

    def shap_rows(
        self, rows: np.ndarray, task: Task = shap_task, extra: Mapping[str, Any] | None = None
    ) -> ShapValues:
        """SHAP values of the evaluation ``rows``, computed by :attr:`work` with the global
        estimator, background and per-row seeds; ``task`` (given ``extra`` shared values) may
        explain an edited copy of the model instead of the model itself."""
        spec = self.settings.shap
        shared = {
            "background": self.background,
            "estimator": spec.estimator,
            "permutations": spec.permutations,
            "target_error": spec.target_error,
            **(extra or {}),
        }
        found = self.work.map(
            task,
            shared,
            {"codes": self.evaluation[rows], "seed": self.seeds(SALT_SHAP, rows)},
        )
        return ShapValues.from_rows(
            found,
            estimator=spec.estimator,
            permutations=spec.permutations,
            target_error=spec.target_error,
        )

    def shap_of(self, rows: np.ndarray) -> ShapValues:
        """SHAP values of every output for the evaluation ``rows``, in that order.

        The global estimator, background and per-row seeds: a row's values are the same
        whichever analysis asks for them, so rows among the global rows reuse those values once
        they are computed, and any other row is explained once (then kept).
        """
        rows = np.asarray(rows, dtype=np.int64)
        known: dict[int, ShapValues] = dict(self._row_shap)
        if "global_shap" in self.__dict__:  # computed already: reuse, never compute it for this
            found = self.global_shap
            for i, row in enumerate(self.global_rows):
                known[int(row)] = _one_row(found, i)
        missing = np.array(sorted({int(r) for r in rows} - set(known)), dtype=np.int64)
        if len(missing):
            computed = self.shap_rows(missing)
            for i, row in enumerate(missing):
                self._row_shap[int(row)] = known[int(row)] = _one_row(computed, i)
        return _stacked([known[int(r)] for r in rows])

    def output_name(self, index: int | None) -> str:
        """The explained output in words."""
        if not self.model.classes:
            return "predicted value"
        if index is None:
            return "probability of each class (averaged over classes)"
        return f"probability of class '{self.model.classes[index]}'"


def _one_row(values: ShapValues, i: int) -> ShapValues:
    return replace(
        values,
        values=values.values[i : i + 1],
        output=values.output[i : i + 1],
        standard_error=values.standard_error[i : i + 1],
        orders=values.orders[i : i + 1],
    )


def _stacked(rows: list[ShapValues]) -> ShapValues:
    """One-row values stacked; every row shares the background, hence the base value."""
    if not rows:
        raise ValueError("no rows to stack")
    return replace(
        rows[0],
        values=np.concatenate([r.values for r in rows]),
        output=np.concatenate([r.output for r in rows]),
        standard_error=np.concatenate([r.standard_error for r in rows]),
        orders=np.concatenate([r.orders for r in rows]),
    )


class Metered(Protocol):
    """A model with a meter: every adapter."""

    meter: Meter


class Measure:
    """Measures an analysis: wall time and the model's rows, calls and seconds inside the block."""

    def __init__(self, model: Metered) -> None:
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
