"""Log a published report version to an MLflow run (the `mlflow` extra).

`reportgen run --mlflow-run RUN_ID` checks the run before computing anything (:func:`open_run`)
and logs the version only once it is published (:func:`log_version`): every file of the version
folder (report, results, manifest, signature) under ``reportgen/<policy id>/v<N>/``, then its
gate tally as metrics (``gates_pass``, ``gates_warn``, ``gates_fail``, ``gates_error``, at step
N) and tags (``reportgen.policy``, ``reportgen.version``, ``reportgen.results_sha256``). The
tally comes last, so a run that holds it holds every file; a failure to log leaves the version
published and the run without the tally.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reportgen._lazy import require
from reportgen.errors import NotLoggedError, TrackingError
from reportgen.registry import Published
from reportgen.results import RESULTS_FILE, load_results

STATUSES = ("pass", "warn", "fail", "error")


@dataclass(frozen=True)
class MlflowRun:
    """A run that exists and is active, in the store at ``tracking_uri``."""

    run_id: str
    tracking_uri: str
    client: Any


@dataclass(frozen=True)
class Logged:
    """What :func:`log_version` logged: where the files went and the tally."""

    run_id: str
    artifact_path: str
    gates: dict[str, int]


def open_run(run_id: str, tracking_uri: str) -> MlflowRun:
    """The run ``run_id`` of the MLflow store at ``tracking_uri``, checked to accept logging.

    Raises:
        TrackingError: the run is unknown, deleted, or the store cannot be read.
        MissingDependencyError: the `mlflow` extra is not installed.
    """
    mlflow = require("mlflow")
    exceptions = require("mlflow.exceptions")
    try:
        client = mlflow.MlflowClient(tracking_uri=tracking_uri)
        run = client.get_run(run_id)
    except exceptions.MlflowException as exc:
        raise TrackingError(
            f"MLflow run '{run_id}' cannot be logged to at {tracking_uri} ({_reason(exc)})"
        ) from exc
    if run.info.lifecycle_stage != "active":
        raise TrackingError(
            f"MLflow run '{run_id}' at {tracking_uri} is {run.info.lifecycle_stage}; restore "
            "it or name an active run"
        )
    return MlflowRun(run_id, tracking_uri, client)


def log_version(run: MlflowRun, published: Published) -> Logged:
    """Log the files and gate tally of ``published`` to ``run``.

    Raises:
        NotLoggedError: logging failed; the version stays published.
    """
    manifest = published.manifest
    folder, where = published.path, f"reportgen/{manifest.policy_id}/v{published.version}"
    exceptions = require("mlflow.exceptions")
    entities = require("mlflow.entities")
    try:
        gates = load_results(folder / RESULTS_FILE).gates
        tally = {s: sum(g.status == s for g in gates) for s in STATUSES}
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            run.client.log_artifact(run.run_id, str(path), where)
        stamp = int(datetime.fromisoformat(manifest.created_at).timestamp() * 1000)
        metrics = [
            entities.Metric(f"gates_{s}", float(n), stamp, published.version)
            for s, n in tally.items()
        ]
        tags = {
            "reportgen.policy": manifest.policy_id,
            "reportgen.version": str(published.version),
            "reportgen.results_sha256": manifest.files[RESULTS_FILE],
        }
        run.client.log_batch(
            run.run_id, metrics=metrics, tags=[entities.RunTag(k, v) for k, v in tags.items()]
        )
    except (exceptions.MlflowException, OSError, TrackingError) as exc:
        reason = _reason(exc) if isinstance(exc, exceptions.MlflowException) else str(exc)
        raise NotLoggedError(
            f"{folder}: v{published.version} is published but was not logged to MLflow run "
            f"'{run.run_id}' ({reason}); rerun the same command to log it"
        ) from exc
    return Logged(run.run_id, where, tally)


def _reason(exc: Any) -> str:
    return str(exc.message).splitlines()[0].rstrip(".")
