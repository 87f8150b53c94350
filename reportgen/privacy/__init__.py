"""Aggregation primitives that protect individuals: suppression, differential privacy, pseudonyms.

The gate (:mod:`reportgen.privacy.gate`) applies them to results; import it from its module.
"""

from reportgen.privacy.dp import Ledger, LedgerEntry, noisy_count, noisy_mean
from reportgen.privacy.pseudonym import Pseudonymizer, load_or_create_key
from reportgen.privacy.suppression import REST, Suppression, suppress

__all__ = [
    "REST",
    "Ledger",
    "LedgerEntry",
    "Pseudonymizer",
    "Suppression",
    "load_or_create_key",
    "noisy_count",
    "noisy_mean",
    "suppress",
]
