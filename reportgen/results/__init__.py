"""The results document and its canonical JSON form."""

from reportgen.results.document import SCHEMA_VERSION, ResultDocument
from reportgen.results.io import RESULTS_FILE, canonical_json, load_results

__all__ = ["RESULTS_FILE", "SCHEMA_VERSION", "ResultDocument", "canonical_json", "load_results"]
