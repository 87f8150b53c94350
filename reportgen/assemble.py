"""The results document of a run: every result, gate and provenance fact in one typed value.

:func:`build_document` assembles it from the resolved inputs and the admitted results;
:func:`input_hashes` is what the version's manifest records about those inputs.
"""

from __future__ import annotations

import platform
from datetime import datetime
from importlib import metadata
from typing import Any

from reportgen import __version__
from reportgen.inputs import ResolvedInputs
from reportgen.results import ResultDocument
from reportgen.results.base import SkippedAnalysis
from reportgen.results.document import (
    DatasetInfo,
    FeatureInfo,
    GateOutcome,
    ModelInfo,
    PolicyInfo,
    RunInfo,
)

_RECORDED_LIBRARIES = (
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "torch",
    "skops",
    "jinja2",
    "weasyprint",
    "matplotlib",
    "pydantic",
    "opendp",
    "onnxruntime",
)


def build_document(
    inputs: ResolvedInputs,
    results: list[Any],
    gates: list[GateOutcome],
    started: datetime,
    elapsed: float,
    *,
    fingerprint: str,
    executor: str = "in-process",
    skipped: list[SkippedAnalysis] | None = None,
) -> ResultDocument:
    """The document of a run that started at ``started`` and took ``elapsed`` seconds;
    ``skipped``: the analyses the policy asks for that did not apply to a model."""
    from reportgen.provenance import source_commit
    from reportgen.render.html import templates_digest

    loaded = inputs.loaded
    policy = loaded.policy
    models = [
        ModelInfo(
            name=m.spec.name,
            format=m.spec.format,
            path=m.spec.path,
            sha256=m.sha256,
            preprocessing_sha256=m.preprocessing_sha256,
            task=m.spec.task,
            classes=m.adapter.classes,
            features=[FeatureInfo(name=f.name, kind=f.kind) for f in m.tabular.codec.features]
            if inputs.loaded.policy.data.kind == "tabular"
            else [],
            trusted=m.spec.trusted,
        )
        for m in inputs.models
    ]
    datasets = [
        DatasetInfo(
            role=d.role,  # type: ignore[arg-type]  # "reference" | "evaluation" by construction
            path=getattr(policy.datasets, d.role).path,
            sha256=d.sha256,
            rows=len(d.frame),
            columns=d.frame.shape[1],
        )
        for d in (inputs.reference, inputs.evaluation)
    ]
    return ResultDocument(
        gates=gates,
        policy=PolicyInfo(
            id=policy.id,
            title=policy.title,
            domain=policy.domain,
            description=policy.description,
            path=loaded.path.name,
            sha256=loaded.sha256,
            labels=dict(policy.data.labels),
        ),
        run=RunInfo(
            reportgen_version=__version__,
            created_at=started.isoformat(timespec="seconds"),
            seed=policy.seed,
            python=platform.python_version(),
            libraries=_library_versions(),
            wall_seconds=round(elapsed, 3),
            templates_sha256=templates_digest(),
            git_commit=source_commit(),
            input_fingerprint=fingerprint,
            executor=executor,
        ),
        models=models,
        datasets=datasets,
        results=results,
        skipped=skipped or [],
    )


def _library_versions() -> dict[str, str]:
    found = {}
    for name in _RECORDED_LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def input_hashes(document: ResultDocument) -> dict[str, Any]:
    """The content hashes of a document's inputs, as its version's manifest records them."""
    return {
        "policy": document.policy.sha256,
        "models": {
            m.name: {"model": m.sha256, "preprocessing": m.preprocessing_sha256}
            for m in document.models
        },
        "datasets": {d.role: d.sha256 for d in document.datasets},
        "fingerprint": document.run.input_fingerprint,
        "templates": document.run.templates_sha256,
        "reportgen_commit": document.run.git_commit,
    }
