"""Inputs: model adapters, datasets and their resolution against a policy."""

from reportgen.inputs.models import Meter, ModelAdapter
from reportgen.inputs.resolve import ResolvedInputs, resolve_inputs

__all__ = ["Meter", "ModelAdapter", "ResolvedInputs", "resolve_inputs"]
