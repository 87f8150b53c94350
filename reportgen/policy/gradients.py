"""Policy settings of the global gradient attributions (torch models): integration steps and
the rows held in memory at once."""

from __future__ import annotations

from pydantic import Field

from reportgen.policy.base import Strict


class GradientsSpec(Strict):
    """Mean |gradient x input| and mean |integrated gradients| over the whole evaluation set."""

    steps: int = Field(
        default=32,
        ge=2,
        le=1024,
        description="Gauss-Legendre integration steps of integrated gradients per row.",
    )
    chunk_rows: int = Field(
        default=8192,
        ge=64,
        le=1_048_576,
        description="Evaluation rows attributed at once (rounded down to a multiple of 64); "
        "bounds memory whatever the size of the evaluation set.",
    )
