"""What an edit of a torch model made for deployment changes: scores, decisions, explanations.

For each edit the policy declares (global magnitude pruning, int8 weights, a candidate network;
see :mod:`reportgen.inputs.model_edits`), the edited model is compared with the released one:

- each performance score on every evaluation row, for both models;
- the share of evaluation rows whose decision flips: for a credit policy the decision at the
  policy's cutoff on the adverse class's probability, else the predicted class;
- the Spearman correlation of the two global importances (mean |SHAP| per feature) over the
  global SHAP rows, or a seeded subsample of ``edits.global_rows`` of them, with the global SHAP
  section's estimator, background and per-row seeds (the released values are those already
  computed);
- per displayed audit case, the overlap of the two top-k features by |SHAP| of the output the
  released model predicts (k: ``checks.top_k``), and whether the first of them, the case's
  leading reason, changes.

Only aggregates over rows and cases leave the analysis. The edited model's SHAP values run as
ordinary row-sharded work: the task applies the edit to whatever copy of the released model the
worker holds (pruning and quantisation are deterministic), so the numbers do not depend on where
or in how many shards the work ran.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reportgen.analyses.checks.metrics import feature_agreement, rank_correlation, top_k
from reportgen.analyses.context import SALT_EDITS, Measure, ModelData
from reportgen.analyses.explain.gradients import torch_model
from reportgen.analyses.explain.shap_explainer import shap_task
from reportgen.analyses.global_importance import mean_abs_shap, ranked
from reportgen.analyses.metrics import performance_scores, score
from reportgen.inputs.model_edits import pruned, quantized, weight_tensors
from reportgen.inputs.models import TorchAdapter, load_torchscript
from reportgen.policy.edits import EditSpec
from reportgen.results.internals import EditDrift, EditsResult, MetricChange

METHOD = "edit assessment"


def edit_label(edit: EditSpec) -> str:
    """The edit in words."""
    if edit.kind == "prune":
        return f"{edit.sparsity or 0.0:.0%} pruning"
    if edit.kind == "candidate":
        return f"candidate {Path(edit.path or '').name}"
    return "int8 weights"


def edited_model(model: TorchAdapter, edit: EditSpec, policy_dir: Path, where: str) -> TorchAdapter:
    """``model`` with ``edit`` applied (a candidate: its network, loaded from ``policy_dir``)."""
    if edit.kind == "prune":
        return pruned(model, edit.sparsity or 0.0)
    if edit.kind == "candidate":
        path = (policy_dir / (edit.path or "")).resolve()
        return model.with_module(load_torchscript(path, where))
    return quantized(model)


def edited_shap_task(
    model: Any, shared: Mapping[str, Any], rows: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """SHAP values of a shard of rows for the edited copy of ``model`` (``shared["edit"]``)."""
    edited = edited_model(
        torch_model(model, METHOD), shared["edit"], shared["policy_dir"], shared["where"]
    )
    return shap_task(edited, shared, rows)


def decisions(data: ModelData, outputs: np.ndarray) -> np.ndarray:
    """Each row's decision: declined (credit, at the cutoff), else the predicted class."""
    spec, classes = data.policy.decision, data.model.classes or []
    if spec is not None and spec.adverse_class in classes:
        return outputs[:, classes.index(spec.adverse_class)] >= spec.cutoff
    return outputs.argmax(axis=1)


def decision_words(data: ModelData) -> str:
    spec, classes = data.policy.decision, data.model.classes or []
    if spec is not None and spec.adverse_class in classes:
        return f"declined when P({spec.adverse_class}) >= {spec.cutoff:g}"
    return "the predicted class (largest probability)"


