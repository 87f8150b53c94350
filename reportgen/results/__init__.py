"""The results document and its canonical JSON form, and the audit trail's plain data."""

from reportgen.results.document import SCHEMA_VERSION, ResultDocument
from reportgen.results.io import RESULTS_FILE, canonical_json, load_results
from reportgen.results.trail import Manifest, ReviewStatus, VersionDiff

__all__ = [
    "RESULTS_FILE",
    "SCHEMA_VERSION",
    "Manifest",
    "ResultDocument",
    "ReviewStatus",
    "VersionDiff",
    "canonical_json",
    "load_results",
]
