"""The results document and its canonical JSON form."""

from reportgen.results.document import SCHEMA_VERSION, ResultDocument
from reportgen.results.io import canonical_json, load_results

__all__ = ["SCHEMA_VERSION", "ResultDocument", "canonical_json", "load_results"]
