"""Analyses: explanations and summaries computed from resolved inputs into typed results."""

from reportgen.analyses.engine import planned, run_analyses

__all__ = ["planned", "run_analyses"]
