"""Policy settings of the network internals section: a torch network's layers, the activations
of its hidden layers on the reference and the evaluation data, and its per-layer gradients."""

from __future__ import annotations

from pydantic import Field, StrictBool

from reportgen.policy.base import Strict


class InternalsSpec(Strict):
    """What the internals section of a torch model computes (independent of ``explanations``)."""

    enabled: StrictBool = Field(
        default=True, description="Report the network's layers, activations and gradients."
    )
    activation_rows: int = Field(
        default=1000,
        ge=100,
        le=1_000_000,
        description="Rows (images) of the reference and of the evaluation data whose hidden-layer "
        "activations are summarised, and whose evaluation images make the channel maps (a "
        "seeded subsample of a dataset that holds more).",
    )
    gradient_rows: int = Field(
        default=500,
        ge=20,
        le=1_000_000,
        description="Evaluation rows (images) whose loss gradient is taken, one at a time (a "
        "seeded subsample when the evaluation data holds more).",
    )
    layers: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Names of the layers whose activations are summarised, as the layer table "
        "names them (default: every layer before the output layer).",
    )
    psi_warn: float = Field(
        default=0.25,
        ge=0.0,
        description="Mean population stability index of a layer's units from which its drift "
        "between reference and evaluation data is called large (0.1 to 0.25 is moderate).",
    )
