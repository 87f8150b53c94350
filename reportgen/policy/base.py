"""The base of every policy model: unknown keys are errors and a loaded policy is read-only."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
