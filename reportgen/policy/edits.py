"""Policy settings of the edit assessment: the edits of a torch model planned for deployment
(pruning, int8 weights, a candidate replacement) and the drift each may cause."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from reportgen.policy.base import Strict

EditKind = Literal["prune", "quantize_int8", "candidate"]


class EditSpec(Strict):
    """One edit: ``prune`` (global L1 magnitude pruning of the weight matrices and convolution
    kernels, with ``sparsity``), ``quantize_int8`` (dynamic int8 quantisation of the linear
    layers' weights) or ``candidate`` (another network, at ``path``)."""

    kind: EditKind = Field(
        description="prune: global magnitude pruning; quantize_int8: weights rounded to int8 per "
        "tensor as torch's dynamic quantisation stores them (the inputs' per-batch quantisation "
        "is not modelled); candidate: a candidate model file."
    )
    sparsity: float | None = Field(
        default=None,
        ge=0.0,
        lt=1.0,
        description="prune: share of the weights set to zero, the smallest |w| over all layers "
        "(0 <= sparsity < 1).",
    )
    path: str | None = Field(
        default=None,
        min_length=1,
        description="candidate: its TorchScript file, relative to the policy file; it takes the "
        "released model's preprocessing and gives its outputs.",
    )

    @model_validator(mode="after")
    def _settings_fit_the_kind(self) -> EditSpec:
        """A prune edit has a sparsity, a candidate a path, and neither has the other's."""
        needs = {"prune": "sparsity", "candidate": "path"}.get(self.kind)
        for key in ("sparsity", "path"):
            given = getattr(self, key) is not None
            if key == needs and not given:
                raise ValueError(f"a {self.kind} edit needs {key}")
            if key != needs and given:
                raise ValueError(f"{key} is not a setting of a {self.kind} edit; remove it")
        return self


class EditsSpec(Strict):
    """Edits to assess before deployment, and the drift the policy tolerates."""

    assess: list[EditSpec] = Field(
        min_length=1,
        max_length=20,
        description="The edits, each compared with the released model (torch models only).",
    )
    global_rows: int = Field(
        default=50,
        ge=10,
        le=100_000,
        description="Rows of the global SHAP sample (a seeded subsample when it holds more) "
        "both models' global importances are compared on; each edit explains them again.",
    )
    spearman_min: float = Field(
        default=0.9,
        ge=-1.0,
        le=1.0,
        description="Least Spearman correlation between the released and the edited model's "
        "global importances (mean |SHAP| per feature).",
    )
    top_k_overlap_min: float = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="Least mean overlap of the displayed audit cases' top-k reasons (k: "
        "checks.top_k).",
    )
    flip_share_max: float = Field(
        default=0.02,
        ge=0.0,
        le=1.0,
        description="Largest share of evaluation rows whose decision (credit: at the cutoff; "
        "otherwise the predicted class) changes.",
    )
