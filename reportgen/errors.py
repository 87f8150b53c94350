"""One exception hierarchy for reportgen.

Every error carries a one-sentence message that names where the problem is (a file, a key
path, a column, an analysis) and what was expected. The CLI maps each class to an exit code:
usage and policy problems exit 2, everything that stops a report from being produced exits 3.
This module imports nothing from reportgen and nothing from click.
"""

from __future__ import annotations


class ReportgenError(Exception):
    """Base class of every error reportgen raises on purpose."""

    exit_code = 3


class PolicyError(ReportgenError):
    """The policy file is missing, unreadable or invalid.

    ``problems`` lists every problem found, one line each, so a user can fix them all at once.
    """

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class InputError(ReportgenError):
    """A model or dataset named by the policy cannot be loaded or does not fit the policy."""


class AnalysisError(ReportgenError):
    """An analysis failed while computing explanations."""


class PrivacyError(ReportgenError):
    """Publishing would break a privacy rule, so nothing is published.

    Raised when the differential privacy budget is exhausted, a pseudonym key is unsafe, or a
    result would still identify someone.
    """

    exit_code = 3


class RenderError(ReportgenError):
    """HTML or PDF rendering failed."""


class RegistryError(ReportgenError):
    """A report version could not be published or read."""


class MissingDependencyError(ReportgenError):
    """An optional dependency needed for this step is not installed."""


class MapError(AnalysisError, ValueError):
    """An image saliency map or map check cannot be computed for this model, layer or input.

    For example Grad-CAM on a TorchScript module, which refuses forward hooks. The message is
    one sentence a report can state as the reason the map is missing.
    """


class TrackingError(ReportgenError):
    """The MLflow run a version is to be logged to is unknown or unreachable; checked before
    anything is computed, so nothing was published."""


class NotLoggedError(TrackingError):
    """A version was published, but logging it to its MLflow run failed; the version stays."""

    exit_code = 4
