"""Policy settings of the attention section: what a transformer's attention weights show."""

from __future__ import annotations

from pydantic import Field, StrictBool

from reportgen.policy.base import Strict


class AttentionSpec(Strict):
    """Report a torch model's attention weights, model-internal and never as reasons.

    Applies to a TorchScript model that declares its attention: its module exports (with
    ``@torch.jit.export``) a method ``attention(x)`` that returns, for a batch ``x`` of encoded
    rows, the attention weights of its forward on them, shaped (rows, layers, heads, tokens,
    tokens), each query's weights summing to 1; token 0 is the CLS token the output is read
    from and token j + 1 is the model's j-th raw feature (one token per feature, in the order
    of its preprocessing file). Other models are skipped, saying why. The credit example's
    transformer (examples/credit/train_transformer.py) shows one such module.
    """

    enabled: StrictBool = Field(
        default=True,
        description="Report the mean attention from the CLS token to each feature per layer and "
        "head over every evaluation row, the features ranked by attention rollout, and the "
        "rank agreement of that ranking with global SHAP.",
    )
