"""Analyses: explanations, trust checks and cohort figures computed from resolved inputs.

What runs, when, and under which privacy and gate rules is described in :mod:`reportgen.kinds`;
:mod:`reportgen.engine` runs it.
"""
