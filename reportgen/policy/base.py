"""The base of every policy model: strict types, unknown keys are errors, read-only once loaded.

Strict types because YAML already gives real types: ``sample_size: true`` is a boolean, not the
number 1, and ``seed: "42"`` is text; accepting either would silently change what a policy says.
Numbers must be finite: ``.inf`` and ``.nan`` are refused wherever a number is expected.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
