"""Adverse-action reason codes (issue #11): families of features ranked by their contribution
toward a decline, against a reference the policy chooses, with a proxy screen and check C9.

:func:`reason_setup` and :func:`explain_reasons` compute reasons for any coded rows (the report
and `reportgen reasons` both use them); :func:`run_reason_codes` and
:func:`run_reason_stability` are the analyses the engine runs.
"""

from reportgen.analyses.reasons.codes import (
    Reasons,
    ReasonSetup,
    applicant_seeds,
    explain_reasons,
    has_reasons,
    reason_setup,
)
from reportgen.analyses.reasons.families import NO_REASON, ReasonFamilies, rank_reasons
from reportgen.analyses.reasons.run import run_reason_codes
from reportgen.analyses.reasons.stability import run_reason_stability

__all__ = [
    "NO_REASON",
    "ReasonFamilies",
    "ReasonSetup",
    "Reasons",
    "applicant_seeds",
    "explain_reasons",
    "has_reasons",
    "rank_reasons",
    "reason_setup",
    "run_reason_codes",
    "run_reason_stability",
]
