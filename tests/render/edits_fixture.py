"""An edits result and its gates for the render tests (module name unique to this folder, as
render_fixture's): one edit within the policy's limits, one beyond them."""

from __future__ import annotations

from render_fixture import MODEL

from reportgen.conditions_edits import judge_edits
from reportgen.policy.checks import ChecksSpec
from reportgen.results.document import Cost, FeatureImportance, GateOutcome
from reportgen.results.internals import EditDrift, EditsResult, MetricChange

RELEASED = {"checking_account": 0.2114, "duration": 0.0871, "purpose": 0.00412}


def _ranked(values: dict[str, float]) -> list[FeatureImportance]:
    order = sorted(values, key=lambda f: -values[f])
    return [FeatureImportance(feature=f, value=values[f], rank=order.index(f) + 1) for f in values]


def _drift(label: str, kind: str, *, flipped: int, spearman: float, overlap: float) -> EditDrift:
    return EditDrift(
        edit=kind,  # type: ignore[arg-type]  # one of the literals
        label=label,
        sparsity=0.8 if kind == "prune" else None,
        weights=2272,
        weights_changed=1818 if kind == "prune" else 2272,
        metrics=[
            MetricChange(name="roc_auc", released=0.7637, edited=0.751),
            MetricChange(name="accuracy", released=0.7233, edited=0.7167),
        ],
        flipped=flipped,
        flip_share=flipped / 300,
        spearman=spearman,
        top_k_overlap_mean=overlap,
        top_k_overlap_min=0.4,
        first_reason_changed=2,
        importances=_ranked(RELEASED),
    )


def make_edits() -> EditsResult:
    return EditsResult(
        model=MODEL,
        output="probability of class 'bad'",
        decision="declined when P(bad) >= 0.5",
        rows=300,
        global_rows=40,
        cases=12,
        k=5,
        spearman_min=0.9,
        top_k_overlap_min=0.8,
        flip_share_max=0.02,
        released=_ranked(RELEASED),
        edits=[
            _drift("80% pruning", "prune", flipped=38, spearman=0.8211, overlap=0.767),
            _drift("int8 weights", "quantize_int8", flipped=0, spearman=1.0, overlap=1.0),
        ],
        cost=Cost(model_rows=1_899_424, model_calls=250, wall_seconds=5.98, model_seconds=3.26),
    )


def edits_gates() -> list[GateOutcome]:
    return judge_edits(make_edits(), ChecksSpec())
