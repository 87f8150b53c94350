"""Policies: the YAML a regulated team writes once per model use."""

from reportgen.policy.loader import LoadedPolicy, load_policy
from reportgen.policy.schema import Policy

__all__ = ["LoadedPolicy", "Policy", "load_policy"]