def case_drift(released: np.ndarray, edited: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per case (rows of the two (n, d) attribution arrays): top-k overlap, and whether the
    leading feature (largest |value|) differs."""
    overlap = np.asarray(feature_agreement(released, edited, k), dtype=np.float64)
    first = top_k(released, 1)[:, 0] != top_k(edited, 1)[:, 0]
    return overlap, first


def _weights(
    released: TorchAdapter, edited: TorchAdapter, edit: EditSpec
) -> tuple[int, int] | None:
    """Weights the edit applies to and how many of them it changed (not for a candidate)."""
    if edit.kind == "candidate":
        return None
    dims = None if edit.kind == "prune" else 2
    pairs = zip(
        weight_tensors(released.network, max_dims=dims),
        weight_tensors(edited.network, max_dims=dims),
        strict=True,
    )
    counts = [(int(a.numel()), int((a != b).sum())) for a, b in pairs]
    return sum(n for n, _ in counts), sum(c for _, c in counts)


def _local(values: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Each row's SHAP values (n, d, outputs) of its own target output, (n, d)."""
    return values[np.arange(len(targets)), :, targets]


@dataclass(frozen=True)
class Released:
    """What every edit is compared with: the released model's SHAP values on the compared
    global rows and, of its predicted class, on the audit cases."""

    positions: np.ndarray
    """Which of the global rows are compared (positions in ``data.global_rows``)."""
    global_values: np.ndarray
    cases: np.ndarray
    targets: np.ndarray
    local: np.ndarray

    @classmethod
    def of(cls, data: ModelData, size: int) -> Released:
        n = len(data.global_rows)
        positions = np.arange(n)
        if size < n:
            positions = np.sort(data.rng(SALT_EDITS).choice(n, size=size, replace=False))
        cases = data.display_rows
        targets = data.targets(cases)
        return cls(
            positions=positions,
            global_values=data.global_shap.values[positions],
            cases=cases,
            targets=targets,
            local=_local(data.shap_of(cases).values, targets),
        )


def assess_edit(data: ModelData, released: Released, index: int, edit: EditSpec) -> EditDrift:
    """One edit of ``data``'s model against the released model."""
    model = torch_model(data.model, METHOD)
    where = f"edits.assess[{index}]"
    edited = edited_model(model, edit, data.policy_dir, where)
    n_classes = len(model.classes or [])
    outputs = edited.predict_codes(data.evaluation)
    metrics = [
        MetricChange(
            name=name,
            released=score(name, n_classes).compute(data.target, data.predictions),
            edited=score(name, n_classes).compute(data.target, outputs),
        )
        for name in performance_scores(n_classes)
    ]
    flips = decisions(data, data.predictions) != decisions(data, outputs)
    rows = np.concatenate([data.global_rows[released.positions], released.cases])
    extra = {"edit": edit, "policy_dir": data.policy_dir, "where": where}
    found = data.shap_rows(rows, edited_shap_task, extra).values
    n_global = len(released.positions)
    _, global_released = mean_abs_shap(data, released.global_values)
    _, global_edited = mean_abs_shap(data, found[:n_global])
    edited_local = _local(found[n_global:], released.targets)
    overlap, first = case_drift(released.local, edited_local, data.checks.top_k)
    counted = _weights(model, edited, edit)
    return EditDrift(
        edit=edit.kind,
        label=edit_label(edit),
        sparsity=edit.sparsity,
        path=edit.path,
        weights=None if counted is None else counted[0],
        weights_changed=None if counted is None else counted[1],
        metrics=metrics,
        flipped=int(flips.sum()),
        flip_share=float(flips.mean()),
        spearman=float(rank_correlation(global_released, global_edited)),
        top_k_overlap_mean=float(overlap.mean()),
        top_k_overlap_min=float(overlap.min()),
        first_reason_changed=int(first.sum()),
        importances=ranked(model.feature_names, global_edited),
    )


def run_edits(data: ModelData) -> EditsResult:
    """Every edit the policy declares, assessed against the released model."""
    spec = data.policy.edits
    if spec is None:  # the kind is planned only for a policy that declares edits
        raise ValueError("run_edits needs a policy with edits")
    with Measure(data.model) as measure:
        released = Released.of(data, spec.global_rows)
        drifts = [assess_edit(data, released, i, edit) for i, edit in enumerate(spec.assess)]
    k_output, importances = mean_abs_shap(data, released.global_values)
    return EditsResult(
        model=data.model.name,
        output=data.output_name(k_output),
        decision=decision_words(data),
        rows=len(data.evaluation),
        global_rows=len(released.positions),
        cases=len(released.cases),
        k=data.checks.top_k,
        spearman_min=spec.spearman_min,
        top_k_overlap_min=spec.top_k_overlap_min,
        flip_share_max=spec.flip_share_max,
        released=ranked(data.model.feature_names, importances),
        edits=drifts,
        cost=measure.cost,
    )
