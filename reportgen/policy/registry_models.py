"""Models named in a policy as ``models:/NAME/VERSION``: files of a local MLflow model registry.

The registry is the one MLFLOW_REGISTRY_URI, else MLFLOW_TRACKING_URI, points at (the `mlflow`
extra). A version resolves to the file its artifact holds in a local folder (an artifact that is
a folder must hold exactly one file); from there on it is a model file like any other: hashed
into the run, confined by ``--root``, loaded by its policy ``format``.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from reportgen._lazy import require
from reportgen.errors import InputError

PREFIX = "models:"
_FORM = re.compile(r"models:/(?P<name>[^/@]+)/(?P<version>[1-9][0-9]*)")


def is_registry_name(path: str) -> bool:
    """Whether a policy path names a registered model version rather than a file."""
    return path.startswith(PREFIX)


def name_problem(path: str) -> str | None:
    """Why ``path``, a ``models:`` name, is not of the form reportgen reads, or None."""
    if _FORM.fullmatch(path):
        return None
    return (
        f"'{path}' must name a registered model version as models:/NAME/VERSION "
        "(VERSION a whole number from 1; aliases and stages are not read)"
    )


def registry_file(path: str) -> Path:
    """The local file of the registered model version ``path`` (``models:/NAME/VERSION``).

    Raises:
        InputError: no registry is configured, the version is not in it, or its artifact is not
            one file in a local folder.
        MissingDependencyError: the `mlflow` extra is not installed.
    """
    registry = os.environ.get("MLFLOW_REGISTRY_URI") or os.environ.get("MLFLOW_TRACKING_URI")
    if not registry:
        raise InputError(
            f"{path}: names a model of an MLflow registry, but neither MLFLOW_REGISTRY_URI nor "
            "MLFLOW_TRACKING_URI is set; point one at the registry (e.g. sqlite:///mlflow.db)"
        )
    return _lookup(path, registry)


@functools.cache
def _lookup(path: str, registry: str) -> Path:
    """One look-up per version and registry in a process: a registered version's source is
    immutable, and the file is hashed wherever it is used."""
    problem = name_problem(path)
    if problem is not None:
        raise InputError(problem)
    match = _FORM.fullmatch(path)
    assert match is not None  # name_problem said so
    name, version = match["name"], match["version"]
    mlflow = require("mlflow")
    exceptions = require("mlflow.exceptions")
    client = mlflow.MlflowClient(tracking_uri=registry, registry_uri=registry)
    try:
        source = str(client.get_model_version_download_uri(name, version))
        if source.startswith("runs:/"):
            run_id, _, inner = source.removeprefix("runs:/").partition("/")
            source = f"{client.get_run(run_id).info.artifact_uri.rstrip('/')}/{inner}"
    except exceptions.MlflowException as exc:
        reason = str(exc.message).splitlines()[0].rstrip(".")
        raise InputError(
            f"{path}: the MLflow registry at {registry} has no such model version ({reason})"
        ) from exc
    return _local_file(path, source)


def _local_file(path: str, source: str) -> Path:
    parsed = urlparse(source)
    if parsed.scheme not in ("", "file"):
        raise InputError(
            f"{path}: its artifact lies at {source}, not in a local folder; reportgen reads "
            "models of a local MLflow registry only"
        )
    found = Path(unquote(parsed.path)).resolve()
    if found.is_dir():
        files = sorted(p for p in found.iterdir() if p.is_file())
        if len(files) != 1:
            names = ", ".join(p.name for p in files) or "none"
            raise InputError(
                f"{path}: its artifact folder {found} must hold exactly one model file, "
                f"it holds {len(files)} ({names}); register the model file itself"
            )
        found = files[0].resolve()
    if not found.is_file():
        raise InputError(f"{path}: its artifact {found} is missing from the registry's store")
    return found
