"""Policy settings of the edit assessment: the edits of a torch model planned for deployment
(pruning, int8 weights, a candidate replacement) and the drift each may cause."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from reportgen.policy.base import Strict


class PruneEdit(Strict):
    """Global L1 magnitude pruning of the weight matrices and convolution kernels."""

    kind: Literal["prune"] = Field(description="Global magnitude pruning.")
    sparsity: float = Field(
        ge=0.0,
        lt=1.0,
        description="Share of the weights set to zero, the smallest |w| over all layers "
        "(0 <= sparsity < 1).",
    )


class QuantizeEdit(Strict):
    """Dynamic int8 quantisation of the linear layers' weights."""

    kind: Literal["quantize_int8"] = Field(
        description="Weights rounded to int8 per tensor, as torch's dynamic quantisation stores "
        "them (the inputs' per-batch quantisation is not modelled)."
    )


class CandidateEdit(Strict):
    """A retrained or otherwise changed network to compare with the released one."""

    kind: Literal["candidate"] = Field(description="A candidate model file.")
    path: str = Field(
        min_length=1,
        description="TorchScript file of the candidate, relative to the policy file; it takes "
        "the released model's preprocessing and gives its outputs.",
    )


Edit = Annotated[PruneEdit | QuantizeEdit | CandidateEdit, Field(discriminator="kind")]


class EditsSpec(Strict):
    """Edits to assess before deployment, and the drift the policy tolerates."""

    assess: list[Edit] = Field(
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
